package tak

import (
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/cot"
)

func frameOf(t *testing.T, e *cot.Event) []byte {
	t.Helper()
	f, err := cot.AppendFrame(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBadEventIsDroppedConnectionKept: an event that is well formed but wrong is logged,
// with what is wrong, and dropped; the connection goes on.
func TestBadEventIsDroppedConnectionKept(t *testing.T) {
	now := time.Now().UTC()
	good := string(cot.AppendXML(nil, marker("m", "a-h-G-E-V", dmzLat, dmzLon, now)))
	badLat := frameOf(t, marker("m", "a-h-G-E-V", 1, 1, now))
	// The latitude is field 10 of CotEvent, a double: set it to 91 in the encoded message.
	if i := strings.Index(string(badLat), "\x51"); i > 0 {
		binary.LittleEndian.PutUint64(badLat[i+1:], 0x4056c00000000000) // 91.0
	} else {
		t.Fatal("no lat field in the frame")
	}
	for _, tc := range []struct {
		name  string
		proto bool
		input []byte
		log   string
	}{
		{"latitude out of range", false, []byte(strings.Replace(good, `lat="47.64884"`, `lat="91"`, 1)), "point@lat"},
		{"longitude not a number", false, []byte(strings.Replace(good, `lon="36.35962"`, `lon="east"`, 1)), "point@lon"},
		{"no uid", false, []byte(strings.Replace(good, `uid="m"`, "", 1)), "event@uid"},
		{"time in the future", false, cot.AppendXML(nil, marker("m", "a-h-G-E-V", dmzLat, dmzLon, now.Add(time.Hour))), "in the future"},
		{"latitude out of range in a frame", true, badLat, "cotEvent.lat"},
		{"a frame that is not a TakMessage", true, []byte{0xbf, 3, 0xff, 0xff, 0xff}, "not a valid protobuf message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			c := dialTCP(t, h)
			if tc.proto {
				c.negotiate()
			}
			c.write(tc.input)
			c.ping()
			h.logs.waitFor(t, tc.log)
			if st := h.srv.Stats(); st.BadEvents+st.Refused != 1 || st.BadStreams != 0 || st.Stored != 0 {
				t.Errorf("stats %+v; want one bad event, no bad stream, nothing stored", st)
			}
		})
	}
}

// TestMalformedStreamDropsThatConnectionOnly: bad framing, an oversized message or an XML
// bomb ends the connection it came on, with a log line naming the fault; the other
// connections carry on.
func TestMalformedStreamDropsThatConnectionOnly(t *testing.T) {
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>` +
		`<event version="2.0" uid="b" type="a-h-G" how="h-e" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:00:00Z"><point lat="1" lon="1" hae="0" ce="0" le="0"/><detail><remarks>&lol2;</remarks></detail></event>`
	big := marker("big", "a-h-G-E-V", dmzLat, dmzLon, time.Now())
	big.Detail.Remarks.Text = strings.Repeat("y", 8000)
	for _, tc := range []struct {
		name     string
		proto    bool
		input    []byte
		closeOut bool // the client then closes its side, as a device that died mid-frame
		log      string
	}{
		{"XML entity bomb", false, []byte(bomb), false, "document type declarations"},
		{"XML event over the size limit", false, cot.AppendXML(nil, big), false, "larger than"},
		{"XML not well formed", false, []byte(`<event version="2.0" uid="x"><point lat="1"></event>`), false, "does not close <point>"},
		{"frame over the size limit", true, frameOf(t, big), false, "larger than the limit"},
		{"huge frame length", true, binary.AppendUvarint([]byte{0xbf}, 1<<40), false, "larger than the limit"},
		{"bad varint", true, []byte{0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, false, "bad varint"},
		{"bytes that are not a frame", true, []byte("<event>in XML after the switch</event>"), false, "not a frame"},
		{"truncated frame", true, frameOf(t, marker("m", "a-h-G-E-V", dmzLat, dmzLon, time.Now()))[:100], true, "truncated frame"},
		{"truncated XML event", false, cot.AppendXML(nil, marker("m", "a-h-G-E-V", dmzLat, dmzLon, time.Now()))[:100], true, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{MaxEventSize: 4096})
			bystander := dialTCP(t, h)
			c := dialTCP(t, h)
			if tc.proto {
				c.negotiate()
			}
			c.write(tc.input)
			if tc.closeOut {
				c.conn.(*net.TCPConn).CloseWrite()
			}
			c.expectClosed()
			h.logs.waitFor(t, tc.log)
			bystander.ping()
			if st := h.srv.Stats(); st.BadStreams != 1 {
				t.Errorf("%d bad streams, want 1", st.BadStreams)
			}
		})
	}
}
