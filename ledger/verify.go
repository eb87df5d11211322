package ledger

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// VerifyError says what in an export failed to verify. Its message names the record (by
// index) or the checkpoint (by file) at fault; Unwrap gives one of ErrBadSignature,
// ErrMalformed, ErrTampered, ErrFork, ErrRollback or ErrBadProof.
type VerifyError struct {
	// Record is the index of the first record that does not hash into the log, or -1 when the
	// fault is not a record's.
	Record int64
	// Checkpoint names the checkpoint at fault: "checkpoint", "trusted checkpoint",
	// "checkpoints/SIZE", "proofs/SIZE"; empty when the fault is a record's.
	Checkpoint string
	Err        error
}

func (e *VerifyError) Error() string {
	if e.Checkpoint != "" {
		return e.Checkpoint + ": " + e.Err.Error()
	}
	return fmt.Sprintf("record %d: %v", e.Record, e.Err)
}

func (e *VerifyError) Unwrap() error { return e.Err }

func checkpointFault(name string, err error) *VerifyError {
	return &VerifyError{Record: -1, Checkpoint: name, Err: err}
}

// Verified is what Verify checked.
type Verified struct {
	Checkpoint Checkpoint
	// Earlier lists the sizes of the earlier checkpoints in the folder, each verified to be a
	// prefix of Checkpoint.
	Earlier []int64
	// Trusted is the trusted checkpoint Checkpoint was verified to extend, when one was given.
	Trusted *Checkpoint
}

// Verify checks the export folder dir against the log's verifier key, trusting nothing in the
// folder: the checkpoint's signature; that the records, hashed again one by one, make the
// tree whose root the checkpoint signs; that every earlier checkpoint in the folder is signed
// and is a prefix of that tree (with its proof); and, when trusted is not nil, that the
// checkpoint extends the trusted checkpoint (a signed note the caller kept from before).
//
// The error is a *VerifyError. When the records do not make the signed tree, the leaf hashes
// in the folder, once they are shown to make the signed root themselves, tell which record was
// altered, removed or moved; when they were altered too, the earlier checkpoints narrow it
// down to a range.
func Verify(dir string, logKey note.Verifier, trusted []byte) (*Verified, error) {
	signed, err := os.ReadFile(filepath.Join(dir, ExportCheckpoint))
	if err != nil {
		return nil, checkpointFault("checkpoint", fmt.Errorf("%w: %v", ErrMalformed, err))
	}
	cp, _, err := OpenCheckpoint(signed, logKey)
	if err != nil {
		return nil, checkpointFault("checkpoint", err)
	}
	v := &Verified{Checkpoint: cp}

	// Prefix roots to capture while the records stream past: those of the trusted and the
	// earlier checkpoints.
	want := map[int64]tlog.Hash{}
	var tc Checkpoint
	if trusted != nil {
		if tc, _, err = OpenCheckpoint(trusted, logKey); err != nil {
			return nil, checkpointFault("trusted checkpoint", err)
		}
		v.Trusted = &tc
		want[tc.Size] = tlog.Hash{}
	}
	earlier, err := readEarlier(dir, logKey, cp)
	if err != nil {
		return nil, err
	}
	for _, e := range earlier {
		want[e.Size] = tlog.Hash{}
	}

	records := filepath.Join(dir, ExportRecords)
	var tree treeBuilder
	err = hashRecords(records, func(h tlog.Hash) {
		tree.add(h)
		if _, ok := want[tree.n]; ok {
			want[tree.n] = tree.root()
		}
	})
	if err != nil {
		return nil, err
	}
	if tree.n != cp.Size || tree.root() != cp.Hash {
		// Only now are the leaf hashes kept, to find the record at fault: verifying a
		// sound export needs memory for the tree's right edge only.
		var leaves []tlog.Hash
		if err := hashRecords(records, func(h tlog.Hash) { leaves = append(leaves, h) }); err != nil {
			return nil, err
		}
		return nil, locate(dir, cp, leaves, earlier, want)
	}

	for _, e := range earlier {
		name := filepath.ToSlash(filepath.Join(ExportCheckpoints, strconv.FormatInt(e.Size, 10)))
		if want[e.Size] != e.Hash {
			return nil, checkpointFault(name, fmt.Errorf("%w: the log signed root %s for its first %d records, and root %s for the same records in checkpoint (size %d): it shows two histories",
				ErrFork, e.Hash, e.Size, want[e.Size], cp.Size))
		}
		proofName := filepath.ToSlash(filepath.Join(ExportProofs, strconv.FormatInt(e.Size, 10)))
		b, err := os.ReadFile(filepath.Join(dir, ExportProofs, strconv.FormatInt(e.Size, 10)))
		if errors.Is(err, fs.ErrNotExist) {
			v.Earlier = append(v.Earlier, e.Size)
			continue // The records proved it; the proof is a convenience for witnesses.
		}
		if err != nil {
			return nil, checkpointFault(proofName, err)
		}
		p, err := ParseProof(b)
		if err != nil {
			return nil, checkpointFault(proofName, fmt.Errorf("%w: %v", ErrBadProof, err))
		}
		if err := tlog.CheckTree(p, cp.Size, cp.Hash, e.Size, e.Hash); err != nil {
			return nil, checkpointFault(proofName, fmt.Errorf("%w: from size %d to %d: %v", ErrBadProof, e.Size, cp.Size, err))
		}
		v.Earlier = append(v.Earlier, e.Size)
	}

	if trusted != nil {
		switch {
		case tc.Size > cp.Size:
			return nil, checkpointFault("checkpoint", fmt.Errorf("%w: checkpoint (%s) is older than the trusted checkpoint (%s)", ErrRollback, cp, tc))
		case tc.Size == cp.Size && tc.Hash != cp.Hash:
			return nil, checkpointFault("checkpoint", fmt.Errorf("%w: checkpoint (%s) and the trusted checkpoint (%s) have the same size and different roots: the log shows two histories", ErrFork, cp, tc))
		case tc.Size > 0 && want[tc.Size] != tc.Hash:
			return nil, checkpointFault("checkpoint", fmt.Errorf("%w: checkpoint (%s) does not extend the trusted checkpoint (%s): its first %d records have root %s",
				ErrFork, cp, tc, tc.Size, want[tc.Size]))
		}
	}
	return v, nil
}

