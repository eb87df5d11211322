package ledger

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	tproof "github.com/transparency-dev/formats/proof"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

func TestInclusionProofProvesARecordOfflineAndNothingElse(t *testing.T) {
	ctx := context.Background()
	m := newMissionLog(t)
	cp := m.grow(37)
	c, _, err := OpenCheckpoint(cp, m.verifier)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int64{0, 1, 20, 36} {
		p, err := InclusionProof(ctx, m.db, i, cp)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := Entry(ctx, m.db, nil, i)
		rec, _ := r.MarshalCanonical()
		got, idx, err := CheckInclusion(p, rec, m.verifier)
		if err != nil || idx != i || got != c {
			t.Fatalf("record %d: checkpoint %v index %d error %v", i, got, idx, err)
		}
		// The same file checks with the transparency-dev parser and verifier.
		var tp tproof.TLogProof
		if err := tp.Unmarshal(p); err != nil || !bytes.Equal(tp.Checkpoint, cp) {
			t.Fatalf("record %d: C2SP tlog-proof does not parse back (%v)", i, err)
		}
		var path [][]byte
		for _, h := range tp.Hashes {
			path = append(path, h[:])
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(c.Size), rfc6962.DefaultHasher.HashLeaf(rec), path, c.Hash[:]); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}

	p, _ := InclusionProof(ctx, m.db, 20, cp)
	r20, _ := Entry(ctx, m.db, nil, 20)
	rec20, _ := r20.MarshalCanonical()
	r21, _ := Entry(ctx, m.db, nil, 21)
	rec21, _ := r21.MarshalCanonical()
	_, otherVerifier := testKey(t, "truce.example/mission")
	tests := []struct {
		name    string
		proof   []byte
		record  []byte
		wantErr error
		wantMsg string
	}{
		{"another record", p, rec21, ErrBadProof, "record 20 is not proved to be in the log"},
		{"record with one byte changed", p, append(bytes.Clone(rec20[:len(rec20)-1]), ']'), ErrBadProof, "not proved"},
		{"index changed", bytes.Replace(p, []byte("index 20\n"), []byte("index 19\n"), 1), rec20, ErrBadProof, "record 19 is not proved"},
		{"index past the tree", bytes.Replace(p, []byte("index 20\n"), []byte("index 37\n"), 1), rec20, ErrBadProof, "record 37 is not in a tree of 37 records"},
		{"checkpoint of another key", p, rec20, ErrBadSignature, "checkpoint: signature does not verify"},
		{"not a proof", []byte("hello\n"), rec20, ErrMalformed, "missing expected header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := m.verifier
			if strings.Contains(tt.name, "another key") {
				key = otherVerifier
			}
			_, _, err := CheckInclusion(tt.proof, tt.record, key)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

// FuzzCheckInclusion checks that no proof file, however malformed, makes CheckInclusion panic
// or accept a record the log does not hold.
func FuzzCheckInclusion(f *testing.F) {
	ctx := context.Background()
	signer, verifier := testKey(f, "truce.example/mission")
	db := openDB(f)
	appendN(f, db, 9)
	cp, _, err := (&Checkpointer{Signer: signer}).Checkpoint(ctx, db)
	if err != nil {
		f.Fatal(err)
	}
	for _, i := range []int64{0, 5, 8} {
		p, err := InclusionProof(ctx, db, i, cp)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
	}
	stranger := []byte(`{"kind":"decision","id":"not-logged","time":"2026-11-28T09:15:00Z","body":{}}`)
	f.Fuzz(func(t *testing.T, p []byte) {
		if _, idx, err := CheckInclusion(p, stranger, verifier); err == nil {
			t.Fatalf("a record the log does not hold was proved at index %d", idx)
		}
	})
}
