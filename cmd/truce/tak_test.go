package main

import (
	"bytes"
	"context"
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

// takDevice is a TAK device on the TLS endpoint of a `truce serve`, speaking XML.
type takDevice struct {
	t    *testing.T
	conn net.Conn
	buf  []byte
}

// dialDevice issues a certificate with `truce tak cert` (extra names the role) and connects.
func dialDevice(t *testing.T, addr, data, name string, extra ...string) *takDevice {
	t.Helper()
	out := t.TempDir()
	runCommand(t, append([]string{"tak", "cert", "--client", name, "--data", data, "--out", out, "--host", "localhost"}, extra...)...)
	pair, err := tls.LoadX509KeyPair(filepath.Join(out, name+".pem"), filepath.Join(out, name+".key"))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(data, tak.CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	conn, err := tls.Dial("tcp", addr, &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	d := &takDevice{t: t, conn: conn}
	d.next(10 * time.Second) // the offer of TAK protocol 1, declined by not asking
	return d
}

// next returns the next event's XML, or nil after timeout.
func (d *takDevice) next(timeout time.Duration) []byte {
	d.t.Helper()
	d.conn.SetReadDeadline(time.Now().Add(timeout))
	b := make([]byte, 8192)
	for {
		if i := bytes.Index(d.buf, []byte("</event>")); i >= 0 {
			ev := d.buf[:i+len("</event>")]
			d.buf = d.buf[len(ev):]
			return ev
		}
		n, err := d.conn.Read(b)
		d.buf = append(d.buf, b[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil
			}
			d.t.Fatalf("reading: %v", err)
		}
	}
}

func (d *takDevice) send(xml string) {
	d.t.Helper()
	if _, err := d.conn.Write([]byte(xml)); err != nil {
		d.t.Fatal(err)
	}
}

// TestLiaisonDeviceIsToldWhenAFindingAboutItsPartyIsVerified: a monitor's device drops a
// marker in the demilitarised zone on east's side; an analyst verifies the finding over the
// HTTP API; east's liaison's device receives a chat message with the explanation, and west's
// liaison's device receives nothing of it. A monitor's device that connects afterwards is
// sent the finding as it connects.
func TestLiaisonDeviceIsToldWhenAFindingAboutItsPartyIsVerified(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	data := t.TempDir()
	analyst := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	server := startServer(t, "--agreement", examplesDir("notional-east"), "--data", data, "--tak-tls", addr, "--approvals", "1")
	mon := dialDevice(t, addr, data, "monitor-1")
	east := dialDevice(t, addr, data, "liaison-east", "--role", "liaison", "--party", "east")
	west := dialDevice(t, addr, data, "liaison-west", "--role", "liaison", "--party", "west")

	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	stale := time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04:05.000Z")
	mon.send(`<event version="2.0" uid="vehicle-1" type="a-h-G-E-V" how="h-g-i-g-o" time="` + now + `" start="` + now + `" stale="` + stale + `">` +
		`<point lat="47.64884" lon="36.35962" hae="9999999" ce="25" le="9999999"/><detail><contact callsign="vehicle"/></detail></event>`)
	// The finding, as east's liaison's device is sent it live.
	var findingID string
	for findingID == "" {
		ev := east.next(15 * time.Second)
		if ev == nil {
			t.Fatal("east's liaison was not sent the finding")
		}
		if m := regexp.MustCompile(`uid="` + tak.FindingUIDPrefix + `([^"]+)"`).FindSubmatch(ev); m != nil {
			findingID = string(m[1])
		}
	}
	ctx := context.Background()
	for _, body := range []string{`{"action": "review"}`, `{"action": "verify", "reason": "two vehicles seen by two patrols"}`} {
		status, resp, err := httpDo(ctx, "POST", server.url+"/api/v1/findings/"+findingID+"/review", analyst, "application/json", []byte(body))
		if err != nil || status != 200 {
			t.Fatalf("review %s: %d %s %v", body, status, resp, err)
		}
	}
	var notice []byte
	for notice == nil {
		ev := east.next(15 * time.Second)
		if ev == nil {
			t.Fatal("east's liaison's device was not told of the verification")
		}
		if bytes.Contains(ev, []byte(`type="b-t-f"`)) {
			notice = ev
		}
	}
	if !bytes.Contains(notice, []byte("verified")) || !bytes.Contains(notice, []byte("inside")) || !bytes.Contains(notice, []byte(findingID)) {
		t.Errorf("the notice does not say the finding was verified and why:\n%s", notice)
	}
	for ev := west.next(2 * time.Second); ev != nil; ev = west.next(2 * time.Second) {
		t.Errorf("west's liaison received:\n%s", ev)
	}
	// A monitor's device that connects now is sent the finding it missed.
	late := dialDevice(t, addr, data, "monitor-2")
	for {
		ev := late.next(15 * time.Second)
		if ev == nil {
			t.Fatal("a monitor's device connecting late was not sent the recent finding")
		}
		if bytes.Contains(ev, []byte(tak.FindingUIDPrefix+findingID)) {
			break
		}
	}
	// The marker's record, read back from the store, is the one logged when it came in.
	exportFromServerVerifies(t, server.url, analyst, data)
}
