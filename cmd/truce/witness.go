package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/truce-project/truce/ledger"
)

// truce witness lets a party run its own witness of the mission's log: it cosigns a
// checkpoint only when it extends the last one it cosigned.

func init() {
	witnessCmd := &cobra.Command{
		Use:   "witness",
		Short: "Cosign the mission's checkpoints after checking that they extend the last one cosigned",
	}

	var name, state string
	initCmd := &cobra.Command{
		Use:   "init --name NAME --state DIR",
		Short: "Make a witness: a key and an empty state in DIR; prints its public key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := ledger.InitWitness(state, name)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), w.VerifierKey())
			return nil
		},
	}
	initCmd.Flags().StringVar(&name, "name", "", "the witness's name, as it appears on its cosignatures")
	initCmd.Flags().StringVar(&state, "state", "", "the witness's state folder")
	initCmd.MarkFlagRequired("name")
	initCmd.MarkFlagRequired("state")

	var cosignState, logKeyFile, checkpointFile, proofFile, exportDir, serverURL, token string
	cosignCmd := &cobra.Command{
		Use:   "cosign --state DIR --log-key PUBFILE (--checkpoint FILE [--proof FILE] | --export FOLDER | --server URL --token T)",
		Short: "Cosign a checkpoint that extends the last one this witness cosigned; prints the cosigned note",
		Long: `Cosign checks the checkpoint's signature with the mission's public key and, unless it
is the first checkpoint this witness sees of the log, the consistency proof from the
last checkpoint it cosigned. It refuses a rollback, a fork (another root at a size it
cosigned) and a proof that does not verify, says why on its last line and exits 1.
With --export, the checkpoint and the proof are taken from an export folder
(checkpoint and proofs/SIZE). With --server, from the mission's running server (its
latest checkpoint and the consistency proof it serves, with a liaison's, observer's or
admin's --token), and the cosigned checkpoint is posted back for the server to keep and
serve; the witness checks everything itself all the same.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			refuse := func(format string, a ...any) error {
				fmt.Fprintf(cmd.ErrOrStderr(), "REFUSED: "+format+"\n", a...)
				return exitError{code: 1}
			}
			given := 0
			for _, f := range []string{checkpointFile, exportDir, serverURL} {
				if f != "" {
					given++
				}
			}
			if given != 1 {
				return errors.New("give one of --checkpoint (with --proof), --export, or --server (with --token)")
			}
			if serverURL != "" && token == "" {
				return errors.New("--server needs --token")
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			api := newAPIClient(serverURL, token)
			w, err := ledger.OpenWitness(cosignState)
			if err != nil {
				return err
			}
			logKey, err := ledger.ReadVerifier(logKeyFile)
			if err != nil {
				return err
			}
			var signed []byte
			if serverURL != "" {
				checkpointFile = serverURL + "/api/v1/log/checkpoint"
				signed, err = api.get(ctx, "/api/v1/log/checkpoint")
			} else {
				if exportDir != "" {
					checkpointFile = filepath.Join(exportDir, ledger.ExportCheckpoint)
				}
				signed, err = os.ReadFile(checkpointFile)
			}
			if err != nil {
				return err
			}
			cp, _, err := ledger.OpenCheckpoint(signed, logKey)
			if err != nil {
				return refuse("%s: %v", checkpointFile, err)
			}
			last, ok, err := w.Last(cp.Origin, logKey)
			if err != nil {
				return err
			}
			if exportDir != "" && ok && last.Size > 0 && last.Size < cp.Size {
				proofFile = filepath.Join(exportDir, ledger.ExportProofs, strconv.FormatInt(last.Size, 10))
				if _, err := os.Stat(proofFile); errors.Is(err, fs.ErrNotExist) {
					return refuse("%s holds no consistency proof from size %d, the last checkpoint this witness cosigned", exportDir, last.Size)
				}
			}
			var proof tlog.TreeProof
			if serverURL != "" && ok && last.Size > 0 && last.Size < cp.Size {
				reply, err := api.get(ctx, fmt.Sprintf("/api/v1/log/proof/consistency?from=%d&to=%d", last.Size, cp.Size))
				if err != nil {
					return err
				}
				var served struct{ Proof []string }
				if err := json.Unmarshal(reply, &served); err != nil {
					return refuse("the server's consistency proof: %v", err)
				}
				if proof, err = ledger.ParseProof([]byte(strings.Join(served.Proof, "\n") + "\n")); err != nil {
					return refuse("the server's consistency proof: %v", err)
				}
			}
			if proofFile != "" {
				b, err := os.ReadFile(proofFile)
				if err != nil {
					return err
				}
				if proof, err = ledger.ParseProof(b); err != nil {
					return refuse("%s: %v", proofFile, err)
				}
			}
			cosigned, err := w.Cosign(signed, logKey, proof)
			if err != nil {
				return refuse("%v", err)
			}
			if serverURL != "" {
				if _, err := api.do(ctx, http.MethodPost, "/api/v1/log/cosignature", "text/plain", cosigned); err != nil {
					return fmt.Errorf("cosigned, but the server did not keep it: %w", err)
				}
			}
			cmd.OutOrStdout().Write(cosigned)
			return nil
		},
	}
	cosignCmd.Flags().StringVar(&cosignState, "state", "", "the witness's state folder")
	cosignCmd.Flags().StringVar(&logKeyFile, "log-key", "", "the mission's public key file (log.pub)")
	cosignCmd.Flags().StringVar(&checkpointFile, "checkpoint", "", "the signed checkpoint to cosign")
	cosignCmd.Flags().StringVar(&proofFile, "proof", "", "the consistency proof from the last cosigned checkpoint, one base64 hash a line")
	cosignCmd.Flags().StringVar(&exportDir, "export", "", "an export folder to take the checkpoint and the proof from")
	cosignCmd.Flags().StringVar(&serverURL, "server", "", "the mission's server to take the checkpoint and the proof from, and to post the cosignature to")
	cosignCmd.Flags().StringVar(&token, "token", "", "with --server: a liaison's, observer's or admin's token")
	cosignCmd.MarkFlagRequired("state")
	cosignCmd.MarkFlagRequired("log-key")

	witnessCmd.AddCommand(initCmd, cosignCmd)
	rootCmd.AddCommand(witnessCmd)
}
