package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The environment of the child process of TestAcknowledgedBatchesSurviveKill9: the file to
// write to and the first batch number.
const (
	crashFileEnv  = "TRUCE_SQLITE_CRASH_FILE"
	crashStartEnv = "TRUCE_SQLITE_CRASH_START"
)

// crashBatchSize is the number of observations of a batch of the crash test; batch b holds
// observations b*crashBatchSize and on, as judged numbers them.
const crashBatchSize = 300

// crashChild stores batch after batch, printing each batch's number once Ingest has returned,
// until it is killed.
func crashChild(path string, start int) {
	db, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for b := start; ; b++ {
		if _, _, err := db.Ingest(context.Background(), judged(b*crashBatchSize, crashBatchSize)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// os.Stdout is not buffered: the line is in the pipe when Fprintf returns.
		fmt.Fprintf(os.Stdout, "acknowledged %d\n", b)
	}
}

func TestAcknowledgedBatchesSurviveKill9(t *testing.T) {
	if path := os.Getenv(crashFileEnv); path != "" {
		start, _ := strconv.Atoi(os.Getenv(crashStartEnv))
		crashChild(path, start)
		return
	}
	if testing.Short() {
		t.Skip("starts and kills child processes")
	}
	path := filepath.Join(t.TempDir(), "truce.db")
	acknowledged := -1
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAcknowledgedBatchesSurviveKill9$")
		cmd.Env = append(os.Environ(), crashFileEnv+"="+path, crashStartEnv+"="+strconv.Itoa(acknowledged+1))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill the child at a moment unrelated to its batches, a few batches in.
		lines := bufio.NewScanner(out)
		killAfter := 2 + round
		seen := 0
		killed := false
		for lines.Scan() {
			n, ok := strings.CutPrefix(lines.Text(), "acknowledged ")
			if !ok {
				continue
			}
			b, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("child printed %q", lines.Text())
			}
			acknowledged = b
			if seen++; seen == killAfter && !killed {
				time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
				if err := cmd.Process.Kill(); err != nil { // SIGKILL
					t.Fatal(err)
				}
				killed = true
			}
		}
		err = cmd.Wait()
		if !killed || err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("round %d: the child ended with %v, not by SIGKILL", round, err)
		}
		checkWholeBatches(t, path, acknowledged)
	}
}

// checkWholeBatches opens the file a killed writer left and checks that every batch up to
// acknowledged is stored in full, with its findings, and any later batch in full or not at
// all.
func checkWholeBatches(t *testing.T, path string, acknowledged int) {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatalf("reopening after SIGKILL: %v", err)
	}
	defer db.Close()
	var check string
	if err := db.read.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	findingsOf := map[int64]int{}
	frows, err := db.read.Query(`SELECT seq, COUNT(*) FROM findings GROUP BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	for frows.Next() {
		var seq int64
		var n int
		if err := frows.Scan(&seq, &n); err != nil {
			t.Fatal(err)
		}
		findingsOf[seq] = n
	}
	frows.Close()

	type tally struct{ observations, findings int }
	got := map[int]*tally{}
	rows, err := db.read.Query(`SELECT seq, id FROM observations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&seq, &id); err != nil {
			t.Fatal(err)
		}
		findings := findingsOf[seq]
		i, err := strconv.Atoi(strings.TrimPrefix(id, "obs-"))
		if err != nil {
			t.Fatalf("observation %q", id)
		}
		b := i / crashBatchSize
		if got[b] == nil {
			got[b] = &tally{}
		}
		got[b].observations++
		got[b].findings += findings
		if want := i % 3; findings != want {
			t.Errorf("observation %s has %d findings, want %d", id, findings, want)
		}
	}
	for b := 0; b <= acknowledged; b++ {
		if got[b] == nil {
			t.Fatalf("acknowledged batch %d is missing", b)
		}
	}
	for b, n := range got {
		wantFindings := 0
		for i := b * crashBatchSize; i < (b+1)*crashBatchSize; i++ {
			wantFindings += i % 3 // as judged makes them
		}
		if n.observations != crashBatchSize || n.findings != wantFindings {
			t.Errorf("batch %d holds %d observations and %d findings, want %d and %d: a partial batch",
				b, n.observations, n.findings, crashBatchSize, wantFindings)
		}
		if b > acknowledged+1 {
			t.Errorf("batch %d is stored, but only %d was acknowledged", b, acknowledged)
		}
	}
	t.Logf("after SIGKILL: %d batches stored, %d acknowledged", len(got), acknowledged+1)
}
