package tak

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/truce-project/truce/cot"
)

// bytesConn is a stream that is already all there: what a client sent, read back.
type bytesConn struct{ *bytes.Reader }

func (bytesConn) SetReadDeadline(time.Time) error { return nil }

// FuzzEventReader: whatever a client sends, the reader returns events no larger than the
// limit, bad events as errors with a field, and otherwise one final error; it never panics
// and always reaches the end. The first byte picks the protocol.
func FuzzEventReader(f *testing.F) {
	files, _ := filepath.Glob("../cot/testdata/node-cot/*.xml")
	var frames []byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte{0}, b...))
		if e, err := cot.UnmarshalXML(b); err == nil {
			if frames, err = cot.AppendFrame(frames, e); err != nil {
				f.Fatal(err)
			}
		}
	}
	f.Add(append([]byte{1}, frames...))
	f.Add([]byte{1, 0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte("\x00<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aa'>]><event>&a;</event>"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		const limit = 8 << 10
		r := &eventReader{conn: bytesConn{bytes.NewReader(in[1:])}, idle: time.Second, max: limit, proto: in[0]&1 == 1}
		for n := 0; ; n++ {
			if n > len(in)+1 {
				t.Fatalf("%d events from %d bytes: the reader does not advance", n, len(in))
			}
			e, raw, err := r.next()
			if err != nil {
				var de *cot.DecodeError
				if errors.As(err, &de) && de.Field != "" {
					continue
				}
				if err != io.EOF && !errors.As(err, &de) {
					t.Fatalf("error of neither a bad event nor the stream: %v", err)
				}
				return
			}
			if e == nil || len(raw) == 0 || len(raw) > limit+binaryHeaderMax {
				t.Fatalf("event %v with %d raw bytes", e, len(raw))
			}
		}
	})
}

// binaryHeaderMax is the most bytes a frame's header takes: 0xbf and a 10-byte varint.
const binaryHeaderMax = 11
