package ais

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// corpusLines returns the sentences of the test corpora, to seed the fuzzers with real data.
func corpusLines(f *testing.F, limit int) [][]byte {
	var out [][]byte
	for _, path := range []string{
		"testdata/gpsd/sample.aivdm",
		"testdata/gpsd/daemon/ais_unpack_sixbit.log",
		"testdata/gpsd/daemon/ais-18-27.log",
		"testdata/pyais/ais_test_messages",
	} {
		file, err := os.Open(path)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() && len(out) < limit {
			if IsSentence(sc.Bytes()) {
				out = append(out, append([]byte(nil), sc.Bytes()...))
			}
		}
		file.Close()
	}
	return out
}

// FuzzParseSentence checks that any line either parses into a sentence whose payload lies
// within the line or is rejected with an *Error; never a panic.
func FuzzParseSentence(f *testing.F) {
	for _, l := range corpusLines(f, 200) {
		f.Add(l)
	}
	f.Add([]byte(`\g:1-2-73874,n:157036,s:r003669945,c:1241544035*4A\!AIVDM,1,1,,B,15N4cJ` + "`" + `005Jrek0H@9n` + "`" + `DW5608EP,0*13`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var s Sentence
		err := ParseSentence(line, &s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Cause == 0 {
				t.Fatalf("error %v is not an *Error with a cause", err)
			}
			return
		}
		if s.Number < 1 || s.Number > s.Total || s.Total > 9 || s.Fill < 0 || s.Fill > 5 {
			t.Fatalf("accepted out-of-range envelope %+v", s)
		}
		if len(s.Payload) > 0 && !bytes.Contains(line, s.Payload) {
			t.Fatalf("payload %q is not part of the line", s.Payload)
		}
	})
}

// FuzzDecode feeds a stream of lines to one Decoder: each message it returns must encode as
// valid JSON, each failure must be an *Error naming the line, and the reassembly table must
// stay within its bound.
func FuzzDecode(f *testing.F) {
	lines := corpusLines(f, 400)
	for i := 0; i+3 <= len(lines); i += 3 {
		f.Add(bytes.Join(lines[i:i+3], []byte("\n")))
	}
	f.Add([]byte(type5a2 + "\n" + type5b1 + "\n" + type5a1 + "\n" + type5b2))
	f.Fuzz(func(t *testing.T, input []byte) {
		d := &Decoder{MaxPending: 4, MaxAge: 8}
		d.OnExpire = func(e *Error) {
			if e.Cause != CauseLost || e.Line < 1 {
				t.Fatalf("expiry reported as %v", e)
			}
		}
		var buf []byte
		for n, line := range bytes.Split(input, []byte("\n")) {
			m, err := d.Decode(int64(n+1), line)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Line != int64(n+1) {
					t.Fatalf("line %d: error %v does not name the line", n+1, err)
				}
				continue
			}
			if d.Pending() > 4 {
				t.Fatalf("%d messages pending, bound is 4", d.Pending())
			}
			if m == nil {
				continue
			}
			buf = AppendJSON(buf[:0], m, JSONOptions{Scaled: n%2 == 0})
			if !json.Valid(buf) {
				t.Fatalf("invalid JSON %s", buf)
			}
		}
		d.Flush()
	})
}

// FuzzPayload decodes arbitrary payloads as every message type: unarmouring, field
// extraction and JSON must cope with any length and any bit pattern.
func FuzzPayload(f *testing.F) {
	for _, l := range corpusLines(f, 300) {
		var s Sentence
		if ParseSentence(l, &s) == nil {
			f.Add(append([]byte(nil), s.Payload...), uint8(s.Fill))
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte, fill uint8) {
		var bs bitString
		if err := bs.unarmour(payload, int(fill%6)); err != nil {
			return
		}
		var m Message
		var text [512]byte
		if err := m.decodeBits(&bs, text[:0]); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		m.Payload = payload
		for _, scaled := range []bool{true, false} {
			if b := AppendJSON(nil, &m, JSONOptions{Scaled: scaled}); !json.Valid(b) {
				t.Fatalf("invalid JSON %s", b)
			}
		}
		if lat, lon, ok := m.Position(); ok && (lat < -90 || lat > 90 || lon < -180 || lon > 180) {
			t.Fatalf("Position() = %v, %v reported available out of range", lat, lon)
		}
	})
}