// readEarlier opens the checkpoints in dir/checkpoints, smallest first.
func readEarlier(dir string, logKey note.Verifier, cp Checkpoint) ([]Checkpoint, error) {
	entries, err := os.ReadDir(filepath.Join(dir, ExportCheckpoints))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, checkpointFault(ExportCheckpoints, err)
	}
	var out []Checkpoint
	for _, e := range entries {
		name := ExportCheckpoints + "/" + e.Name()
		b, err := os.ReadFile(filepath.Join(dir, ExportCheckpoints, e.Name()))
		if err != nil {
			return nil, checkpointFault(name, err)
		}
		c, _, err := OpenCheckpoint(b, logKey)
		if err != nil {
			return nil, checkpointFault(name, err)
		}
		if strconv.FormatInt(c.Size, 10) != e.Name() {
			return nil, checkpointFault(name, fmt.Errorf("%w: the file name says size %s, the checkpoint %d", ErrMalformed, e.Name(), c.Size))
		}
		switch {
		case c.Size > cp.Size:
			return nil, checkpointFault("checkpoint", fmt.Errorf("%w: checkpoint (%s) is older than %s (%s) in the same folder", ErrRollback, cp, name, c))
		case c.Size == cp.Size && c.Hash != cp.Hash:
			return nil, checkpointFault(name, fmt.Errorf("%w: %s (%s) and checkpoint (%s) have the same size and different roots: the log shows two histories", ErrFork, name, c, cp))
		case c.Size == 0:
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Size < out[j].Size })
	return out, nil
}

// hashRecords calls add with the leaf hash of each record in the records file, in order.
func hashRecords(path string, add func(tlog.Hash)) error {
	f, err := os.Open(path)
	if err != nil {
		return &VerifyError{Record: 0, Err: fmt.Errorf("%w: the records cannot be read: %v", ErrTampered, err)}
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var n int64
	var long []byte
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A record longer than the buffer: gather it before hashing.
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = r.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			rec := line
			if rec[len(rec)-1] == '\n' {
				rec = rec[:len(rec)-1]
			}
			add(tlog.RecordHash(rec))
			n++
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &VerifyError{Record: n, Err: fmt.Errorf("%w: reading %s: %v", ErrTampered, ExportRecords, err)}
		}
	}
}

