package ledger

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/truce-project/truce"
)

// Names of the files in an export folder (see the package comment).
const (
	ExportCheckpoint  = "checkpoint"
	ExportRecords     = "records.ndjson"
	ExportLeafHashes  = "leaf-hashes"
	ExportCheckpoints = "checkpoints"
	ExportProofs      = "proofs"
)

// Export writes the log, as of a checkpoint of its current size signed with signer, into the
// folder dir, which must not exist or be empty. It signs a new checkpoint when the log has
// grown since the last one (and records it as published, so q must be writable). The folder
// is meant to travel: everything in it can be checked offline with the log's verifier key, by
// Verify or `truce verify`. The checkpoint file is written last, so a folder without one is
// an export that did not finish. r reads back the records the log keeps as references (nil
// for a log that keeps none); the folder holds the records themselves.
func Export(ctx context.Context, q Querier, r Resolver, signer note.Signer, dir string) (Checkpoint, error) {
	cpr := Checkpointer{Signer: signer}
	signed, _, err := cpr.Checkpoint(ctx, q)
	if err != nil {
		return Checkpoint{}, err
	}
	if signed == nil {
		return Checkpoint{}, errors.New("ledger: export: the log is empty")
	}
	return exportAt(ctx, q, r, signed, dir)
}

// ExportUntil is Export as of the checkpoint the mission published for the first size
// records, not a new one: the records up to it, the checkpoints published before it with the
// proofs that it extends them, and it. Errors: ENOTFOUND when no checkpoint of that size was
// published.
func ExportUntil(ctx context.Context, q Querier, r Resolver, size int64, dir string) (Checkpoint, error) {
	sizes, notes, err := PublishedCheckpoints(ctx, q)
	if err != nil {
		return Checkpoint{}, err
	}
	i, found := slices.BinarySearch(sizes, size)
	if !found {
		return Checkpoint{}, truce.Errorf(truce.ENOTFOUND, "ledger: export: the mission published no checkpoint of %d records (published: %v)", size, sizes)
	}
	return exportAt(ctx, q, r, notes[i], dir)
}

// exportAt writes the export as of the signed checkpoint note signed.
func exportAt(ctx context.Context, q Querier, r Resolver, signed []byte, dir string) (Checkpoint, error) {
	var body log.Checkpoint
	if _, err := body.Unmarshal(signed); err != nil {
		return Checkpoint{}, fmt.Errorf("ledger: export: %w", err)
	}
	cp := Checkpoint{Origin: body.Origin, Size: int64(body.Size), Hash: tlog.Hash(body.Hash)}

	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return Checkpoint{}, fmt.Errorf("ledger: export: %s is not empty", dir)
	}
	for _, d := range []string{dir, filepath.Join(dir, ExportCheckpoints), filepath.Join(dir, ExportProofs)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return Checkpoint{}, err
		}
	}
	if err := exportRecords(ctx, q, r, cp.Size, filepath.Join(dir, ExportRecords)); err != nil {
		return Checkpoint{}, err
	}
	if err := exportLeafHashes(ctx, q, cp.Size, filepath.Join(dir, ExportLeafHashes)); err != nil {
		return Checkpoint{}, err
	}
	sizes, notes, err := PublishedCheckpoints(ctx, q)
	if err != nil {
		return Checkpoint{}, err
	}
	for i, s := range sizes {
		if s >= cp.Size {
			continue
		}
		proof, err := ProveConsistency(ctx, q, s, cp.Size)
		if err != nil {
			return Checkpoint{}, fmt.Errorf("ledger: export: proof from checkpoint %d: %w", s, err)
		}
		name := strconv.FormatInt(s, 10)
		if err := os.WriteFile(filepath.Join(dir, ExportCheckpoints, name), notes[i], 0o644); err != nil {
			return Checkpoint{}, err
		}
		if err := os.WriteFile(filepath.Join(dir, ExportProofs, name), MarshalProof(proof), 0o644); err != nil {
			return Checkpoint{}, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ExportCheckpoint), signed, 0o644); err != nil {
		return Checkpoint{}, err
	}
	return cp, nil
}

