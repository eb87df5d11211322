package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/tak"
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

// TestRevokingACertificateDisconnectsTheDevice: a device connected to `truce serve --tak-tls`
// with a certificate from `truce tak cert` is disconnected once `truce tak cert --revoke`
// names it, and its certificate is refused at the next handshake.
func TestRevokingACertificateDisconnectsTheDevice(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	data, out := t.TempDir(), t.TempDir()
	startServer(t, "--agreement", examplesDir("notional-east"), "--data", data, "--tak-tls", addr)
	runCommand(t, "tak", "cert", "--client", "patrol-7", "--data", data, "--out", out, "--host", "localhost")
	pair, err := tls.LoadX509KeyPair(filepath.Join(out, "patrol-7.pem"), filepath.Join(out, "patrol-7.key"))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(data, tak.CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	conf := &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, ServerName: "localhost"}
	// dial connects and reads the server's first event: the offer of TAK protocol 1.
	dial := func() (net.Conn, error) {
		conn, err := tls.Dial("tcp", addr, conf)
		if err != nil {
			return nil, err
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		b := make([]byte, 4096)
		var got []byte
		for !bytes.Contains(got, []byte("</event>")) {
			n, err := conn.Read(b)
			if err != nil {
				conn.Close()
				return nil, err
			}
			got = append(got, b[:n]...)
		}
		if !bytes.Contains(got, []byte("t-x-takp-v")) {
			conn.Close()
			return nil, fmt.Errorf("first event: %s", got)
		}
		return conn, nil
	}
	conn, err := dial()
	if err != nil {
		t.Fatalf("connecting with a certificate just issued: %v", err)
	}
	defer conn.Close()

	said := runCommand(t, "tak", "cert", "--revoke", "patrol-7", "--data", data)
	if !strings.Contains(said, "revoked:    patrol-7, serial ") {
		t.Fatalf("truce tak cert --revoke said:\n%s", said)
	}
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the device was still connected 15 s after its certificate was revoked")
		}
	}
	if c, err := dial(); err == nil {
		c.Close()
		t.Fatal("a revoked certificate was accepted")
	} else if !strings.Contains(err.Error(), "bad certificate") {
		t.Errorf("a revoked certificate: %v, want the handshake refused (bad certificate)", err)
	}
}
