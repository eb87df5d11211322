package main

import (
	"bufio"
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchLogCostLoadsTwoServersInTurn: `truce bench log-cost` runs a server with the log and
// one without, each in a process of its own, loads them in turn, reports every round and the
// summary, and leaves no data folder behind when the servers stop. The shares themselves
// depend on the machine; only that each window measured something is checked.
func TestBenchLogCostLoadsTwoServersInTurn(t *testing.T) {
	tmp := t.TempDir()
	var out, errb bytes.Buffer
	cmd := command("bench", "log-cost", "--rounds", "2", "--window", "400ms", "--warmup", "0", "--batch", "200")
	cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("truce bench log-cost: %v\n%s%s", err, out.String(), errb.String())
	}
	s := out.String()
	rounds := regexp.MustCompile(`round +\d+: without the log +(\d+)/s, +([\d.]+) µs server CPU each; with it +(\d+)/s, +([\d.]+) µs`).FindAllStringSubmatch(s, -1)
	if len(rounds) != 2 {
		t.Fatalf("%d rounds reported, want 2:\n%s", len(rounds), s)
	}
	for _, r := range rounds {
		for _, v := range r[1:] {
			if f, _ := strconv.ParseFloat(v, 64); f <= 0 {
				t.Errorf("a window measured nothing: %q\n%s", r[0], s)
			}
		}
	}
	m := regexp.MustCompile(`observations accepted, the warmup included: (\d+) without the log, (\d+) with it`).FindStringSubmatch(s)
	if m == nil || m[1] == "0" || m[2] == "0" {
		t.Errorf("no count of observations accepted by each server:\n%s", s)
	}
	for _, want := range []string{"share of throughput the log takes: median", "server CPU the log adds:           median"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in:\n%s", want, s)
		}
	}
	noDataFolderLeft(t, tmp)
}

// TestBenchLogCostInterruptedSummarizesTheRoundsDone: interrupted, `truce bench log-cost`
// summarizes the rounds it finished and stops both servers, which remove their data folders.
func TestBenchLogCostInterruptedSummarizesTheRoundsDone(t *testing.T) {
	tmp := t.TempDir()
	cmd := command("bench", "log-cost", "--rounds", "1000", "--window", "300ms", "--warmup", "0", "--batch", "200")
	cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if strings.HasPrefix(lines.Text(), "round  2:") {
			cmd.Process.Signal(os.Interrupt)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("truce bench log-cost, interrupted: %v\n%s%s", err, out.String(), errb.String())
	}
	s := out.String()
	for _, want := range []string{"interrupted in round", "share of throughput the log takes: median", "n="} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in:\n%s", want, s)
		}
	}
	noDataFolderLeft(t, tmp)
}

// noDataFolderLeft fails t if a bench server left its data folder in tmp.
func noDataFolderLeft(t *testing.T, tmp string) {
	t.Helper()
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		if strings.HasPrefix(e.Name(), "truce-bench-") {
			t.Errorf("a server left its data folder %s behind", e.Name())
		}
	}
}

// TestSummarizeGivesTheMedianMeanAndAnIntervalAroundTheMean: the summary of rounds is their
// median and mean, and the bootstrap interval holds the mean and lies within the rounds.
func TestSummarizeGivesTheMedianMeanAndAnIntervalAroundTheMean(t *testing.T) {
	s := summarize([]float64{0.02, 0.10, 0.04, 0.08, 0.06, 0.30})
	m := regexp.MustCompile(`^median ([-\d.]+)%, mean ([-\d.]+)% \(95% interval ([-\d.]+) to ([-\d.]+)%\), rounds 2.0 to 30.0%, n=6$`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("summary %q", s)
	}
	f := func(i int) float64 { v, _ := strconv.ParseFloat(m[i], 64); return v }
	if f(1) != 7.0 || f(2) != 10.0 {
		t.Errorf("median %v%%, mean %v%%; want 7%% and 10%%", f(1), f(2))
	}
	if lo, hi := f(3), f(4); !(2 <= lo && lo < 10 && 10 < hi && hi <= 30) {
		t.Errorf("interval %v to %v%% does not hold the mean within the rounds", lo, hi)
	}
	if one := summarize([]float64{0.05}); !strings.HasPrefix(one, "median 5.0%, mean 5.0% (95% interval 5.0 to 5.0%)") {
		t.Errorf("one round: %q", one)
	}
}
