package ledger

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

func TestCheckpointerSignsOnlyWhenTheLogHasGrown(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	signer, verifier := testKey(t, "truce.example/mission")
	c := Checkpointer{Signer: signer}

	signed, grew, err := c.Checkpoint(ctx, db)
	if err != nil || signed != nil || grew {
		t.Fatalf("empty log: checkpoint %q, grew %v, error %v; want none", signed, grew, err)
	}
	appendN(t, db, 7)
	first, grew, err := c.Checkpoint(ctx, db)
	if err != nil || !grew {
		t.Fatalf("after 7 records: grew %v, error %v", grew, err)
	}
	again, grew, err := c.Checkpoint(ctx, db)
	if err != nil || grew || !bytes.Equal(again, first) {
		t.Fatalf("unchanged log: grew %v, error %v, same note %v", grew, err, bytes.Equal(again, first))
	}
	appendN(t, db, 2)
	second, grew, err := c.Checkpoint(ctx, db)
	if err != nil || !grew {
		t.Fatalf("after 9 records: grew %v, error %v", grew, err)
	}

	// The note is a C2SP checkpoint that the transparency-dev parser accepts with our key.
	cp, _, _, err := log.ParseCheckpoint(second, "truce.example/mission", verifier)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := TreeHash(ctx, db, 9)
	if cp.Size != 9 || !bytes.Equal(cp.Hash, root[:]) {
		t.Errorf("checkpoint size %d root %x, want 9 and %x", cp.Size, cp.Hash, root[:])
	}
	if !strings.HasPrefix(string(second), "truce.example/mission\n9\n"+root.String()+"\n\n— truce.example/mission ") {
		t.Errorf("note is not origin, size, base64 root and a signature line:\n%s", second)
	}
	sizes, _, err := PublishedCheckpoints(ctx, db)
	if err != nil || len(sizes) != 2 || sizes[0] != 7 || sizes[1] != 9 {
		t.Errorf("published sizes %v (error %v), want [7 9]", sizes, err)
	}
}

func TestOpenCheckpointRefusesWhatTheLogKeyDidNotSign(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	signer, verifier := testKey(t, "truce.example/mission")
	appendN(t, db, 3)
	signed, _, err := (&Checkpointer{Signer: signer}).Checkpoint(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenCheckpoint(signed, verifier); err != nil {
		t.Fatalf("the log's own checkpoint: %v", err)
	}
	otherSigner, otherVerifier := testKey(t, "truce.example/mission")
	otherNote, _ := SignCheckpoint(Checkpoint{Origin: "truce.example/mission", Size: 3}, otherSigner)
	_, impostorVerifier := testKey(t, "truce.example/other")

	tests := []struct {
		name    string
		msg     []byte
		key     note.Verifier
		wantErr error
		wantMsg string
	}{
		{"size changed", bytes.Replace(signed, []byte("\n3\n"), []byte("\n4\n"), 1), verifier, ErrBadSignature, "is not valid for this checkpoint"},
		{"signed by another key of the same name", otherNote, verifier, ErrBadSignature, "not signed by the log key truce.example/mission+"},
		{"checked with another key", signed, otherVerifier, ErrBadSignature, "(signed by: truce.example/mission+"},
		{"key of another log", signed, impostorVerifier, ErrBadSignature, "not signed by the log key truce.example/other"},
		{"signature removed", signed[:bytes.Index(signed, []byte("\n\n"))+2], verifier, ErrMalformed, "not a signed note"},
		{"not a note", []byte("hello\n"), verifier, ErrMalformed, "not a signed note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := OpenCheckpoint(tt.msg, tt.key)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestLogKeyIsCreatedPrivateOnFirstStartAndReloaded(t *testing.T) {
	dir := t.TempDir()
	s1, vkey1, err := LoadOrCreateKey(dir, LogKeyFile, "truce.example/mission")
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, LogKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("log.key mode %04o, want 0600", info.Mode().Perm())
	}
	pub, err := os.ReadFile(filepath.Join(dir, LogPubFile))
	if err != nil || strings.TrimSpace(string(pub)) != vkey1 {
		t.Fatalf("log.pub %q (error %v), want %q", pub, err, vkey1)
	}
	if strings.Contains(vkey1, "PRIVATE") || !strings.HasPrefix(vkey1, "truce.example/mission+") {
		t.Errorf("verifier key %q is not name+hash+base64", vkey1)
	}
	s2, vkey2, err := LoadOrCreateKey(dir, LogKeyFile, "ignored-on-reload")
	if err != nil {
		t.Fatal(err)
	}
	if vkey2 != vkey1 || s2.KeyHash() != s1.KeyHash() || s2.Name() != s1.Name() {
		t.Errorf("reloaded key %q, first %q", vkey2, vkey1)
	}
	v, err := ReadVerifier(filepath.Join(dir, LogPubFile))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := note.Sign(&note.Note{Text: "x\n"}, s2)
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		t.Errorf("a note signed with the reloaded key does not verify with log.pub: %v", err)
	}
}

func TestLogKeyReadableByOthersIsRefused(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := LoadOrCreateKey(dir, LogKeyFile, "truce.example/mission"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, LogKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadOrCreateKey(dir, LogKeyFile, "truce.example/mission")
	if err == nil || !strings.Contains(err.Error(), "mode 0644 lets others read the signing key") {
		t.Fatalf("error %v, want a refusal naming the mode", err)
	}
	if strings.Contains(err.Error(), "PRIVATE") {
		t.Errorf("the error shows the key: %v", err)
	}
}

// FuzzOpenCheckpoint checks that no note, however malformed, makes OpenCheckpoint panic, and
// that whatever it accepts carries the log key's valid signature over exactly the checkpoint
// it returns.
func FuzzOpenCheckpoint(f *testing.F) {
	signer, verifier := testKey(f, "truce.example/mission")
	for _, size := range []int64{1, 10, 1 << 40} {
		signed, err := SignCheckpoint(Checkpoint{Origin: "truce.example/mission", Size: size}, signer)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(signed)
	}
	f.Add([]byte("truce.example/mission\n1\nAAAA\n\n— truce.example/mission AAAAAAAA\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, n, err := OpenCheckpoint(msg, verifier)
		if err != nil {
			return
		}
		if len(n.Sigs) != 1 || n.Sigs[0].Hash != verifier.KeyHash() {
			t.Fatalf("accepted a note without the log's signature: %+v", n)
		}
		if !strings.HasPrefix(n.Text, string(c.Marshal())) {
			t.Fatalf("checkpoint %+v is not the signed text %q", c, n.Text)
		}
	})
}
