package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/truce-project/truce/ledger"
)

// exportPage is how many records, and leaf hashes, one request of an export from a server
// asks for: the most GET /log/entries and /log/leaves serve.
const exportPage = 1000

// exportFromServer writes into dir an export of the log a running server serves, as `truce
// export --data` writes one from the data folder: the records as the server serves them, the
// tree's stored leaf hashes, and the latest checkpoint the mission signed (with the
// cosignatures kept for it), written last. Earlier checkpoints are not served, so the folder
// has none; a party checks the export against a checkpoint it kept with verify --checkpoint.
// Nothing in it is taken on trust: verify checks the records and leaf hashes against the
// signed checkpoint.
func exportFromServer(ctx context.Context, base, token, dir string, progress io.Writer) (ledger.Checkpoint, error) {
	api := newAPIClient(base, token)
	get := func(path string) ([]byte, error) { return api.get(ctx, path) }

	signed, err := get("/api/v1/log/checkpoint")
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("export: %w", err)
	}
	_, body, err := parseSignedCheckpoint(signed)
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("export: the server's checkpoint: %w", err)
	}
	size := int64(body.Size)
	if len(body.Hash) != len(tlog.Hash{}) {
		return ledger.Checkpoint{}, errors.New("export: the server's checkpoint has no SHA-256 root hash")
	}

	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return ledger.Checkpoint{}, fmt.Errorf("export: %s is not empty", dir)
	}
	for _, d := range []string{dir, filepath.Join(dir, ledger.ExportCheckpoints), filepath.Join(dir, ledger.ExportProofs)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return ledger.Checkpoint{}, err
		}
	}
	err = ledger.WriteExportFile(filepath.Join(dir, ledger.ExportRecords), func(w *bufio.Writer) error {
		for start := int64(0); start < size; start += exportPage {
			end := min(start+exportPage, size)
			page, err := get(fmt.Sprintf("/api/v1/log/entries?start=%d&end=%d", start, end))
			if err != nil {
				return err
			}
			if n := int64(bytes.Count(page, []byte{'\n'})); n != end-start || len(page) > 0 && page[len(page)-1] != '\n' {
				return fmt.Errorf("records %d to %d: the server sent %d lines", start, end-1, n)
			}
			w.Write(page)
			if progress != nil && (end == size || end%100_000 == 0) {
				fmt.Fprintf(progress, "records: %d of %d\n", end, size)
			}
		}
		return nil
	})
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("export: %w", err)
	}
	err = ledger.WriteExportFile(filepath.Join(dir, ledger.ExportLeafHashes), func(w *bufio.Writer) error {
		for start := int64(0); start < size; start += exportPage {
			end := min(start+exportPage, size)
			page, err := get(fmt.Sprintf("/api/v1/log/leaves?start=%d&end=%d", start, end))
			if err != nil {
				return err
			}
			var reply struct {
				Start  int64    `json:"start"`
				Leaves []string `json:"leaves"`
			}
			if err := json.Unmarshal(page, &reply); err != nil || reply.Start != start || int64(len(reply.Leaves)) != end-start {
				return fmt.Errorf("leaf hashes %d to %d: not what was asked for (%v)", start, end-1, err)
			}
			for i, h := range reply.Leaves {
				b, err := base64.StdEncoding.DecodeString(h)
				if err != nil || len(b) != 32 {
					return fmt.Errorf("leaf hash of record %d: %q is not a base64 SHA-256", start+int64(i), h)
				}
				w.Write(b)
			}
		}
		return nil
	})
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("export: %w", err)
	}
	// The checkpoint last: a folder without one is an export that did not finish.
	if err := os.WriteFile(filepath.Join(dir, ledger.ExportCheckpoint), signed, 0o644); err != nil {
		return ledger.Checkpoint{}, err
	}
	return ledger.Checkpoint{Origin: body.Origin, Size: size, Hash: tlog.Hash(body.Hash)}, nil
}

// parseSignedCheckpoint reads a signed checkpoint note without checking its signatures: its
// text (up to the blank line before the signatures, the line's newline included) and what
// the text says. Whoever trusts it checks the signatures (truce verify).
func parseSignedCheckpoint(signed []byte) (text []byte, body log.Checkpoint, err error) {
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return nil, body, errors.New("not a signed note")
	}
	text = signed[:i+1]
	if _, err := body.Unmarshal(text); err != nil {
		return nil, body, err
	}
	return text, body, nil
}
