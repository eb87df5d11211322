package ledger

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// The tests in this file run the truce binary as a person would, built once from this module.

var (
	buildOnce sync.Once
	truceBin  string
	buildErr  error
)

func truceCommand(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the truce binary; skipped with -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "truce-ledger-test-")
		if err != nil {
			buildErr = err
			return
		}
		truceBin = filepath.Join(dir, "truce")
		cmd := exec.Command("go", "build", "-o", truceBin, "github.com/truce-project/truce/cmd/truce")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New("go build cmd/truce: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return truceBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if truceBin != "" {
		os.RemoveAll(filepath.Dir(truceBin))
	}
	if millionExport.dir != "" {
		millionExport.db.Close()
		os.RemoveAll(millionExport.dir)
	}
	os.Exit(code)
}

// run runs the truce binary and returns its exit status, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(truceCommand(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	default:
		t.Fatal(err)
		return 0, "", ""
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestVerifyCommandDetectsTamperingAndNamesTheFaultOnItsLastLine(t *testing.T) {
	truceCommand(t)
	f := newExportFixture(t)
	for _, tc := range tamperCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := f.copy(t)
			if tc.edit != nil {
				tc.edit(t, f, dir)
			}
			args := []string{"verify", "--key", f.pubFile}
			if tc.trusted != nil {
				trusted := filepath.Join(t.TempDir(), "trusted")
				os.WriteFile(trusted, tc.trusted(f), 0o644)
				args = append(args, "--checkpoint", trusted)
			}
			code, stdout, stderr := run(t, append(args, dir)...)
			last := lastLine(stdout)
			if tc.wantErr == nil {
				if code != 0 || !strings.HasPrefix(last, "OK: ") {
					t.Fatalf("exit %d, last line %q (stderr %q), want 0 and OK", code, last, stderr)
				}
				return
			}
			if code != 1 || !strings.HasPrefix(last, "FAILED: ") || !strings.Contains(last, tc.wantMsg) {
				t.Fatalf("exit %d, last line %q, want 1 and a FAILED line containing %q", code, last, tc.wantMsg)
			}
		})
	}
}

func TestVerifyCommandNamesAMissingOrBadKey(t *testing.T) {
	f := newExportFixture(t)
	bad := filepath.Join(t.TempDir(), "bad.pub")
	os.WriteFile(bad, []byte("not a key\n"), 0o644)
	for _, key := range []string{bad, filepath.Join(t.TempDir(), "missing.pub")} {
		code, stdout, _ := run(t, "verify", "--key", key, f.dir)
		if last := lastLine(stdout); code != 1 || !strings.HasPrefix(last, "FAILED: --key: ") {
			t.Errorf("key %s: exit %d, last line %q, want 1 and FAILED: --key", key, code, last)
		}
	}
}

