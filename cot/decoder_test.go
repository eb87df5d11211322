package cot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

const goodA = `<event version="2.0" uid="A" type="a-h-G-E-V" how="h-e" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:05:00Z"><point lat="45" lon="33" hae="0" ce="10" le="10"/><detail><contact callsign="ALPHA"/></detail></event>`
const goodB = `<event version="2.0" uid="B" type="a-f-G-U-C" how="m-g" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:05:00Z"><point lat="45.5" lon="33.5" hae="0" ce="10" le="10"/></event>`

// withPoint returns an event with the given point attributes.
func withPoint(uid, point string) string {
	return `<event version="2.0" uid="` + uid + `" type="a-h-G" how="h-e" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:05:00Z"><point ` + point + `/></event>`
}

// billionLaughs is the classic entity bomb: ten levels of ten references each.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><!DOCTYPE event [<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		b.WriteString(`<!ENTITY lol` + string(rune('0'+i)) + ` "`)
		for j := 0; j < 10; j++ {
			b.WriteString(`&lol` + string(rune('0'+i-1)) + `;`)
		}
		b.WriteString(`">`)
	}
	b.WriteString(`]>`)
	return b.String()
}

// TestBadXMLEventIsDroppedAlone puts each kind of bad event between two good ones: the
// decoder must report it with its offset and a message naming the fault, and still return
// both good events.
func TestBadXMLEventIsDroppedAlone(t *testing.T) {
	deep := `<event version="2.0" uid="D" type="a" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:05:00Z"><point lat="1" lon="1"/><detail>` +
		strings.Repeat("<x>", 100) + strings.Repeat("</x>", 100) + `</detail></event>`
	tests := []struct {
		name, bad, want string
	}{
		{"latitude above 90", withPoint("X", `lat="91" lon="33"`), "point@lat: 91 is outside [-90, 90]"},
		{"longitude below -180", withPoint("X", `lat="45" lon="-181"`), "point@lon: -181 is outside [-180, 180]"},
		{"latitude NaN", withPoint("X", `lat="NaN" lon="33"`), "point@lat: NaN is outside"},
		{"latitude not a number", withPoint("X", `lat="north" lon="33"`), `point@lat: "north" is not a number`},
		{"latitude missing", withPoint("X", `lon="33"`), "point@lat: required"},
		{"negative error", withPoint("X", `lat="1" lon="1" ce="-5"`), "point@ce"},
		{"no point", `<event uid="X" type="a" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:05:00Z"></event>`, "point: required"},
		{"no uid", `<event type="a" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:05:00Z"><point lat="1" lon="1"/></event>`, "event@uid: required"},
		{"bad time", `<event uid="X" type="a" time="yesterday" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:05:00Z"><point lat="1" lon="1"/></event>`, `event@time: "yesterday" is not an RFC 3339 time`},
		{"entity bomb", billionLaughs() + `<lolz>&lol9;</lolz>`, "document type declarations and entity definitions are not accepted"},
		{"undefined entity", strings.Replace(goodA, "ALPHA", "&xxe;", 1), "undefined entity &xxe;"},
		{"external entity", `<!DOCTYPE event [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`, "document type declarations"},
		{"mismatched end tag", strings.Replace(goodA, "</detail>", "</detall>", 1), "</detall> does not close <detail>"},
		{"unquoted attribute", strings.Replace(goodA, `how="h-e"`, `how=h-e`, 1), "value of attribute how is not quoted"},
		{"repeated attribute", strings.Replace(goodA, `how="h-e"`, `how="h-e" how="m-g"`, 1), "attribute how of <event is repeated"},
		{"too deep", deep, "elements nested deeper than 64"},
		{"not an event", `<message uid="X"/>`, "root element is <message>, not <event>"},
		{"text outside an element", `garbage`, "text outside an element"},
		{"bad character reference", strings.Replace(goodA, "ALPHA", "&#0;", 1), "bad character reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodA + "\n" + tt.bad + "\n" + goodB
			d := NewDecoder(strings.NewReader(in))
			var uids []string
			var errs []*DecodeError
			for {
				e, err := d.Next()
				if err == io.EOF {
					break
				}
				var de *DecodeError
				if errors.As(err, &de) {
					errs = append(errs, de)
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				uids = append(uids, e.UID)
			}
			if strings.Join(uids, ",") != "A,B" {
				t.Errorf("good events decoded: %v, want A,B", uids)
			}
			if len(errs) == 0 {
				t.Fatalf("no error reported")
			}
			if !strings.Contains(errs[0].Error(), tt.want) {
				t.Errorf("error %q does not say %q", errs[0], tt.want)
			}
			// The offset is where the bad event starts, or for a DOCTYPE, where that starts.
			if lo, hi := int64(len(goodA)+1), int64(len(goodA)+1+len(tt.bad)); errs[0].Offset < lo || errs[0].Offset >= hi {
				t.Errorf("error at offset %d, want it in the bad event at [%d, %d)", errs[0].Offset, lo, hi)
			}
		})
	}
}