// exportRecords writes records 0..size-1, each canonical encoding followed by a newline: the
// rows of ledger_entries as they are stored, once each is checked to hold the records it
// should, with the records kept as references read back through r. The rows are read a page
// at a time, and the page's rows closed before r reads anything, so that r may query the
// same connection.
func exportRecords(ctx context.Context, q Querier, r Resolver, size int64, path string) error {
	const pageRows = 256
	type row struct {
		idx, n int64
		data   []byte
	}
	return WriteExportFile(path, func(w *bufio.Writer) error {
		var next int64
		for next < size {
			rows, err := q.QueryContext(ctx, `SELECT idx, n, data FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3`, next, size, pageRows)
			if err != nil {
				return fmt.Errorf("ledger: export records: %w", err)
			}
			var page []row
			for rows.Next() {
				var x row
				if err := rows.Scan(&x.idx, &x.n, &x.data); err != nil {
					rows.Close()
					return fmt.Errorf("ledger: export records: %w", err)
				}
				page = append(page, x)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("ledger: export records: %w", err)
			}
			if len(page) == 0 {
				break
			}
			for _, x := range page {
				if x.idx != next {
					return fmt.Errorf("ledger: export: record %d is missing from the database", next)
				}
				lines, err := splitRow(x.idx, x.n, x.data)
				if err != nil {
					return fmt.Errorf("ledger: export: %w", err)
				}
				// Records appended after the checkpoint the export is of are left out.
				lines = lines[:min(x.n, size-x.idx)]
				if err := resolve(ctx, r, x.idx, lines); err != nil {
					return fmt.Errorf("ledger: export: %w", err)
				}
				for _, l := range lines {
					w.Write(l)
					w.WriteByte('\n')
				}
				next += int64(len(lines))
			}
		}
		if next != size {
			return fmt.Errorf("ledger: export: record %d is missing from the database", next)
		}
		return nil
	})
}

// exportLeafHashes writes the stored leaf hashes of records 0..size-1, 32 bytes each. They are
// read from the tree the checkpoint was computed from, not from the records, so that a record
// altered in the database shows as a mismatch in the export instead of being hashed again.
func exportLeafHashes(ctx context.Context, q Querier, size int64, path string) error {
	rows, err := q.QueryContext(ctx, `SELECT idx, hashes FROM ledger_hashes WHERE idx < $1 ORDER BY idx`, tlog.StoredHashCount(size))
	if err != nil {
		return fmt.Errorf("ledger: export leaf hashes: %w", err)
	}
	defer rows.Close()
	return WriteExportFile(path, func(w *bufio.Writer) error {
		var next, want int64 // the next record, and the next stored hash index
		var run []byte
		for rows.Next() {
			var idx int64
			if err := rows.Scan(&idx, &run); err != nil {
				return fmt.Errorf("ledger: export leaf hashes: %w", err)
			}
			if idx != want || len(run)%tlog.HashSize != 0 {
				return fmt.Errorf("ledger: export: stored hashes from %d are missing or malformed", want)
			}
			for off := 0; off < len(run) && next < size; off += tlog.HashSize {
				if level, n := tlog.SplitStoredHashIndex(idx + int64(off/tlog.HashSize)); level == 0 {
					if n != next {
						return fmt.Errorf("ledger: export: stored hash of record %d is missing", next)
					}
					w.Write(run[off : off+tlog.HashSize])
					next++
				}
			}
			want = idx + int64(len(run)/tlog.HashSize)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("ledger: export leaf hashes: %w", err)
		}
		if next != size {
			return fmt.Errorf("ledger: export: stored hash of record %d is missing", next)
		}
		return nil
	})
}

// writeFile creates path, lets fill write it through a buffer, and syncs it.
func WriteExportFile(path string, fill func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