func TestExportCommandWritesAFolderThatVerifies(t *testing.T) {
	truceCommand(t)
	data := t.TempDir()
	db := openDBFile(t, filepath.Join(data, "truce.db"))
	appendN(t, db, 30)
	db.Close()
	out := filepath.Join(t.TempDir(), "stick")
	code, stdout, stderr := run(t, "export", "--data", data, "--out", out, "--origin", "truce.example/mission")
	if code != 0 || !strings.Contains(stdout, "exported truce.example/mission: size 30") {
		t.Fatalf("export: exit %d, %q %q", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "verify", "--key", filepath.Join(data, LogPubFile), out)
	if last := lastLine(stdout); code != 0 || last != "OK: "+out+" verifies" {
		t.Fatalf("verify: exit %d, last line %q", code, last)
	}
	// A key supplied from a file signs instead of the data folder's.
	keyDir := t.TempDir()
	if _, _, err := LoadOrCreateKey(keyDir, "mission.key", "truce.example/other"); err != nil {
		t.Fatal(err)
	}
	data2 := t.TempDir()
	db2 := openDBFile(t, filepath.Join(data2, "truce.db"))
	appendN(t, db2, 12)
	db2.Close()
	out2 := filepath.Join(t.TempDir(), "stick")
	code, stdout, stderr = run(t, "export", "--data", data2, "--out", out2, "--key", filepath.Join(keyDir, "mission.key"))
	if code != 0 || !strings.Contains(stdout, "exported truce.example/other: size 12") {
		t.Fatalf("export with --key: exit %d, %q %q", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "verify", "--key", filepath.Join(keyDir, "mission.pub"), out2)
	if last := lastLine(stdout); code != 0 || !strings.HasPrefix(last, "OK: ") {
		t.Fatalf("verify of the export signed with --key: exit %d, last line %q", code, last)
	}
	code, stdout, _ = run(t, "verify", "--key", filepath.Join(data, LogPubFile), out2)
	if last := lastLine(stdout); code != 1 || !strings.Contains(last, "FAILED: checkpoint: signature does not verify") {
		t.Fatalf("verify with the other log's key: exit %d, last line %q", code, last)
	}
	// The first log's checkpoints are signed with its own key: another key is refused.
	code, _, stderr = run(t, "export", "--data", data, "--out", filepath.Join(t.TempDir(), "x"), "--key", filepath.Join(keyDir, "mission.key"))
	if code != 1 || !strings.Contains(stderr, "the log's checkpoints are signed by another key than truce.example/other+") {
		t.Fatalf("export with another key: exit %d, %q", code, stderr)
	}
	code, _, stderr = run(t, "export", "--data", t.TempDir(), "--out", filepath.Join(t.TempDir(), "x"))
	if code != 1 || !strings.Contains(stderr, "truce.db does not exist") {
		t.Errorf("export without a log: exit %d, %q", code, stderr)
	}
}

func TestWitnessCommandCosignsExtensionsAndRefusesForksAndRollbacks(t *testing.T) {
	truceCommand(t)
	f := newExportFixture(t)
	state := filepath.Join(t.TempDir(), "witness")
	code, stdout, stderr := run(t, "witness", "init", "--name", "witness.east.example", "--state", state)
	if code != 0 {
		t.Fatalf("init: exit %d %q", code, stderr)
	}
	wv, err := note.NewVerifier(strings.TrimSpace(stdout))
	if err != nil {
		t.Fatalf("init printed %q, not a verifier key: %v", stdout, err)
	}
	file := func(name string, b []byte) string {
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	badProof := f.copy(t)
	p, _ := os.ReadFile(filepath.Join(badProof, ExportProofs, "10"))
	p[0] ^= 0x02
	os.WriteFile(filepath.Join(badProof, ExportProofs, "10"), p, 0o644)

	steps := []struct {
		name    string
		args    []string
		wantErr string // on the last line of stderr; empty: cosigned
	}{
		{"first checkpoint", []string{"--checkpoint", file("cp10", f.cp10)}, ""},
		{"fork at the same size", []string{"--checkpoint", file("fork", f.m.forkedCheckpoint(10))}, "REFUSED: fork: checkpoint (size 10"},
		{"export whose proof was altered", []string{"--export", badProof}, "REFUSED: consistency proof does not verify"},
		{"export with its proof", []string{"--export", f.dir}, ""},
		{"rollback", []string{"--checkpoint", file("cp10", f.cp10)}, "REFUSED: rollback: checkpoint (size 10"},
		{"fork at a larger size without a proof", []string{"--checkpoint", file("fork", f.fork100)}, "REFUSED: fork: checkpoint (size 100"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			args := append([]string{"witness", "cosign", "--state", state, "--log-key", f.pubFile}, s.args...)
			code, stdout, stderr := run(t, args...)
			if s.wantErr != "" {
				if last := lastLine(stderr); code != 1 || !strings.HasPrefix(last, s.wantErr) {
					t.Fatalf("exit %d, last line %q, want 1 and %q", code, last, s.wantErr)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d, %q", code, stderr)
			}
			n, err := note.Open([]byte(stdout), note.VerifierList(f.m.verifier, wv))
			if err != nil || len(n.Sigs) != 2 {
				t.Fatalf("printed note does not carry the log's and the witness's signatures (%v):\n%s", err, stdout)
			}
		})
	}
}
