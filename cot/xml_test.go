package cot

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// corpus returns the node-cot test events by file name.
func corpus(t testing.TB) (names []string, events map[string][]byte) {
	t.Helper()
	files, err := filepath.Glob("testdata/node-cot/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no events in testdata/node-cot: %v", err)
	}
	events = make(map[string][]byte)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(f))
		events[filepath.Base(f)] = b
	}
	return names, events
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// TestEveryNodeCoTEventDecodes decodes every event of the node-cot suite and compares what
// the decoder understood, written back as XML and as the JSON summary, with golden files.
func TestEveryNodeCoTEventDecodes(t *testing.T) {
	names, events := corpus(t)
	var summaries bytes.Buffer
	enc := json.NewEncoder(&summaries)
	enc.SetEscapeHTML(false) // as truce cot decode prints them
	for _, name := range names {
		e, err := UnmarshalXML(events[name])
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		golden(t, strings.TrimSuffix(name, ".xml")+".golden.xml", append(MarshalXML(e), '\n'))
		if err := enc.Encode(Summarize(e)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	golden(t, "summaries.jsonl", summaries.Bytes())
}

// shown is what a TAK client shows of an event, for comparing events across encodings:
// everything but the version string, attributes of the event element that TAK protocol has
// no place for, and the text of numbers (0.00000000 and 0 are one speed).
func shown(e *Event) Event {
	c := *e
	c.Version = ""
	c.Attrs, c.Other = nil, nil
	c.Time = c.Time.Truncate(time.Millisecond)
	c.Start = c.Start.Truncate(time.Millisecond)
	c.Stale = c.Stale.Truncate(time.Millisecond)
	for _, p := range []*float64{&c.Point.HAE, &c.Point.CE, &c.Point.LE} {
		if math.IsNaN(*p) {
			*p = -1 // NaN != NaN would fail DeepEqual
		}
	}
	if t := c.Detail.Track; t != nil {
		tc := *t
		if v, ok := tc.SpeedValue(); ok {
			tc.Speed = formatNumber(v)
		}
		if v, ok := tc.CourseValue(); ok {
			tc.Course = formatNumber(v)
		}
		c.Detail.Track = &tc
	}
	return c
}

func formatNumber(v float64) string { return string(appendFloatAttr(nil, "", v)) }

// TestRoundTripXMLProtoXMLKeepsWhatClientsShow sends every corpus event through TAK
// protocol and back: uid, type, how, times (to the millisecond), point, callsign, remarks,
// group, links and the shape and route elements must all survive.
func TestRoundTripXMLProtoXMLKeepsWhatClientsShow(t *testing.T) {
	names, events := corpus(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			e, err := UnmarshalXML(events[name])
			if err != nil {
				t.Fatal(err)
			}
			frame, err := AppendFrame(nil, e)
			if err != nil {
				t.Fatal(err)
			}
			d := NewProtoDecoder(bytes.NewReader(frame))
			p, err := d.Next()
			if err != nil {
				t.Fatal(err)
			}
			x := MarshalXML(p)
			back, err := UnmarshalXML(x)
			if err != nil {
				t.Fatalf("XML written from the protobuf does not decode: %v\n%s", err, x)
			}
			if got, want := shown(back), shown(e); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the event:\ngot  %+v\nwant %+v\nXML: %s", got, want, x)
			}
			// And the XML alone round-trips exactly, version and extra attributes included.
			again, err := UnmarshalXML(MarshalXML(e))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(shown(again), shown(e)) || again.Version != e.Version || !reflect.DeepEqual(again.Attrs, e.Attrs) {
				t.Errorf("XML round trip changed the event:\ngot  %+v\nwant %+v", again, e)
			}
		})
	}
}

