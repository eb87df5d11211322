package main

import (
	"bytes"
	"errors"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchTAKRunsTheDevicesInASecondProcess: `truce bench tak` starts a server, runs the
// simulated devices as `truce tak load` in a process of their own, and reports every
// position and finding delivered. Its verdict on latency depends on the machine, so only
// the deliveries are checked here.
func TestBenchTAKRunsTheDevicesInASecondProcess(t *testing.T) {
	var out, errb bytes.Buffer
	cmd := command("bench", "tak", "--clients", "12", "--duration", "2s", "--burst", "10", "--burst-every", "1s", "--drain", "15s")
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1 && strings.Contains(out.String(), "FAIL: p99")) {
		t.Fatalf("truce bench tak: %v\n%s%s", err, out.String(), errb.String())
	}
	s := out.String()
	if !strings.Contains(s, "devices 12 (in a second process)") {
		t.Fatalf("the devices did not run in a second process:\n%s", s)
	}
	for _, what := range []string{"positions: sent", "markers:   sent"} {
		m := regexp.MustCompile(regexp.QuoteMeta(what) + ` (\d+).*delivered (\d+) of (\d+)`).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("no %q line:\n%s", what, s)
		}
		sent, _ := strconv.Atoi(m[1])
		got, _ := strconv.Atoi(m[2])
		want, _ := strconv.Atoi(m[3])
		if sent == 0 || got != want || want < sent*11 {
			t.Errorf("%s %d: delivered %d of %d, want every one to each of the 11 other devices (or all 12 for findings)\n%s", what, sent, got, want, s)
		}
	}
}