// TestEntityBombIsRejectedFast feeds a 5 MB DOCTYPE of nested entities: it must be refused
// at once, not expanded, and the event after it decoded.
func TestEntityBombIsRejectedFast(t *testing.T) {
	var b strings.Builder
	b.WriteString(billionLaughs())
	for b.Len() < 5<<20 {
		b.WriteString(`<!ENTITY pad "0123456789012345678901234567890123456789">`)
	}
	b.WriteString(`]><event>&lol9;</event>` + goodA)
	begin := time.Now()
	d := NewDecoder(strings.NewReader(b.String()))
	var good, bad int
	for {
		_, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			bad++
			continue
		}
		good++
	}
	if good != 1 || bad == 0 {
		t.Errorf("decoded %d good events and %d errors, want 1 good and some errors", good, bad)
	}
	if el := time.Since(begin); el > 2*time.Second {
		t.Errorf("took %v to get past the bomb", el)
	}
}

// TestOversizedXMLEventIsDropped sets a small limit: the big event is dropped, the next one
// decoded.
func TestOversizedXMLEventIsDropped(t *testing.T) {
	big := strings.Replace(goodA, "<detail>", "<detail><remarks>"+strings.Repeat("x", 5000)+"</remarks>", 1)
	for _, in := range []string{big + goodB, strings.TrimSuffix(big, "</event>") + strings.Repeat(" ", 100) + goodB} {
		d := NewDecoder(strings.NewReader(in))
		d.MaxEventSize = 1000
		_, err := d.Next()
		if err == nil || !strings.Contains(err.Error(), "larger than 1000 bytes") {
			t.Errorf("first Next: %v, want an error saying the event is too large", err)
		}
		e, err := d.Next()
		if err != nil || e.UID != "B" {
			t.Errorf("after the big event: %v, %v; want event B", e, err)
		}
	}
}

// TestTruncatedXMLEventAtEnd: the input ends inside an event.
func TestTruncatedXMLEventAtEnd(t *testing.T) {
	d := NewDecoder(strings.NewReader(goodA + goodB[:60]))
	if e, err := d.Next(); err != nil || e.UID != "A" {
		t.Fatalf("first event: %v, %v", e, err)
	}
	_, err := d.Next()
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(de.Msg, "truncated") || de.Offset != int64(len(goodA)) {
		t.Errorf("got %v, want a truncation error at offset %d", err, len(goodA))
	}
	if _, err := d.Next(); err != io.EOF {
		t.Errorf("after the truncated event: %v, want io.EOF", err)
	}
}

// oneByteReader returns one byte per Read, to exercise events split across reads.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p[:1]) }

// TestDecoderReadsAcrossShortReads decodes the corpus through a reader that returns one
// byte at a time, with declarations and comments between the events.
func TestDecoderReadsAcrossShortReads(t *testing.T) {
	names, events := corpus(t)
	var in bytes.Buffer
	for _, n := range names {
		in.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- " + n + " -->\n")
		in.Write(events[n])
	}
	d := NewDecoder(oneByteReader{&in})
	n := 0
	for {
		_, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("event %d: %v", n, err)
		}
		n++
	}
	if n != len(names) {
		t.Errorf("decoded %d events, want %d", n, len(names))
	}
}

func frame(msg []byte) []byte {
	return append(binary.AppendUvarint([]byte{0xbf}, uint64(len(msg))), msg...)
}

// TestBadFrameIsDroppedAlone puts each kind of bad TAK protocol frame between two good ones.
func TestBadFrameIsDroppedAlone(t *testing.T) {
	ea, _ := UnmarshalXML([]byte(goodA))
	eb, _ := UnmarshalXML([]byte(goodB))
	fa, err := AppendFrame(nil, ea)
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := AppendFrame(nil, eb)
	badLat := *ea
	badLat.Point.Lat = 123
	mLat, _ := MarshalProto(&badLat)
	tests := []struct {
		name string
		bad  []byte
		want string
	}{
		{"bad varint", append([]byte{0xbf}, bytes.Repeat([]byte{0xff}, 11)...), "bad varint length"},
		{"oversized length", binary.AppendUvarint([]byte{0xbf}, 1<<40), "larger than the limit"},
		{"not protobuf", frame([]byte{0x12, 0x05, 0x01}), "not a valid protobuf message"},
		{"invalid latitude", frame(mLat), "cotEvent.lat: 123 is outside [-90, 90]"},
		{"no frame header", []byte("junk"), "4 bytes that are not a frame"},
		{"bad xmlDetail", frame(mustProtoWithXMLDetail(t, ea, "<a><b></a>")), "cotEvent.detail.xmlDetail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append(append(append([]byte{}, fa...), tt.bad...), fb...)
			if tt.name == "oversized length" {
				// The length claims more than there is: the rest of the input is its body.
				in = append(append([]byte{}, fa...), tt.bad...)
			}
			d := NewProtoDecoder(bytes.NewReader(in))
			var uids []string
			var errs []error
			for {
				e, err := d.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					errs = append(errs, err)
					continue
				}
				uids = append(uids, e.UID)
			}
			want := "A,B"
			if tt.name == "oversized length" {
				want = "A"
			}
			if strings.Join(uids, ",") != want {
				t.Errorf("good events: %v, want %s", uids, want)
			}
			if len(errs) == 0 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Errorf("errors %v, want one saying %q", errs, tt.want)
			}
			if de, ok := errs[0].(*DecodeError); !ok || de.Offset != int64(len(fa)) {
				t.Errorf("error %v not at offset %d", errs[0], len(fa))
			}
		})
	}
}