// TestMeshDatagramRoundTrip checks the mesh framing (0xbf 0x01 0xbf) and that version 0
// carries XML.
func TestMeshDatagramRoundTrip(t *testing.T) {
	_, events := corpus(t)
	e, err := UnmarshalXML(events["cot-itak-005.xml"])
	if err != nil {
		t.Fatal(err)
	}
	dg, err := AppendMesh(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(dg, []byte{0xbf, 0x01, 0xbf}) {
		t.Fatalf("mesh header is % x", dg[:3])
	}
	got, err := UnmarshalMesh(dg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shown(got), shown(e)) {
		t.Errorf("mesh round trip:\ngot  %+v\nwant %+v", shown(got), shown(e))
	}
	// The well-known elements travelled as messages, not as XML.
	if m, _ := MarshalProto(e); bytes.Contains(m, []byte("<__group")) || bytes.Contains(m, []byte("<takv")) {
		t.Errorf("__group or takv was sent as xmlDetail: %q", m)
	}
	xmlDG := append([]byte{0xbf, 0x00, 0xbf}, events["cot-itak-005.xml"]...)
	if got, err := UnmarshalMesh(xmlDG); err != nil || got.UID != e.UID {
		t.Errorf("mesh version 0 (XML): %v, %+v", err, got)
	}
	for _, bad := range [][]byte{{0xbf, 0x02, 0xbf, 0x0a}, {0xbf, 0x01}, {0x00, 0x01, 0xbf}} {
		if _, err := UnmarshalMesh(bad); err == nil {
			t.Errorf("UnmarshalMesh(% x) accepted a bad datagram", bad)
		}
	}
}

// TestDetailModel checks that the elements the package models are parsed into their
// fields, and that what does not fit stays verbatim.
func TestDetailModel(t *testing.T) {
	_, events := corpus(t)
	tests := []struct {
		file  string
		check func(e *Event) string
	}{
		{"cot-itak-005.xml", func(e *Event) string {
			d := e.Detail
			switch {
			case e.Callsign() != "DFPC-iSchmidt" || d.Contact.Endpoint != "*:-1:stcp":
				return "contact"
			case !reflect.DeepEqual(d.Contact.Attrs, []Attr{{"phone", "7204258729"}}):
				return "contact phone"
			case d.Group == nil || d.Group.Name != "Yellow" || d.Group.Role != "Team Member":
				return "group"
			case d.Takv == nil || d.Takv.Platform != "iTAK" || d.Takv.Version != "2.7.0.609":
				return "takv"
			case d.Status == nil || d.Status.Battery != "100":
				return "status"
			case d.UID == nil || d.UID.Droid != "DFPC-iSchmidt":
				return "uid Droid"
			case d.PrecisionLocation == nil || d.PrecisionLocation.GeoPointSrc != "GPS":
				return "precisionlocation"
			}
			c, ok := d.Track.CourseValue()
			if !ok || c != 137.23542786 {
				return "track course"
			}
			return ""
		}},
		{"cot-routes-007.xml", func(e *Event) string {
			if len(e.Detail.Links) != 10 || e.Detail.Links[9].Callsign != "TGT" || e.Detail.Links[9].Point != "40.8199031,-106.12258,2629.467" {
				return "route links"
			}
			if !bytes.Contains(e.Detail.Extra, []byte(`<__navcue voice="Danger"`)) || !bytes.Contains(e.Detail.Extra, []byte("<link_attr ")) {
				return "route info kept verbatim"
			}
			return ""
		}},
		{"cot-shapes-009.xml", func(e *Event) string {
			if e.Callsign() != "R&B Circle 1" {
				return "escaped callsign"
			}
			if !bytes.Contains(e.Detail.Extra, []byte(`<ellipse major="185753.64687066682"`)) || !bytes.Contains(e.Detail.Extra, []byte("<color>ffff7700</color>")) {
				return "shape kept verbatim"
			}
			return ""
		}},
		{"newlines-029.xml", func(e *Event) string {
			if !strings.HasPrefix(e.RemarksText(), "Incident ID: 6841390\nMaster Incident") {
				return "multi-line remarks"
			}
			return ""
		}},
		{"cot-emergency-004.xml", func(e *Event) string {
			if e.Callsign() != "SP-Dev\nManual Alert: Gunshot" {
				return "character reference in callsign"
			}
			return ""
		}},
		{"validation-033.xml", func(e *Event) string {
			if !math.IsNaN(e.Point.HAE) || !math.IsNaN(e.Point.CE) {
				return "NaN height and error"
			}
			return ""
		}},
		{"cot-uas-tool-013.xml", func(e *Event) string {
			if e.Point.Lat != 39.1 || e.How != "" || e.Version != "2" {
				return "point after detail, no how"
			}
			return ""
		}},
		{"cli-003.xml", func(e *Event) string {
			if e.Type != "" || e.UID != "broken-cot-1" {
				return "event without a type"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		e, err := UnmarshalXML(events[tt.file])
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if what := tt.check(e); what != "" {
			t.Errorf("%s: %s not decoded as expected: %+v", tt.file, what, e.Detail)
		}
	}
}

// TestAttributeWhiteSpace: a newline typed into an attribute reads as a space, as XML
// requires; one written as &#10; stays a newline, and survives re-encoding.
func TestAttributeWhiteSpace(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"two\nlines", "two lines"},
		{"tab\there", "tab here"},
		{"two&#10;lines", "two\nlines"},
	} {
		e, err := UnmarshalXML([]byte(strings.Replace(goodA, "ALPHA", tt.in, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if e.Callsign() != tt.want {
			t.Errorf("callsign %q read as %q, want %q", tt.in, e.Callsign(), tt.want)
		}
		again, err := UnmarshalXML(MarshalXML(e))
		if err != nil || again.Callsign() != tt.want {
			t.Errorf("callsign %q after re-encoding: %q, %v", tt.in, again.Callsign(), err)
		}
	}
}

// TestSecondContactSurvivesProtobuf: when a detail has two contacts, the first (modelled,
// sent as a Contact message) stays first after TAK protocol, the second stays in Extra.
func TestSecondContactSurvivesProtobuf(t *testing.T) {
	e, err := UnmarshalXML([]byte(strings.Replace(goodA, `<contact callsign="ALPHA"/>`, `<contact callsign="ALPHA"/><contact callsign="SECOND"/>`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := MarshalProto(e)
	if err != nil {
		t.Fatal(err)
	}
	p, err := UnmarshalProto(m)
	if err != nil {
		t.Fatal(err)
	}
	if p.Callsign() != "ALPHA" || string(p.Detail.Extra) != `<contact callsign="SECOND"/>` {
		t.Errorf("after protobuf: callsign %q, extra %q", p.Callsign(), p.Detail.Extra)
	}
}

// TestConcurrentDecodingKeepsEventsIntact decodes the corpus from several goroutines at
// once, holding on to every event: scanners are shared through a pool and strings are cut
// from their memory, so an event decoded later must never change one decoded before.
func TestConcurrentDecodingKeepsEventsIntact(t *testing.T) {
	names, events := corpus(t)
	want := make(map[string]string)
	for _, n := range names {
		e, err := UnmarshalXML(events[n])
		if err != nil {
			t.Fatal(err)
		}
		want[n] = string(MarshalXML(e))
	}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			var kept []*Event
			for i := 0; i < 20; i++ {
				for _, n := range names {
					e, err := UnmarshalXML(events[n])
					if err != nil {
						errs <- err
						return
					}
					kept = append(kept, e)
				}
			}
			for i, e := range kept {
				if n := names[i%len(names)]; string(MarshalXML(e)) != want[n] {
					errs <- fmt.Errorf("%s changed after later events were decoded", n)
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
