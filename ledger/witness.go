package ledger

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Witness key files in a witness's state folder.
const (
	WitnessKeyFile = "witness.key"
	WitnessPubFile = "witness.pub"
)

// A Witness cosigns a log's checkpoints after checking that each extends the last one it
// cosigned. A party that keeps a witness, and parties that trust it, then know that the log
// shows them all one history: a mission that rewrote a record would have to sign a checkpoint
// the witness refuses.
//
// Its state folder holds its key (witness.key, mode 0600, and witness.pub) and, for each log,
// the last checkpoint it cosigned, in logs/<origin, path-escaped>. A witness is used by one
// process at a time.
type Witness struct {
	dir    string
	signer note.Signer
	vkey   string
}

// InitWitness creates the state folder dir with a new key named name, or opens it when it
// already holds a key.
func InitWitness(dir, name string) (*Witness, error) {
	signer, vkey, err := LoadOrCreateKey(dir, WitnessKeyFile, name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o700); err != nil {
		return nil, err
	}
	return &Witness{dir: dir, signer: signer, vkey: vkey}, nil
}

// OpenWitness opens the state folder of a witness made by InitWitness.
func OpenWitness(dir string) (*Witness, error) {
	signer, vkey, err := LoadKey(filepath.Join(dir, WitnessKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no witness here; run truce witness init first", dir)
	}
	if err != nil {
		return nil, err
	}
	return &Witness{dir: dir, signer: signer, vkey: vkey}, nil
}

// VerifierKey returns the witness's verifier key, for those who check its cosignatures.
func (w *Witness) VerifierKey() string { return w.vkey }

// Last returns the last checkpoint of the log named origin that the witness cosigned, and
// false when it has cosigned none.
func (w *Witness) Last(origin string, logKey note.Verifier) (Checkpoint, bool, error) {
	b, err := os.ReadFile(w.statePath(origin))
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, err
	}
	c, _, err := OpenCheckpoint(b, logKey)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("witness state %s: %w", w.statePath(origin), err)
	}
	return c, true, nil
}

func (w *Witness) statePath(origin string) string {
	return filepath.Join(w.dir, "logs", url.PathEscape(origin))
}

// Cosign checks the checkpoint note signed by the log key logKey and, when it extends the last
// checkpoint the witness cosigned for that log, records it as the new last and returns the note
// with the witness's signature added. proof is the consistency proof from the last cosigned
// size to the new one (empty when the witness has none yet: the first checkpoint is trusted on
// first use).
//
// It refuses, with an error saying why, a checkpoint whose signature does not verify
// (ErrBadSignature), one smaller than the last (ErrRollback), one of the same size with a
// different root (ErrFork), and one whose proof does not verify (ErrBadProof): a log that
// cannot prove it extends what the witness saw has either lost records or rewritten them.
func (w *Witness) Cosign(checkpoint []byte, logKey note.Verifier, proof tlog.TreeProof) ([]byte, error) {
	c, n, err := OpenCheckpoint(checkpoint, logKey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	last, ok, err := w.Last(c.Origin, logKey)
	if err != nil {
		return nil, err
	}
	if ok {
		switch {
		case c.Size < last.Size:
			return nil, fmt.Errorf("%w: checkpoint (%s) is older than the one this witness cosigned (%s)", ErrRollback, c, last)
		case c.Size == last.Size && c.Hash != last.Hash:
			return nil, fmt.Errorf("%w: checkpoint (%s) and the one this witness cosigned (%s) have the same size and different roots: the log shows two histories", ErrFork, c, last)
		case c.Size > last.Size:
			if err := tlog.CheckTree(proof, c.Size, c.Hash, last.Size, last.Hash); err != nil {
				return nil, fmt.Errorf("%w: checkpoint (%s) is not proved to extend the one this witness cosigned (%s): %v", ErrBadProof, c, last, err)
			}
		}
	}
	// The state is written before the cosignature leaves: a witness that crashed after
	// cosigning but before saving could later be led to cosign a fork of what it signed.
	if err := writeFileAtomic(w.statePath(c.Origin), checkpoint); err != nil {
		return nil, err
	}
	return note.Sign(n, w.signer)
}

// writeFileAtomic replaces path with data so that a crash leaves the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// MarshalProof returns a proof as text: each hash in base64 on a line of its own, the form of
// the proofs/ files of an export.
func MarshalProof(p []tlog.Hash) []byte {
	var b bytes.Buffer
	for _, h := range p {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseProof reads a proof written by MarshalProof. Errors name the line.
func ParseProof(data []byte) ([]tlog.Hash, error) {
	var p []tlog.Hash
	s := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; s.Scan(); line++ {
		b, err := base64.StdEncoding.DecodeString(s.Text())
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("proof line %d: not a base64 SHA-256 hash", line)
		}
		p = append(p, tlog.Hash(b))
		if len(p) > 128 {
			return nil, fmt.Errorf("proof line %d: more hashes than any tree of 2^63 records needs", line)
		}
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("proof: %w", err)
	}
	return p, nil
}