// locate explains why the records do not make the signed tree, naming the first record at
// fault as exactly as the folder allows.
func locate(dir string, cp Checkpoint, leaves []tlog.Hash, earlier []Checkpoint, prefix map[int64]tlog.Hash) error {
	n := int64(len(leaves))
	if logged, ok := signedLeafHashes(dir, cp); ok {
		at := make(map[tlog.Hash]int64, len(logged))
		for i, h := range logged {
			at[h] = int64(i)
		}
		for i := int64(0); i < min(n, cp.Size); i++ {
			if leaves[i] == logged[i] {
				continue
			}
			j, known := at[leaves[i]]
			switch {
			case !known:
				return &VerifyError{Record: i, Err: fmt.Errorf("%w: its leaf hash is %x, the log's is %x: it was altered, or is not the log's", ErrTampered, leaves[i][:], logged[i][:])}
			case j > i && n < cp.Size:
				return &VerifyError{Record: i, Err: fmt.Errorf("%w: it is missing (the record in its place is the log's record %d)", ErrTampered, j)}
			default:
				return &VerifyError{Record: i, Err: fmt.Errorf("%w: it is out of order (the record in its place is the log's record %d)", ErrTampered, j)}
			}
		}
		if n < cp.Size {
			return &VerifyError{Record: n, Err: fmt.Errorf("%w: it is missing (the folder holds %d records, the checkpoint covers %d)", ErrTampered, n, cp.Size)}
		}
		return &VerifyError{Record: cp.Size, Err: fmt.Errorf("%w: the checkpoint covers %d records, the folder holds %d", ErrTampered, cp.Size, n)}
	}
	// The leaf hashes cannot be trusted either: the signed earlier checkpoints bound the fault.
	lo, hi := int64(0), min(n, cp.Size)
	for _, e := range earlier {
		if e.Size > n {
			break
		}
		if prefix[e.Size] != e.Hash {
			hi = e.Size
			break
		}
		lo = e.Size
	}
	// Records that make a signed earlier checkpoint's tree are the log's up to that size. If
	// the checkpoint cannot be proved to extend that earlier one, it is the checkpoint that
	// tells another history, not the records.
	for _, e := range earlier {
		if e.Size > lo {
			break
		}
		name := strconv.FormatInt(e.Size, 10)
		b, err := os.ReadFile(filepath.Join(dir, ExportProofs, name))
		if err != nil {
			continue
		}
		if p, err := ParseProof(b); err == nil && tlog.CheckTree(p, cp.Size, cp.Hash, e.Size, e.Hash) != nil {
			return checkpointFault("checkpoint", fmt.Errorf("%w: checkpoint (%s) is not proved to extend %s/%s (%s), whose tree the records make: the log shows two histories, or %s/%s was altered",
				ErrFork, cp, ExportCheckpoints, name, e, ExportProofs, name))
		}
	}
	return &VerifyError{Record: lo, Err: fmt.Errorf("%w: this record or one after it, up to record %d, was altered, removed or moved (the checkpoint covers %d records, the folder holds %d; %s is not the log's either, so the record cannot be named exactly)",
		ErrTampered, max(hi-1, lo), cp.Size, n, ExportLeafHashes)}
}

// signedLeafHashes reads the folder's leaf hashes and returns them when they make the tree the
// checkpoint signs: they are then the log's, whatever else in the folder was altered.
func signedLeafHashes(dir string, cp Checkpoint) ([]tlog.Hash, bool) {
	b, err := os.ReadFile(filepath.Join(dir, ExportLeafHashes))
	if err != nil || int64(len(b)) != cp.Size*tlog.HashSize {
		return nil, false
	}
	logged := make([]tlog.Hash, cp.Size)
	for i := range logged {
		logged[i] = tlog.Hash(b[i*tlog.HashSize:])
	}
	if treeRoot(logged) != cp.Hash {
		return nil, false
	}
	return logged, true
}

// treeBuilder computes the RFC 6962 tree hash of a sequence of leaf hashes as they arrive,
// keeping only the roots of the complete subtrees on the tree's right edge (one per bit set in
// the count, so at most 64).
type treeBuilder struct {
	n     int64
	stack []tlog.Hash
	done  []tlog.Hash
}

// add adds the leaf hash h and returns the hashes that complete: h itself and the root of
// each subtree it completes, smallest first. These are the stored hashes of the new record,
// in the order of tlog.StoredHashIndex. The result is valid until the next call.
func (t *treeBuilder) add(h tlog.Hash) []tlog.Hash {
	t.stack = append(t.stack, h)
	t.done = append(t.done[:0], h)
	// Each trailing one bit of the old count is a complete subtree of the new leaf's size,
	// to be merged with it into one twice as large.
	for c := t.n; c&1 == 1; c >>= 1 {
		k := len(t.stack)
		t.stack[k-2] = tlog.NodeHash(t.stack[k-2], t.stack[k-1])
		t.stack = t.stack[:k-1]
		t.done = append(t.done, t.stack[k-2])
	}
	t.n++
	return t.done
}

// root returns the tree hash of the leaves added so far: the subtrees folded right to left,
// as RFC 6962 splits a tree at its largest power of two.
func (t *treeBuilder) root() tlog.Hash {
	if len(t.stack) == 0 {
		return tlog.Hash{}
	}
	h := t.stack[len(t.stack)-1]
	for i := len(t.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(t.stack[i], h)
	}
	return h
}

func treeRoot(leaves []tlog.Hash) tlog.Hash {
	var t treeBuilder
	for _, h := range leaves {
		t.add(h)
	}
	return t.root()
}
