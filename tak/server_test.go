package tak

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/cot"
)

// TestMarkerBecomesFindingForEveryMonitor: a marker dropped in the DMZ is stored as an
// observation of the device that dropped it, judged, and comes back to every monitor, in XML
// and in TAK protocol alike, as a finding marker with the finding's explanation.
func TestMarkerBecomesFindingForEveryMonitor(t *testing.T) {
	for _, proto := range []bool{false, true} {
		t.Run(fmt.Sprintf("proto=%v", proto), func(t *testing.T) {
			h := newHarness(t, Options{})
			a, b := dialTCP(t, h), dialTCP(t, h)
			if proto {
				a.negotiate()
				b.negotiate()
			}
			now := time.Now().UTC().Truncate(time.Millisecond)
			a.send(selfReportEvent("ANDROID-a", "ALPHA", 47.5, 35.0, now))
			a.send(marker("m-1", "a-h-G-E-V", dmzLat, dmzLon, now))
			var got [2]*cot.Event
			for i, c := range []*testClient{a, b} {
				got[i] = c.expect("a finding", isFinding)
			}
			fs := h.findings(t)
			if len(fs) != 1 {
				t.Fatalf("stored %d findings, want 1: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.Source != "tak:ANDROID-a" || f.Observation != "m-1@"+now.Format(time.RFC3339Nano) {
				t.Errorf("finding's observation is %q from %q; want m-1@time from tak:ANDROID-a", f.Observation, f.Source)
			}
			for i, e := range got {
				if e.UID != FindingUIDPrefix+f.ID || e.Type != FindingType || e.RemarksText() != f.Explanation ||
					e.Point.Lat != f.Lat || e.Point.Lon != f.Lon || e.Point.CE != 25 {
					t.Errorf("client %d got %+v, want the marker of %+v", i, cot.Summarize(e), f)
				}
				if strings.Contains(string(cot.MarshalXML(e)), "tak:ANDROID-a") {
					t.Errorf("client %d: the marker names the source", i)
				}
				if !e.Stale.After(time.Now().Add(5 * time.Hour)) {
					t.Errorf("client %d: marker goes stale at %v, want hours from now", i, e.Stale)
				}
			}
		})
	}
}

// TestPositionsRelayedToOtherMonitors: a monitor's own position goes to the other monitors,
// not back to itself, and is not an observation.
func TestPositionsRelayedToOtherMonitors(t *testing.T) {
	h := newHarness(t, Options{})
	a, b := dialTCP(t, h), dialTCP(t, h)
	b.negotiate()
	now := time.Now().UTC().Truncate(time.Millisecond)
	// In the DMZ: were it an observation of personnel, it would be a finding.
	a.send(selfReportEvent("ANDROID-a", "ALPHA", dmzLat, dmzLon, now))
	e := b.expect("a's position", func(e *cot.Event) bool { return e.UID == "ANDROID-a" })
	if e.Callsign() != "ALPHA" || e.Point.Lat != dmzLat || e.Detail.Group == nil {
		t.Errorf("relayed %+v", cot.Summarize(e))
	}
	a.ping() // a's own position, had it come back, would arrive before the pong
	a.send(selfReportEvent("ANDROID-a", "ALPHA", dmzLat, dmzLon, now.Add(time.Second)))
	a.ping()
	if n := h.srv.Stats().Positions; n != 2 {
		t.Errorf("relayed %d positions, want 2", n)
	}
	obs, _, err := h.store.Observations(context.Background(), truce.ObservationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 0 {
		t.Errorf("positions were stored as observations: %+v", obs)
	}
}

// TestSelfReportWithoutEndpointIsAPosition: a device that names no endpoint but says what
// software it runs (takv) is still reporting itself, and is not an observation of
// personnel in the DMZ.
func TestSelfReportWithoutEndpointIsAPosition(t *testing.T) {
	h := newHarness(t, Options{})
	a, b := dialTCP(t, h), dialTCP(t, h)
	e := selfReportEvent("IOS-a", "ALPHA", dmzLat, dmzLon, time.Now())
	e.Detail.Contact.Endpoint = ""
	e.Detail.Takv = &cot.Takv{Device: "iPhone", Platform: "iTAK", OS: "17", Version: "2.9"}
	a.send(e)
	b.expect("a's position", func(e *cot.Event) bool { return e.UID == "IOS-a" })
	a.ping()
	if st := h.srv.Stats(); st.Stored != 0 || st.Positions != 1 {
		t.Errorf("stored %d observations and relayed %d positions; want 0 and 1", st.Stored, st.Positions)
	}
}

// TestOwnPositionNotEchoed reads everything a sends and finds no position of its own.
func TestOwnPositionNotEchoed(t *testing.T) {
	h := newHarness(t, Options{})
	a := dialTCP(t, h)
	a.send(selfReportEvent("ANDROID-a", "ALPHA", 47.5, 35.0, time.Now()))
	a.send(controlEvent("ping", typePing, time.Now(), ""))
	e := a.expect("anything", func(*cot.Event) bool { return true })
	if e.Type != typePong {
		t.Errorf("first event back is %s %s, want the pong", e.UID, e.Type)
	}
}

// TestResentMarkerIsADuplicate: the same marker sent twice (same uid and time) is stored
// once; moved (a new time), it is a new report.
func TestResentMarkerIsADuplicate(t *testing.T) {
	h := newHarness(t, Options{})
	a := dialTCP(t, h)
	now := time.Now().UTC().Truncate(time.Millisecond)
	m := marker("m-1", "a-h-G-E-V", dmzLat, dmzLon, now)
	a.send(m)
	a.expect("the finding", isFinding)
	a.send(m)
	later := marker("m-1", "a-h-G-E-V", dmzLat, dmzLon, now.Add(time.Minute))
	a.send(later)
	a.expect("the second finding", isFinding)
	a.ping()
	st := h.srv.Stats()
	if st.Stored != 2 || st.Duplicates != 1 {
		t.Errorf("stored %d, duplicates %d; want 2 and 1", st.Stored, st.Duplicates)
	}
}

// TestRefusedProtocolVersionStaysXML: a request for a version other than 1 is refused and
// the stream goes on in XML.
func TestRefusedProtocolVersionStaysXML(t *testing.T) {
	h := newHarness(t, Options{})
	c := dialTCP(t, h)
	c.sendXML(controlEvent("protouid", typeProtoRequest, time.Now(), `<TakControl><TakRequest version="7"/></TakControl>`))
	e := c.expectType(typeProtoResponse)
	if !strings.Contains(string(e.Detail.Extra), `status="false"`) {
		t.Fatalf("response %s, want status false", e.Detail.Extra)
	}
	c.ping()
}

// TestEventsPipelinedAfterRequestAreFrames: bytes that reach the server in the same read as
// the request (a client that does not wait for the answer) are read as frames, as the
// protocol says everything after the request is.
func TestEventsPipelinedAfterRequestAreFrames(t *testing.T) {
	h := newHarness(t, Options{})
	c := dialTCP(t, h)
	req := cot.AppendXML(nil, controlEvent("protouid", typeProtoRequest, time.Now(), `<TakControl><TakRequest version="1"/></TakControl>`))
	ping, _ := cot.AppendFrame(nil, controlEvent("ping", typePing, time.Now(), ""))
	c.write(append(req, ping...))
	c.expectType(typeProtoResponse)
	c.proto = true
	c.expectType(typePong)
}

// TestLiaisonNeverReceivesMonitorsPositions: over TLS, a liaison's device gets the findings
// attributed to its party and nothing else: no monitor's position, no other party's
// finding; what it sends is not taken as an observation.
func TestLiaisonNeverReceivesMonitorsPositions(t *testing.T) {
	h := newHarness(t, Options{})
	mon := dialTLS(t, h, h.tlsConfig(t, "monitor-1", truce.RoleMonitor, ""))
	mon2 := dialTLS(t, h, h.tlsConfig(t, "monitor-2", truce.RoleMonitor, ""))
	east := dialTLS(t, h, h.tlsConfig(t, "liaison-east", truce.RoleLiaison, "east"))
	west := dialTLS(t, h, h.tlsConfig(t, "liaison-west", truce.RoleLiaison, "west"))
	east.negotiate()
	now := time.Now().UTC().Truncate(time.Millisecond)
	mon.send(selfReportEvent("ANDROID-m1", "M1", 47.6, 36.3, now))
	mon2.expect("m1's position", func(e *cot.Event) bool { return e.UID == "ANDROID-m1" })
	// Markers either side of the line: one finding attributed to each party.
	mon.send(marker("east-1", "a-h-G-E-V", dmzLat, dmzLon, now))
	mon.send(marker("west-1", "a-h-G-E-V", 47.70, 36.35, now))
	mon.send(selfReportEvent("ANDROID-m1", "M1", 47.61, 36.31, now.Add(time.Second)))
	for range 2 {
		mon2.expect("a finding", isFinding)
	}
	// A liaison's own events are not observations, wherever they are.
	west.send(marker("liaison-marker", "a-h-G-E-V", dmzLat, dmzLon, now))
	fs := h.findings(t)
	parties := map[string]truce.Finding{}
	for _, f := range fs {
		parties[f.Party] = f
	}
	if len(fs) != 2 || parties["east"].ID == "" || parties["west"].ID == "" {
		t.Fatalf("findings %+v; want one attributed to each party", fs)
	}
	for _, tc := range []struct {
		name string
		c    *testClient
		want string
	}{{"east", east, parties["east"].ID}, {"west", west, parties["west"].ID}} {
		got := []string{}
		tc.c.send(controlEvent("ping", typePing, time.Now(), ""))
		for {
			e, err := tc.c.next(10 * time.Second)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if e.Type == typePong {
				break
			}
			got = append(got, e.UID+" "+e.Type)
		}
		if len(got) != 1 || got[0] != FindingUIDPrefix+tc.want+" "+FindingType {
			t.Errorf("liaison %s received %q; want only finding %s", tc.name, got, tc.want)
		}
	}
	west.ping()
	if st := h.srv.Stats(); st.Ignored != 1 || st.Stored != 2 {
		t.Errorf("ignored %d, stored %d; want the liaison's marker ignored and the monitors' 2 stored", st.Ignored, st.Stored)
	}
}

// TestTLSRefusesClientsWithoutTheMissionsCertificate: no certificate, or one from another
// CA, and the connection ends at the handshake.
func TestTLSRefusesClientsWithoutTheMissionsCertificate(t *testing.T) {
	h := newHarness(t, Options{})
	other, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	good := h.tlsConfig(t, "x", truce.RoleMonitor, "")
	foreign := good.Clone()
	cc, err := other.IssueClient("intruder", truce.RoleMonitor, "")
	if err != nil {
		t.Fatal(err)
	}
	pair, _ := tls.X509KeyPair(cc.CertPEM, cc.KeyPEM)
	foreign.Certificates = []tls.Certificate{pair}
	none := good.Clone()
	none.Certificates = nil
	for name, conf := range map[string]*tls.Config{"no certificate": none, "another CA": foreign} {
		t.Run(name, func(t *testing.T) {
			conn, err := tls.Dial("tcp", h.tlsAddr, conf)
			if err == nil {
				// TLS 1.3 reports the refusal of a client certificate on the first read.
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, err = conn.Read(make([]byte, 1))
				conn.Close()
			}
			if err == nil {
				t.Fatal("connection accepted")
			}
		})
	}
	h.logs.waitFor(t, "TLS handshake failed")
}

// TestIdleClientsAreDropped: a client silent for longer than the idle timeout is dropped; one
// that pings is kept.
func TestIdleClientsAreDropped(t *testing.T) {
	h := newHarness(t, Options{IdleTimeout: 300 * time.Millisecond})
	silent, chatty := dialTCP(t, h), dialTCP(t, h)
	for range 8 {
		chatty.ping()
		time.Sleep(100 * time.Millisecond)
	}
	silent.expectClosed()
	chatty.ping()
	h.logs.waitFor(t, "client silent too long")
}

// TestSlowClientIsCutOthersAreNot: a device that stops reading is cut once its queue is full,
// the messages it missed are counted and logged, and a device that reads gets every one.
func TestSlowClientIsCutOthersAreNot(t *testing.T) {
	// Positions are relayed in batches, one every FlushDelay: a queue of 16 batches is 320
	// ms of positions.
	h := newHarness(t, Options{QueueLen: 16, WriteTimeout: 30 * time.Second})
	sender, fast := dialTCP(t, h), dialTCP(t, h)
	sender.negotiate()
	fast.negotiate()
	slowConn, err := net.Dial("tcp", h.tcpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer slowConn.Close()
	slowConn.(*net.TCPConn).SetReadBuffer(4096)
	// Big positions, so that a few thousand fill every socket buffer between the server and
	// the slow device.
	const n = 4000
	pad := strings.Repeat("x", 4000)
	done := make(chan int)
	go func() {
		got := 0
		for got < n {
			e, err := fast.next(20 * time.Second)
			if err != nil {
				break
			}
			if e.UID == "ANDROID-s" {
				got++
			}
		}
		done <- got
	}()
	start := time.Now().UTC()
	for i := range n {
		e := selfReportEvent("ANDROID-s", "S", 47.5, 35.0, start.Add(time.Duration(i)*time.Millisecond))
		e.Detail.Remarks = &cot.Remarks{Text: pad}
		sender.send(e)
		if i%50 == 49 {
			time.Sleep(25 * time.Millisecond) // about a batch at a time
		}
	}
	if got := <-done; got != n {
		t.Errorf("the reading device got %d of %d positions", got, n)
	}
	h.logs.waitFor(t, "client cannot keep up")
	h.logs.waitFor(t, "undelivered=")
	if st := h.srv.Stats(); st.Cut != 1 || st.Undelivered == 0 {
		t.Errorf("cut %d clients, %d messages undelivered; want 1 and some", st.Cut, st.Undelivered)
	}
}

// TestUnstorableObservationsAreCountedAndLogged: while the pipeline refuses batches
// (EUNAVAILABLE, here because it has closed) the batch is retried for RetryFor; then it is
// logged with its size and counted as lost, never dropped without a word.
func TestUnstorableObservationsAreCountedAndLogged(t *testing.T) {
	h := newHarness(t, Options{RetryFor: 300 * time.Millisecond})
	c := dialTCP(t, h)
	h.pipe.Close()
	start := time.Now()
	c.send(marker("m-1", "a-h-G-E-V", dmzLat, dmzLon, time.Now()))
	c.ping()
	h.logs.waitFor(t, `msg="tak: observations could not be stored" count=1 first_source=tak:`)
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("gave up after %v, before RetryFor", waited)
	}
	if st := h.srv.Stats(); st.Lost != 1 || st.Stored != 0 {
		t.Errorf("lost %d, stored %d; want 1 and 0", st.Lost, st.Stored)
	}
}
