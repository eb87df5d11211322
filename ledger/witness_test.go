package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// missionLog is a log with its key, growing as a test needs.
type missionLog struct {
	t        *testing.T
	db       *sql.DB
	signer   note.Signer
	verifier note.Verifier
	vkey     string
}

func newMissionLog(t *testing.T) *missionLog {
	signer, verifier, vkey := testKeyPair(t, "truce.example/mission")
	return &missionLog{t: t, db: openDB(t), signer: signer, verifier: verifier, vkey: vkey}
}

// grow appends n records and returns a signed checkpoint of the new size.
func (m *missionLog) grow(n int) []byte {
	m.t.Helper()
	appendN(m.t, m.db, n)
	signed, _, err := (&Checkpointer{Signer: m.signer}).Checkpoint(context.Background(), m.db)
	if err != nil {
		m.t.Fatal(err)
	}
	return signed
}

func (m *missionLog) proof(from, to int64) tlog.TreeProof {
	m.t.Helper()
	p, err := ProveConsistency(context.Background(), m.db, from, to)
	if err != nil {
		m.t.Fatal(err)
	}
	return p
}

// forkedCheckpoint returns a checkpoint of size that the mission's key signs over a rewritten
// history: the same number of records, with record 2 changed.
func (m *missionLog) forkedCheckpoint(size int) []byte {
	m.t.Helper()
	var tb treeBuilder
	for i, r := range records(m.t, 0, size) {
		if i == 2 {
			r.ID = "rewritten"
		}
		h, _ := r.LeafHash()
		tb.add(h)
	}
	signed, err := SignCheckpoint(Checkpoint{Origin: m.signer.Name(), Size: int64(size), Hash: tb.root()}, m.signer)
	if err != nil {
		m.t.Fatal(err)
	}
	return signed
}

func TestWitnessCosignsOnlyCheckpointsThatExtendWhatItCosigned(t *testing.T) {
	m := newMissionLog(t)
	cp10 := m.grow(10)
	cp25 := m.grow(15)
	cp40 := m.grow(15)
	forged := bytes.Replace(cp40, []byte("\n40\n"), []byte("\n41\n"), 1)

	w, err := InitWitness(t.TempDir(), "witness.east.example")
	if err != nil {
		t.Fatal(err)
	}
	wv, err := note.NewVerifier(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name       string
		checkpoint []byte
		proof      tlog.TreeProof
		wantErr    error
		wantMsg    string
		wantLast   int64 // the size the witness has cosigned after the step
	}{
		{"first checkpoint is trusted on first use", cp10, nil, nil, "", 10},
		{"the same checkpoint again", cp10, nil, nil, "", 10},
		{"extension with its proof", cp25, m.proof(10, 25), nil, "", 25},
		{"rollback to an older checkpoint", cp10, nil, ErrRollback, "checkpoint (size 10, root", 25},
		{"fork at the same size", m.forkedCheckpoint(25), nil, ErrFork, "have the same size and different roots", 25},
		{"fork at a larger size, with a proof from the true log", m.forkedCheckpoint(40), m.proof(25, 40), ErrBadProof, "is not proved to extend the one this witness cosigned (size 25", 25},
		{"extension without a proof", cp40, nil, ErrBadProof, "is not proved to extend", 25},
		{"extension with the proof of another size", cp40, m.proof(10, 40), ErrBadProof, "is not proved to extend", 25},
		{"checkpoint altered after signing", forged, m.proof(25, 40), ErrBadSignature, "checkpoint: signature does not verify", 25},
		{"extension with its proof after the refusals", cp40, m.proof(25, 40), nil, "", 40},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			cosigned, err := w.Cosign(s.checkpoint, m.verifier, s.proof)
			if s.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				// The cosigned note verifies with the log's key and with the witness's.
				n, err := note.Open(cosigned, note.VerifierList(m.verifier, wv))
				if err != nil || len(n.Sigs) != 2 {
					t.Fatalf("cosigned note: %v, %d verified signatures, want 2", err, len(n.Sigs))
				}
			} else if !errors.Is(err, s.wantErr) || !strings.Contains(err.Error(), s.wantMsg) {
				t.Fatalf("error %v, want %v containing %q", err, s.wantErr, s.wantMsg)
			}
			last, ok, err := w.Last(m.signer.Name(), m.verifier)
			if err != nil || !ok || last.Size != s.wantLast {
				t.Fatalf("witness state: size %d (%v, %v), want %d", last.Size, ok, err, s.wantLast)
			}
		})
	}
}

func TestWitnessStateSurvivesARestart(t *testing.T) {
	m := newMissionLog(t)
	dir := t.TempDir()
	w, err := InitWitness(dir, "witness.east.example")
	if err != nil {
		t.Fatal(err)
	}
	cp5 := m.grow(5)
	if _, err := w.Cosign(cp5, m.verifier, nil); err != nil {
		t.Fatal(err)
	}
	// A new process opens the same folder: it remembers size 5, so a fork at 5 is refused.
	w2, err := OpenWitness(dir)
	if err != nil {
		t.Fatal(err)
	}
	if w2.VerifierKey() != w.VerifierKey() {
		t.Errorf("reopened witness has key %q, want %q", w2.VerifierKey(), w.VerifierKey())
	}
	if _, err := w2.Cosign(m.forkedCheckpoint(5), m.verifier, nil); !errors.Is(err, ErrFork) {
		t.Fatalf("error %v, want a fork", err)
	}
	state, err := os.ReadFile(filepath.Join(dir, "logs", "truce.example%2Fmission"))
	if err != nil || !bytes.Equal(state, cp5) {
		t.Errorf("state file %q (error %v), want the checkpoint it cosigned", state, err)
	}
	if _, err := OpenWitness(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no witness here") {
		t.Errorf("opening an empty folder: %v, want a message saying there is no witness", err)
	}
}

