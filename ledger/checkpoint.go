package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is the body of a signed checkpoint: the log's origin, its size, and the root hash
// of the tree of its first Size records.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
}

// Marshal returns the checkpoint body in the C2SP tlog-checkpoint format: the origin, the size
// in decimal and the base64 root hash, each on a line of its own.
func (c Checkpoint) Marshal() []byte {
	return log.Checkpoint{Origin: c.Origin, Size: uint64(c.Size), Hash: c.Hash[:]}.Marshal()
}

func (c Checkpoint) String() string {
	return fmt.Sprintf("size %d, root %s", c.Size, c.Hash)
}

// Errors a verifier or a witness returns, wrapped with the details. Test with errors.Is.
var (
	ErrBadSignature = errors.New("signature does not verify")
	ErrMalformed    = errors.New("malformed checkpoint")
	ErrFork         = errors.New("fork")
	ErrRollback     = errors.New("rollback")
	ErrBadProof     = errors.New("consistency proof does not verify")
	ErrTampered     = errors.New("does not hash into the log")
)

// SignCheckpoint returns c as a note signed by signer. The signer's name must be the origin,
// as the C2SP format recommends, so that a verifier key names the log it verifies.
func SignCheckpoint(c Checkpoint, signer note.Signer) ([]byte, error) {
	if signer.Name() != c.Origin {
		return nil, fmt.Errorf("ledger: key %q cannot sign checkpoints of log %q", signer.Name(), c.Origin)
	}
	return note.Sign(&note.Note{Text: string(c.Marshal())}, signer)
}

// OpenCheckpoint checks that msg is a checkpoint note signed by the log's key v and returns the
// checkpoint and the note (whose other signatures, such as witnesses' cosignatures, are left
// unverified). The checkpoint's origin must be the key's name.
func OpenCheckpoint(msg []byte, v note.Verifier) (Checkpoint, *note.Note, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var invalid *note.InvalidSignatureError
		var unverified *note.UnverifiedNoteError
		switch {
		case errors.As(err, &invalid):
			return Checkpoint{}, nil, fmt.Errorf("%w: the signature of %s+%08x is not valid for this checkpoint", ErrBadSignature, invalid.Name, invalid.Hash)
		case errors.As(err, &unverified):
			var by []string
			for _, s := range unverified.Note.UnverifiedSigs {
				by = append(by, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
			}
			return Checkpoint{}, nil, fmt.Errorf("%w: not signed by the log key %s+%08x (signed by: %s)", ErrBadSignature, v.Name(), v.KeyHash(), strings.Join(by, ", "))
		default:
			return Checkpoint{}, nil, fmt.Errorf("%w: not a signed note: %v", ErrMalformed, err)
		}
	}
	var c log.Checkpoint
	if _, err := c.Unmarshal([]byte(n.Text)); err != nil {
		return Checkpoint{}, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, nil, fmt.Errorf("%w: origin %q is not the log key's name %q", ErrMalformed, c.Origin, v.Name())
	}
	if len(c.Hash) != tlog.HashSize {
		return Checkpoint{}, nil, fmt.Errorf("%w: root hash has %d bytes, want %d", ErrMalformed, len(c.Hash), tlog.HashSize)
	}
	if c.Size > 1<<62 {
		return Checkpoint{}, nil, fmt.Errorf("%w: size %d is out of range", ErrMalformed, c.Size)
	}
	return Checkpoint{Origin: c.Origin, Size: int64(c.Size), Hash: tlog.Hash(c.Hash)}, n, nil
}

// Checkpointer signs checkpoints of the log with the mission's key. The key's name is the log's
// origin.
type Checkpointer struct {
	Signer note.Signer
}

// Checkpoint signs and records a checkpoint of the log's current size when the log has grown
// since the latest checkpoint, and returns the latest signed checkpoint and whether it is new.
// An empty log has no checkpoint: the result is then nil, false, nil.
// Checkpoints are kept in the ledger_checkpoints table so that exports can prove consistency
// with every checkpoint the mission has published.
func (c *Checkpointer) Checkpoint(ctx context.Context, q Querier) (signed []byte, grew bool, err error) {
	size, err := Size(ctx, q)
	if err != nil {
		return nil, false, err
	}
	last, lastNote, err := latestCheckpoint(ctx, q)
	if err != nil {
		return nil, false, err
	}
	if lastNote != nil && !signedBy(lastNote, c.Signer) {
		// One log, one key: a checkpoint under another key would start another history
		// that no party's earlier checkpoints can be checked against.
		return nil, false, fmt.Errorf("ledger: the log's checkpoints are signed by another key than %s+%08x", c.Signer.Name(), c.Signer.KeyHash())
	}
	if lastNote != nil && last >= size {
		return lastNote, false, nil
	}
	if size == 0 {
		// There is nothing to commit to yet (and RFC 6962 and tlog disagree on the empty
		// tree's hash): the first checkpoint waits for the first record.
		return nil, false, nil
	}
	root, err := TreeHash(ctx, q, size)
	if err != nil {
		return nil, false, err
	}
	signed, err = SignCheckpoint(Checkpoint{Origin: c.Signer.Name(), Size: size, Hash: root}, c.Signer)
	if err != nil {
		return nil, false, err
	}
	// Ed25519 signatures are deterministic, so two checkpointers racing at the same size sign
	// the same note, and the second insert may be dropped.
	if _, err := q.ExecContext(ctx, `INSERT INTO ledger_checkpoints (size, note) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING`, size, signed); err != nil {
		return nil, false, fmt.Errorf("ledger: record checkpoint: %w", err)
	}
	return signed, true, nil
}

func latestCheckpoint(ctx context.Context, q Querier) (int64, []byte, error) {
	rows, err := q.QueryContext(ctx, `SELECT size, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`)
	if err != nil {
		return 0, nil, fmt.Errorf("ledger: latest checkpoint: %w", err)
	}
	defer rows.Close()
	var size int64
	var signed []byte
	if rows.Next() {
		if err := rows.Scan(&size, &signed); err != nil {
			return 0, nil, fmt.Errorf("ledger: latest checkpoint: %w", err)
		}
	}
	return size, signed, rows.Err()
}

// PublishedCheckpoints returns the signed checkpoints in the log's table, smallest first.
func PublishedCheckpoints(ctx context.Context, q Querier) (sizes []int64, notes [][]byte, err error) {
	rows, err := q.QueryContext(ctx, `SELECT size, note FROM ledger_checkpoints ORDER BY size`)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: checkpoints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var size int64
		var signed []byte
		if err := rows.Scan(&size, &signed); err != nil {
			return nil, nil, fmt.Errorf("ledger: checkpoints: %w", err)
		}
		sizes = append(sizes, size)
		notes = append(notes, signed)
	}
	return sizes, notes, rows.Err()
}

// signedBy reports whether msg carries a signature line of signer's name and key hash.
func signedBy(msg []byte, signer note.Signer) bool {
	var unverified *note.UnverifiedNoteError
	if _, err := note.Open(msg, note.VerifierList()); !errors.As(err, &unverified) {
		return false
	}
	for _, s := range unverified.Note.UnverifiedSigs {
		if s.Name == signer.Name() && s.Hash == signer.KeyHash() {
			return true
		}
	}
	return false
}