func mustProtoWithXMLDetail(t *testing.T, e *Event, x string) []byte {
	m, err := toProto(e)
	if err != nil {
		t.Fatal(err)
	}
	m.CotEvent.Detail.XmlDetail = x
	b, err := protoMarshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTruncatedFrame: the input ends inside a frame's length or body.
func TestTruncatedFrame(t *testing.T) {
	ea, _ := UnmarshalXML([]byte(goodA))
	fa, _ := AppendFrame(nil, ea)
	for _, cut := range []int{1, 2, len(fa) - 1} {
		in := append(append([]byte{}, fa...), fa[:cut]...)
		d := NewProtoDecoder(bytes.NewReader(in))
		if e, err := d.Next(); err != nil || e.UID != "A" {
			t.Fatalf("cut %d: first frame: %v %v", cut, e, err)
		}
		_, err := d.Next()
		if err == nil || !strings.Contains(err.Error(), "truncated frame") {
			t.Errorf("cut %d: got %v, want a truncated frame error", cut, err)
		}
		if _, err := d.Next(); err != io.EOF {
			t.Errorf("cut %d: then %v, want io.EOF", cut, err)
		}
	}
}

// TestControlOnlyFramesAreSkipped: a TakControl message carries no event.
func TestControlOnlyFramesAreSkipped(t *testing.T) {
	ctl := []byte{0x0a, 0x04, 0x08, 0x01, 0x10, 0x01} // takControl{min 1, max 1}
	ea, _ := UnmarshalXML([]byte(goodA))
	fa, _ := AppendFrame(nil, ea)
	d := NewProtoDecoder(bytes.NewReader(append(frame(ctl), fa...)))
	if e, err := d.Next(); err != nil || e.UID != "A" {
		t.Errorf("got %v %v, want event A", e, err)
	}
}

// TestTruncatedEventDoesNotHideTheNext: an event cut off inside its detail, followed by
// good events. The good events are read as children of the cut one at first; the decoder
// must still return them.
func TestTruncatedEventDoesNotHideTheNext(t *testing.T) {
	cut := `<event version="2.0" uid="T" type="a-h-G" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:05:00Z"><point lat="1" lon="1"/><detail><remarks>cut he`
	for _, tail := range []string{"", "</remarks></detail><bogus>"} {
		d := NewDecoder(strings.NewReader(cut + goodA + goodB + tail))
		var uids []string
		var errs int
		for {
			e, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				errs++
				continue
			}
			uids = append(uids, e.UID)
		}
		if strings.Join(uids, ",") != "A,B" || errs == 0 {
			t.Errorf("tail %q: decoded %v with %d errors, want A,B and an error for T", tail, uids, errs)
		}
	}
}

// TestDecodeErrorIsInvalidInput: callers that map error codes see a bad event as EINVALID.
func TestDecodeErrorIsInvalidInput(t *testing.T) {
	_, err := UnmarshalXML([]byte(withPoint("X", `lat="91" lon="1"`)))
	if got := truce.ErrorCode(err); got != truce.EINVALID {
		t.Errorf("ErrorCode = %q, want %q", got, truce.EINVALID)
	}
}

// TestEachBadEventIsReported: two bad events in a row give two errors, the second not
// swallowed while looking for the next event after the first.
func TestEachBadEventIsReported(t *testing.T) {
	in := goodA + withPoint("X", `lat="95" lon="1"`) + billionLaughs() + "]>" + goodB
	d := NewDecoder(strings.NewReader(in))
	var uids, errs []string
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		uids = append(uids, e.UID)
	}
	if strings.Join(uids, ",") != "A,B" || len(errs) != 2 ||
		!strings.Contains(errs[0], "point@lat") || !strings.Contains(errs[1], "document type declarations") {
		t.Errorf("events %v, errors %q", uids, errs)
	}
}
