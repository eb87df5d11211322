package ledger

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/formats/proof"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// InclusionProof returns the proof that record index is in the log as of the signed
// checkpoint, in the C2SP tlog-proof format: a header line, "index N", the audit path in
// base64 one hash a line, a blank line and the checkpoint note. With the record's canonical
// encoding and the log's verifier key, CheckInclusion (or any C2SP tlog-proof verifier) checks
// it offline: a party can show one finding to another without handing over the whole log.
func InclusionProof(ctx context.Context, q Querier, index int64, checkpoint []byte) ([]byte, error) {
	var c log.Checkpoint
	if _, err := c.Unmarshal(checkpoint); err != nil {
		return nil, fmt.Errorf("ledger: inclusion proof: %w", err)
	}
	p, err := ProveInclusion(ctx, q, index, int64(c.Size))
	if err != nil {
		return nil, err
	}
	t := proof.TLogProof{Index: uint64(index), Checkpoint: checkpoint}
	for _, h := range p {
		t.Hashes = append(t.Hashes, [sha256.Size]byte(h))
	}
	return t.Marshal(), nil
}

// CheckInclusion checks a proof made by InclusionProof for the record whose canonical
// encoding is record, with the log's verifier key, and returns the checkpoint it is proved
// against and the record's index. The error wraps ErrBadSignature or ErrMalformed when the
// checkpoint is at fault, and ErrBadProof when the record is not proved to be in the log.
func CheckInclusion(tlogProof, record []byte, logKey note.Verifier) (Checkpoint, int64, error) {
	var t proof.TLogProof
	if err := t.Unmarshal(tlogProof); err != nil {
		return Checkpoint{}, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	c, _, err := OpenCheckpoint(t.Checkpoint, logKey)
	if err != nil {
		return Checkpoint{}, 0, fmt.Errorf("checkpoint: %w", err)
	}
	if t.Index >= uint64(c.Size) {
		return Checkpoint{}, 0, fmt.Errorf("%w: record %d is not in a tree of %d records", ErrBadProof, t.Index, c.Size)
	}
	p := make(tlog.RecordProof, len(t.Hashes))
	for i, h := range t.Hashes {
		p[i] = tlog.Hash(h)
	}
	if err := tlog.CheckRecord(p, c.Size, c.Hash, int64(t.Index), tlog.RecordHash(record)); err != nil {
		return Checkpoint{}, 0, fmt.Errorf("%w: record %d is not proved to be in the log at checkpoint (%s): %v", ErrBadProof, t.Index, c, err)
	}
	return c, int64(t.Index), nil
}
