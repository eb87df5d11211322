package cot

import (
	"bytes"
	"io"
	"reflect"
	"testing"
	"time"
)

// FuzzUnmarshalXML: no input may panic, and an event that decodes must come back the same
// from its own XML and from TAK protocol.
func FuzzUnmarshalXML(f *testing.F) {
	names, events := corpus(f)
	for _, n := range names {
		f.Add(events[n])
	}
	f.Add([]byte(billionLaughs()))
	f.Add([]byte(goodA))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := UnmarshalXML(b)
		if err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		x := MarshalXML(e)
		again, err := UnmarshalXML(x)
		if err != nil {
			t.Fatalf("own XML does not decode: %v\n%s", err, x)
		}
		if !reflect.DeepEqual(shown(again), shown(e)) {
			t.Fatalf("XML round trip changed the event:\n%+v\n%+v", shown(again), shown(e))
		}
		if e.Time.Before(time.Unix(1, 0)) || e.Start.Before(time.Unix(1, 0)) || e.Stale.Before(time.Unix(1, 0)) {
			return // TAK protocol cannot carry these times
		}
		m, err := MarshalProto(e)
		if err != nil {
			t.Fatalf("MarshalProto: %v", err)
		}
		p, err := UnmarshalProto(m)
		if err != nil {
			t.Fatalf("own protobuf does not decode: %v", err)
		}
		if !reflect.DeepEqual(shown(p), shown(e)) {
			t.Fatalf("protobuf round trip changed the event:\n%+v\n%+v", shown(p), shown(e))
		}
	})
}

// checkProgress runs a decoder to the end: every call must move forward or end, so that no
// input can make it loop.
func checkProgress(t *testing.T, d *Decoder, n int) {
	last := int64(-1)
	for calls := 0; ; calls++ {
		if calls > n+2 {
			t.Fatalf("%d calls to Next on %d bytes", calls, n)
		}
		_, err := d.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
		}
		if off := d.InputOffset(); off <= last {
			t.Fatalf("no progress: offset %d after %d", off, last)
		} else {
			last = off
		}
	}
}

// FuzzDecoder: a stream of XML events, whatever it holds, is read to the end.
func FuzzDecoder(f *testing.F) {
	names, events := corpus(f)
	var all bytes.Buffer
	for _, n := range names {
		all.Write(events[n])
	}
	f.Add(all.Bytes())
	f.Add([]byte(goodA + withPoint("X", `lat="91" lon="1"`) + goodB))
	f.Add([]byte(billionLaughs() + "]>" + goodA))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(bytes.NewReader(b))
		d.MaxEventSize = 4096
		checkProgress(t, d, len(b))
	})
}

// FuzzProtoDecoder: a stream of TAK protocol frames, whatever it holds, is read to the end,
// and every event it yields can be written again.
func FuzzProtoDecoder(f *testing.F) {
	names, events := corpus(f)
	var all []byte
	for _, n := range names {
		e, err := UnmarshalXML(events[n])
		if err != nil {
			f.Fatal(err)
		}
		fr, err := AppendFrame(nil, e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fr)
		all = append(all, fr...)
	}
	f.Add(all)
	f.Add(append([]byte{0xbf}, bytes.Repeat([]byte{0xff}, 12)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewProtoDecoder(bytes.NewReader(b))
		d.MaxEventSize = 1 << 16
		checkProgress(t, d, len(b))
		d = NewProtoDecoder(bytes.NewReader(b))
		for {
			e, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				continue
			}
			x, err := UnmarshalXML(MarshalXML(e))
			if err != nil {
				t.Fatalf("event from protobuf does not survive XML: %v\n%s", err, MarshalXML(e))
			}
			if !reflect.DeepEqual(shown(x), shown(e)) {
				t.Fatalf("event from protobuf changed through XML:\n%+v\n%+v", shown(x), shown(e))
			}
			m, err := MarshalProto(e)
			if err != nil {
				t.Fatalf("event from protobuf cannot be written as protobuf: %v", err)
			}
			p, err := UnmarshalProto(m)
			if err != nil {
				t.Fatalf("event from protobuf does not survive protobuf: %v", err)
			}
			if !reflect.DeepEqual(shown(p), shown(e)) {
				t.Fatalf("event from protobuf changed through protobuf:\n%+v\n%+v", shown(p), shown(e))
			}
		}
	})
}
