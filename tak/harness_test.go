package tak

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/cot"
	"github.com/truce-project/truce/examples"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/sqlite"
)

// A place in the notional example's demilitarised zone: a vehicle there breaks Art. 1(1).
const dmzLat, dmzLon = 47.64884, 36.35962

// logBuffer is a slog destination the tests read back.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls the log until it holds s.
func (l *logBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(l.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %q; it holds:\n%s", s, l.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// harness is a TAK server on loopback in front of a real pipeline and SQLite store, judging
// with the notional example agreement, with a TCP and a TLS endpoint.
type harness struct {
	srv     *Server
	pipe    *ingest.Pipeline
	store   *sqlite.DB
	ca      *CA
	dir     string
	tcpAddr string
	tlsAddr string
	logs    *logBuffer
}

func newHarness(t testing.TB, opt Options) *harness {
	t.Helper()
	fsys, err := examples.Agreement("notional-east")
	if err != nil {
		t.Fatal(err)
	}
	a, err := agreement.LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	judge, err := rules.Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store, err := sqlite.Open(dir + "/truce.db")
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := ingest.New(judge, store, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{pipe: pipe, store: store, dir: dir, logs: &logBuffer{}}
	opt.Pipe, opt.Store = pipe, store
	opt.Log = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opt.Revocations == nil {
		if opt.Revocations, err = LoadRevocations(dir); err != nil {
			t.Fatal(err)
		}
	}
	if opt.RevocationPoll == 0 {
		opt.RevocationPoll = 20 * time.Millisecond
	}
	if h.srv, err = New(opt); err != nil {
		t.Fatal(err)
	}
	if h.ca, err = LoadOrCreateCA(dir); err != nil {
		t.Fatal(err)
	}
	conf, err := h.ca.ServerTLSConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.tcpAddr, h.tlsAddr = ln.Addr().String(), tln.Addr().String()
	go h.srv.Serve(ln)
	go h.srv.ServeTLS(tln, conf)
	t.Cleanup(func() {
		h.srv.Close()
		pipe.Close()
		store.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", h.logs.String())
		}
	})
	return h
}

// tlsConfig is what a device with a certificate from the mission's CA presents.
func (h *harness) tlsConfig(t testing.TB, name string, role truce.Role, party string) *tls.Config {
	t.Helper()
	cc, err := h.ca.IssueClient(name, role, party)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(cc.CertPEM, cc.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(h.ca.Cert)
	return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, ServerName: "localhost"}
}

// testClient is a TAK client as devices are: it splits XML on </event> and reads frames
// after it has switched, independently of the server's decoder.
type testClient struct {
	t     testing.TB
	conn  net.Conn
	br    *bufio.Reader
	proto bool
}

func dialTCP(t testing.TB, h *harness) *testClient {
	t.Helper()
	conn, err := net.Dial("tcp", h.tcpAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &testClient{t: t, conn: conn, br: bufio.NewReaderSize(conn, 64<<10)}
	c.expectType(typeProtoSupport)
	return c
}

func dialTLS(t testing.TB, h *harness, conf *tls.Config) *testClient {
	t.Helper()
	conn, err := tls.Dial("tcp", h.tlsAddr, conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &testClient{t: t, conn: conn, br: bufio.NewReaderSize(conn, 64<<10)}
	c.expectType(typeProtoSupport)
	return c
}

// negotiate asks for TAK protocol version 1 and switches to it once granted.
func (c *testClient) negotiate() {
	c.t.Helper()
	req := controlEvent("protouid", typeProtoRequest, time.Now(), `<TakControl><TakRequest version="1"/></TakControl>`)
	c.sendXML(req)
	e := c.expectType(typeProtoResponse)
	if !bytes.Contains(e.Detail.Extra, []byte(`status="true"`)) {
		c.t.Fatalf("protocol 1 refused: %s", e.Detail.Extra)
	}
	c.proto = true
}

func (c *testClient) write(b []byte) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *testClient) sendXML(e *cot.Event) { c.write(cot.AppendXML(nil, e)) }

// send writes e in the connection's current protocol.
func (c *testClient) send(e *cot.Event) {
	c.t.Helper()
	if !c.proto {
		c.sendXML(e)
		return
	}
	f, err := cot.AppendFrame(nil, e)
	if err != nil {
		c.t.Fatal(err)
	}
	c.write(f)
}

// next reads one event, or fails after timeout.
func (c *testClient) next(timeout time.Duration) (*cot.Event, error) {
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	if c.proto {
		b, err := c.br.ReadByte()
		if err != nil {
			return nil, err
		}
		if b != 0xbf {
			return nil, errors.New("not a frame")
		}
		n, err := binary.ReadUvarint(c.br)
		if err != nil {
			return nil, err
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(c.br, msg); err != nil {
			return nil, err
		}
		return cot.UnmarshalProto(msg)
	}
	var xml []byte
	for !bytes.HasSuffix(xml, []byte("</event>")) {
		b, err := c.br.ReadByte()
		if err != nil {
			return nil, err
		}
		xml = append(xml, b)
	}
	return cot.UnmarshalXML(xml)
}

// expect reads until an event for which match is true, and returns it.
func (c *testClient) expect(what string, match func(*cot.Event) bool) *cot.Event {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e, err := c.next(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(e) {
			return e
		}
	}
}

func (c *testClient) expectType(typ string) *cot.Event {
	c.t.Helper()
	return c.expect(typ, func(e *cot.Event) bool { return e.Type == typ })
}

// expectClosed reads until the server closes the connection.
func (c *testClient) expectClosed() {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.next(time.Until(deadline))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatal("the server did not close the connection")
		}
		if err == io.EOF || errors.Is(err, net.ErrClosed) || err != nil && strings.Contains(err.Error(), "reset") {
			return
		}
	}
}

// ping sends a ping and waits for the pong: proof that the connection still works.
func (c *testClient) ping() {
	c.t.Helper()
	c.send(controlEvent("ping-"+c.conn.LocalAddr().String(), typePing, time.Now(), ""))
	c.expectType(typePong)
}

// selfReportEvent is a device's own position, as ATAK sends it.
func selfReportEvent(uid, callsign string, lat, lon float64, at time.Time) *cot.Event {
	return &cot.Event{Version: "2.0", UID: uid, Type: "a-f-G-U-C", How: "m-g",
		Time: at, Start: at, Stale: at.Add(2 * time.Minute),
		Point: cot.Point{Lat: lat, Lon: lon, HAE: 100, CE: 10, LE: cot.Unknown},
		Detail: cot.Detail{Contact: &cot.Contact{Callsign: callsign, Endpoint: "*:-1:stcp"},
			Group: &cot.Group{Name: "Cyan", Role: "Team Member"}}}
}

// marker is a marker a monitor drops: a hostile ground vehicle by default.
func marker(uid, typ string, lat, lon float64, at time.Time) *cot.Event {
	return &cot.Event{Version: "2.0", UID: uid, Type: typ, How: "h-g-i-g-o",
		Time: at, Start: at, Stale: at.Add(time.Hour),
		Point:  cot.Point{Lat: lat, Lon: lon, HAE: cot.Unknown, CE: 25, LE: cot.Unknown},
		Detail: cot.Detail{Contact: &cot.Contact{Callsign: "vehicle"}, Remarks: &cot.Remarks{Text: "two trucks"}}}
}

func isFinding(e *cot.Event) bool { return strings.HasPrefix(e.UID, FindingUIDPrefix) }

// findings lists every stored finding.
func (h *harness) findings(t testing.TB) []truce.Finding {
	t.Helper()
	list, _, err := h.store.Findings(context.Background(), truce.FindingFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return list
}