func TestWitnessKeepsOtherWitnessesCosignatures(t *testing.T) {
	m := newMissionLog(t)
	cp := m.grow(4)
	east, _ := InitWitness(t.TempDir(), "witness.east.example")
	west, _ := InitWitness(t.TempDir(), "witness.west.example")
	once, err := east.Cosign(cp, m.verifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	twice, err := west.Cosign(once, m.verifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := note.NewVerifier(east.VerifierKey())
	wv, _ := note.NewVerifier(west.VerifierKey())
	n, err := note.Open(twice, note.VerifierList(m.verifier, ev, wv))
	if err != nil || len(n.Sigs) != 3 {
		t.Fatalf("note cosigned by two witnesses: %v, %d signatures, want 3", err, len(n.Sigs))
	}
}

func TestParseProofNamesTheBadLine(t *testing.T) {
	m := newMissionLog(t)
	m.grow(20)
	p := m.proof(3, 20)
	back, err := ParseProof(MarshalProof(p))
	if err != nil || len(back) != len(p) || back[0] != p[0] {
		t.Fatalf("round trip: %v, %d hashes, want %d", err, len(back), len(p))
	}
	bad := append(MarshalProof(p[:1]), "not-base64!\n"...)
	if _, err := ParseProof(bad); err == nil || !strings.Contains(err.Error(), "proof line 2") {
		t.Errorf("error %v, want one naming line 2", err)
	}
}

// FuzzParseProof checks that ParseProof never panics and that what it accepts is what
// MarshalProof writes for the hashes it returns.
func FuzzParseProof(f *testing.F) {
	f.Add(MarshalProof(realConsistencyProof(f)))
	f.Add([]byte("not base64\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProof(data)
		if err != nil {
			return
		}
		if again, err := ParseProof(MarshalProof(p)); err != nil || len(again) != len(p) {
			t.Fatalf("hashes parsed from %q do not round-trip: %v", data, err)
		}
	})
}

// realConsistencyProof returns a real consistency proof to seed the proof fuzzer with.
func realConsistencyProof(f *testing.F) []tlog.Hash {
	db := openDB(f)
	appendN(f, db, 20)
	p, err := ProveConsistency(context.Background(), db, 3, 20)
	if err != nil {
		f.Fatal(err)
	}
	return p
}

// memoryLog is a log kept in memory with tlog, for building the histories a dishonest log
// would show a witness.
type memoryLog struct {
	stored []tlog.Hash
	n      int64
}

func (l *memoryLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = l.stored[x]
	}
	return out, nil
}

func (l *memoryLog) add(t *testing.T, data []byte) {
	h, err := tlog.StoredHashes(l.n, data, l)
	if err != nil {
		t.Fatal(err)
	}
	l.stored = append(l.stored, h...)
	l.n++
}

func TestWitnessRefusesCheckpointsOfAlteredHistories(t *testing.T) {
	m := newMissionLog(t)
	cp25 := m.grow(25)
	canonical := func(from, n int) [][]byte {
		var out [][]byte
		for _, r := range records(t, from, n) {
			c, _ := r.MarshalCanonical()
			out = append(out, c)
		}
		return out
	}
	changeByte := func(recs [][]byte) [][]byte {
		recs[7] = bytes.Replace(recs[7], []byte("obs-000007"), []byte("obs-000008"), 1)
		return recs
	}
	deleteRecord := func(recs [][]byte) [][]byte { return append(recs[:7:7], recs[8:]...) }
	swap := func(recs [][]byte) [][]byte { recs[3], recs[9] = recs[9], recs[3]; return recs }
	tests := []struct {
		name    string
		alter   func([][]byte) [][]byte
		grow    int // records the dishonest log appends after altering the first 25
		wantErr error
		wantMsg string
	}{
		{"one byte of a record changed, same size", changeByte, 0, ErrFork, "checkpoint (size 25, root"},
		{"one byte of a record changed, then grown", changeByte, 15, ErrBadProof, "checkpoint (size 40, root"},
		{"a record deleted", deleteRecord, 0, ErrRollback, "checkpoint (size 24, root"},
		{"a record deleted, then grown", deleteRecord, 16, ErrBadProof, "checkpoint (size 40, root"},
		{"two records swapped, same size", swap, 0, ErrFork, "checkpoint (size 25, root"},
		{"two records swapped, then grown", swap, 15, ErrBadProof, "checkpoint (size 40, root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := InitWitness(t.TempDir(), "witness.east.example")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Cosign(cp25, m.verifier, nil); err != nil {
				t.Fatal(err)
			}
			// The dishonest log: its records altered, its checkpoint signed with the
			// mission's key, and the consistency proof its own tree gives.
			recs := append(tt.alter(canonical(0, 25)), canonical(25, tt.grow)...)
			var l memoryLog
			for _, r := range recs {
				l.add(t, r)
			}
			root, err := tlog.TreeHash(l.n, &l)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := SignCheckpoint(Checkpoint{Origin: m.signer.Name(), Size: l.n, Hash: root}, m.signer)
			if err != nil {
				t.Fatal(err)
			}
			var proof tlog.TreeProof
			if l.n > 25 {
				if proof, err = tlog.ProveTree(l.n, 25, &l); err != nil {
					t.Fatal(err)
				}
			}
			_, err = w.Cosign(signed, m.verifier, proof)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %v, want %v naming %q", err, tt.wantErr, tt.wantMsg)
			}
			if last, _, _ := w.Last(m.signer.Name(), m.verifier); last.Size != 25 {
				t.Errorf("after refusing, the witness's last checkpoint has size %d, want 25", last.Size)
			}
		})
	}
}
