package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMain lets tests run this very binary as the truce command, in a process of its own, by
// setting TRUCE_RUN_AS_COMMAND: the test binary then behaves as `truce` with the arguments it
// was given, instead of running tests.
func TestMain(m *testing.M) {
	if os.Getenv("TRUCE_RUN_AS_COMMAND") == "1" {
		os.Args = append([]string{"truce"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	code := m.Run()
	removeSharedTemp()
	os.Exit(code)
}

// command returns an exec.Cmd that runs truce with args.
func command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TRUCE_RUN_AS_COMMAND=1")
	return cmd
}

// runCommand runs truce to completion and returns its standard output.
func runCommand(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := command(args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("truce %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// serverProcess is `truce serve` running in a process of its own.
type serverProcess struct {
	cmd *exec.Cmd
	url string
	// stdout receives the lines the server prints on standard output.
	stdout chan string
}

var servingURL = regexp.MustCompile(`msg=serving url=(http://\S+)/`)

// startServer starts `truce serve` with args (an --addr of 127.0.0.1:0 picks a free port) and
// waits until /readyz answers 200.
func startServer(t *testing.T, args ...string) *serverProcess {
	t.Helper()
	cmd := command(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, stdout: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case p.stdout <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() { p.kill() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := servingURL.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case p.url = <-found:
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not say where it listens within 60 s")
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(p.url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the server was not ready within 30 s")
	return nil
}

func (p *serverProcess) kill() {
	if p.cmd.Process != nil && p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serverProcess) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("server exit: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop within 30 s of SIGINT")
	}
}

func examplesDir(name string) string { return filepath.Join("..", "..", "examples", name) }

func httpDo(ctx context.Context, method, url, token, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, fmt.Errorf("reading the reply: %w", err)
	}
	return res.StatusCode, data, nil
}
