package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
	_ "modernc.org/sqlite"

	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/sqlite"
)

// truce verify and truce export are the two ends of the mission's record on a USB stick:
// export writes the log and its signed checkpoint into a folder, verify checks such a folder
// with nothing but the mission's public key.

func init() {
	var keyFile, trustedFile string
	verifyCmd := &cobra.Command{
		Use:   "verify --key PUBKEY_FILE [--checkpoint TRUSTED_FILE] FOLDER",
		Short: "Check an export of the mission's log offline",
		Long: `Verify checks an export folder made by truce export: the checkpoint's signature with
the mission's public key (log.pub); that the records in the folder, hashed again, make
exactly the tree the checkpoint signs; that every earlier checkpoint in the folder is
a prefix of it; and, with --checkpoint, that it extends a checkpoint you kept from
before. It exits 0 when everything verifies and 1 otherwise; the last line names what
failed: the first record that does not hash into the log, by index, or the checkpoint
at fault.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			fail := func(format string, a ...any) error {
				fmt.Fprintf(out, "FAILED: "+format+"\n", a...)
				return exitError{code: 1}
			}
			key, err := ledger.ReadVerifier(keyFile)
			if err != nil {
				return fail("--key: %v", err)
			}
			var trusted []byte
			if trustedFile != "" {
				if trusted, err = os.ReadFile(trustedFile); err != nil {
					return fail("--checkpoint: %v", err)
				}
			}
			v, err := ledger.Verify(args[0], key, trusted)
			if err != nil {
				return fail("%v", err)
			}
			fmt.Fprintf(out, "checkpoint: %s, %s, signed by %s+%08x\n", v.Checkpoint.Origin, v.Checkpoint, key.Name(), key.KeyHash())
			fmt.Fprintf(out, "records: %d, hashed again, make the checkpoint's tree\n", v.Checkpoint.Size)
			if len(v.Earlier) > 0 {
				fmt.Fprintf(out, "earlier checkpoints: %d (sizes %v), each a prefix of this one\n", len(v.Earlier), v.Earlier)
			}
			if v.Trusted != nil {
				fmt.Fprintf(out, "trusted checkpoint: %s, extended by this one\n", v.Trusted)
			}
			fmt.Fprintf(out, "OK: %s verifies\n", args[0])
			return nil
		},
	}
	verifyCmd.Flags().StringVar(&keyFile, "key", "", "the mission's public key file (log.pub)")
	verifyCmd.Flags().StringVar(&trustedFile, "checkpoint", "", "a signed checkpoint kept from before, which the export must extend")
	verifyCmd.MarkFlagRequired("key")
	rootCmd.AddCommand(verifyCmd)

	var dataDir, outDir, origin, signerFile, serverURL, token, until string
	exportCmd := &cobra.Command{
		Use:   "export (--data DIR [--until CHECKPOINT] | --server URL --token T) --out FOLDER",
		Short: "Write the mission's log and a signed checkpoint into a folder for truce verify",
		Long: `Export signs a checkpoint of the log kept in DIR/truce.db (with DIR/log.key, which is
made on first use with the name --origin, or with the key file --key) and writes the records, the checkpoint, the
earlier checkpoints and the consistency proofs into FOLDER, which must not exist or be
empty. Give the parties DIR/log.pub, by another way than the folder, to check it with.

With --until it exports as of a checkpoint the mission published before instead of a new
one: CHECKPOINT is its size, or a file holding it (a signed checkpoint a party kept), which
must be the very one published at that size.

With --server and an admin's or analyst's --token it exports from a running server
instead: the records and the tree's leaf hashes as the server serves them, and the latest
checkpoint it signed. Earlier checkpoints are not served, so that folder has none; verify
checks everything in it against the signed checkpoint all the same.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if serverURL != "" {
				if token == "" {
					return errors.New("export: --server needs --token (an admin's or analyst's)")
				}
				if cmd.Flags().Changed("data") || cmd.Flags().Changed("key") || until != "" {
					return errors.New("export: --server exports the server's latest checkpoint; --data, --key and --until are for a data folder")
				}
				cp, err := exportFromServer(ctx, serverURL, token, outDir, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "exported %s: %s, %s, to %s\n", cp.Origin, cp, serverURL, outDir)
				return nil
			}
			dbPath := filepath.Join(dataDir, "truce.db")
			if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("export: %s does not exist: there is no log to export", dbPath)
			}
			db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
			if err != nil {
				return err
			}
			defer db.Close()
			if err := ledger.CreateSchema(ctx, db); err != nil {
				return err
			}
			var signer note.Signer
			if signerFile != "" {
				signer, _, err = ledger.LoadKey(signerFile)
			} else {
				signer, _, err = ledger.LoadOrCreateKey(dataDir, ledger.LogKeyFile, origin)
			}
			if err != nil {
				return err
			}
			// The observations' records are read back from the store's rows.
			store, err := sqlite.Open(dbPath)
			if err != nil {
				return err
			}
			defer store.Close()
			var cp ledger.Checkpoint
			if until != "" {
				var size int64
				if size, err = untilSize(ctx, db, until); err != nil {
					return err
				}
				cp, err = ledger.ExportUntil(ctx, db, storeResolver{store}, size, outDir)
			} else {
				cp, err = ledger.Export(ctx, db, storeResolver{store}, signer, outDir)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exported %s: %s, %s, to %s\n", cp.Origin, cp, dbPath, outDir)
			return nil
		},
	}
	exportCmd.Flags().StringVar(&dataDir, "data", "truce-data", "the data folder holding truce.db and log.key")
	exportCmd.Flags().StringVar(&outDir, "out", "", "the folder to write")
	exportCmd.Flags().StringVar(&origin, "origin", "truce-mission", "the log's name, used only when the key is made")
	exportCmd.Flags().StringVar(&signerFile, "key", "", "the mission's signing key file, instead of DIR/log.key (mode 0600)")
	exportCmd.Flags().StringVar(&until, "until", "", "export as of this published checkpoint: its size, or a file holding it")
	exportCmd.Flags().StringVar(&serverURL, "server", "", "export from the running server at this URL instead of a data folder")
	exportCmd.Flags().StringVar(&token, "token", "", "with --server: an admin's or analyst's token")
	exportCmd.MarkFlagRequired("out")
	rootCmd.AddCommand(exportCmd)
}

// untilSize reads export's --until: a checkpoint's size, or a file holding a signed checkpoint,
// which must be the one the mission published at its size.
func untilSize(ctx context.Context, db *sql.DB, until string) (int64, error) {
	if size, err := strconv.ParseInt(until, 10, 64); err == nil {
		if size <= 0 {
			return 0, fmt.Errorf("export: --until %d: a checkpoint covers one record or more", size)
		}
		return size, nil
	}
	kept, err := os.ReadFile(until)
	if err != nil {
		return 0, fmt.Errorf("export: --until: %w", err)
	}
	text, body, err := parseSignedCheckpoint(kept)
	if err != nil {
		return 0, fmt.Errorf("export: --until %s: %w", until, err)
	}
	sizes, notes, err := ledger.PublishedCheckpoints(ctx, db)
	if err != nil {
		return 0, err
	}
	for i, size := range sizes {
		if size == int64(body.Size) {
			if !bytes.HasPrefix(notes[i], append(text, '\n')) {
				return 0, fmt.Errorf("export: --until %s: the mission published another checkpoint of %d records: the two show two histories", until, size)
			}
			return size, nil
		}
	}
	return 0, fmt.Errorf("export: --until %s: the mission published no checkpoint of %d records", until, body.Size)
}
