package ais

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// A type 5 in two fragments, from gpsd's sample (EVER DIADEM), and a second one on the other
// channel from the channel multiplexing test.
const (
	type5a1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
	type5a2 = "!AIVDM,2,2,1,A,88888888880,2*25"
	type5b1 = "!AIVDM,2,1,6,B,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht50000000000,0*3B"
	type5b2 = "!AIVDM,2,2,6,B,00000000000,2*21"
	type1   = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"
)

type decodeResult struct {
	mmsi []uint32
	errs []*Error
}

func decodeAll(d *Decoder, lines ...string) decodeResult {
	var r decodeResult
	d.OnExpire = func(e *Error) { r.errs = append(r.errs, e) }
	for i, l := range lines {
		m, err := d.Decode(int64(i+1), []byte(l))
		if err != nil {
			r.errs = append(r.errs, err.(*Error))
			continue
		}
		if m != nil {
			r.mmsi = append(r.mmsi, m.MMSI)
		}
	}
	d.Flush()
	return r
}

func TestReassemblyOfMultiSentenceMessages(t *testing.T) {
	tests := []struct {
		name      string
		lines     []string
		mmsi      []uint32
		lostLines []int64 // lines of first fragments held by messages that expired
		maxAge    int64
		pending   int
	}{
		{"in order", []string{type5a1, type5a2}, []uint32{351759000}, nil, 0, 0},
		{"out of order", []string{type5a2, type5a1}, []uint32{351759000}, nil, 0, 0},
		{"interleaved on two channels", []string{type5a1, type5b1, type5b2, type5a2}, []uint32{271010059, 351759000}, nil, 0, 0},
		{"single sentences between fragments", []string{type5a1, type1, type1, type5a2}, []uint32{371798000, 371798000, 351759000}, nil, 0, 0},
		{"lost last fragment expires at the end of input", []string{type5a1, type1}, []uint32{371798000}, []int64{1}, 0, 0},
		{"lost fragment expires after MaxAge sentences", []string{type5a1, type1, type1, type1, type5a2}, []uint32{371798000, 371798000, 371798000}, []int64{1, 5}, 2, 0},
		{"repeated first fragment starts over", []string{type5a1, type5a1, type5a2}, []uint32{351759000}, []int64{1}, 0, 0},
		{"table bounded by MaxPending", []string{type5a1, type5b1, type5b2, type5a2}, []uint32{271010059}, []int64{1, 4}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Decoder{MaxAge: tt.maxAge, MaxPending: tt.pending}
			r := decodeAll(d, tt.lines...)
			if !equalU32(r.mmsi, tt.mmsi) {
				t.Errorf("decoded MMSIs %v, want %v", r.mmsi, tt.mmsi)
			}
			var lost []int64
			for _, e := range r.errs {
				if e.Cause != CauseLost {
					t.Errorf("unexpected error %v", e)
					continue
				}
				lost = append(lost, e.Line)
			}
			if !equalI64(lost, tt.lostLines) {
				t.Errorf("lost messages at lines %v, want %v (%v)", lost, tt.lostLines, r.errs)
			}
			if d.Pending() != 0 {
				t.Errorf("%d messages pending after Flush", d.Pending())
			}
		})
	}
}

func TestReassemblyMemoryStaysBounded(t *testing.T) {
	// A stream of first fragments whose second fragments never come.
	d := &Decoder{}
	lost := 0
	d.OnExpire = func(*Error) { lost++ }
	for i := 0; i < 10000; i++ {
		if _, err := d.Decode(int64(i+1), []byte(type5a1)); err != nil {
			t.Fatal(err)
		}
		if d.Pending() > DefaultMaxPending {
			t.Fatalf("%d messages pending, more than %d", d.Pending(), DefaultMaxPending)
		}
	}
	if lost != 9999 {
		t.Errorf("%d messages reported lost, want 9999", lost)
	}
}

func equalU32(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalI64(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNotAvailableValuesAreAbsentNotZero(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		absent  []string
		present []string
	}{
		// 440348000 reports no rate of turn (-128) and no heading (511).
		{"class A without turn and heading", "!AIVDM,1,1,,A,16SteH0P00Jt63hHaa6SagvJ087r,0*42", []string{"turn", "heading"}, []string{"speed", "course", "lon", "lat"}},
		// A base station with its date, time and position all "not available".
		{"base station without time", "!AIVDM,1,1,,A,402Fha0000Htt<tSF0l4Q@000d20,0*65", []string{"timestamp", "lon", "lat"}, []string{"epfd", "radio"}},
		// A type 5 with ETA 00-00T24:60 and IMO 0.
		{"static data without ETA or IMO", "!AIVDM,1,1,,A," + type5NoETA + ",2*" + sum("AIVDM,1,1,,A,"+type5NoETA+",2"), []string{"eta", "imo"}, []string{"shipname", "callsign"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Decoder{}
			m, err := d.Decode(1, []byte(tt.line))
			if err != nil || m == nil {
				t.Fatalf("Decode: %v %v", m, err)
			}
			var obj map[string]any
			if err := json.Unmarshal(AppendJSON(nil, m, JSONOptions{Scaled: true}), &obj); err != nil {
				t.Fatal(err)
			}
			for _, k := range tt.absent {
				if v, ok := obj[k]; ok {
					t.Errorf("%s = %v, want absent", k, v)
				}
			}
			for _, k := range tt.present {
				if _, ok := obj[k]; !ok {
					t.Errorf("%s absent, want present in %v", k, obj)
				}
			}
		})
	}
}

// type5NoETA is gpsd's HEALTH CONTROL 13 (ETA not available, IMO 0) joined into one payload.
const type5NoETA = "542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht50000000000" + "00000000000"

func TestScaledUnitsAsGpsd(t *testing.T) {
	d := &Decoder{}
	m, err := d.Decode(1, []byte(type1))
	if err != nil {
		t.Fatal(err)
	}
	lat, lon, ok := m.Position()
	if !ok || abs(lat-48.38163333) > 1e-6 || abs(lon+123.39538333) > 1e-6 {
		t.Errorf("Position() = %v, %v, %v", lat, lon, ok)
	}
	if s, ok := m.SpeedKnots(); !ok || s != 12.3 {
		t.Errorf("SpeedKnots() = %v, %v, want 12.3", s, ok)
	}
	if c, ok := m.CourseDegrees(); !ok || c != 224 {
		t.Errorf("CourseDegrees() = %v, %v, want 224", c, ok)
	}
	if h, ok := m.HeadingDegrees(); !ok || h != 215 {
		t.Errorf("HeadingDegrees() = %v, %v, want 215", h, ok)
	}
	if _, fast, ok := m.TurnRate(); !ok || fast != -1 {
		t.Errorf("TurnRate() fast = %v, %v, want -1 (fast left)", fast, ok)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// TestMalformedSentencesAreReportedNotFatal runs pyais's mixed and live samples, which hold
// malformed sentences, through the decoder: every bad sentence is an *Error naming its line
// and cause, and the good sentences around it still decode.
func TestMalformedSentencesAreReportedNotFatal(t *testing.T) {
	tests := []struct {
		file     string
		messages int
		errLines map[int64]Cause // lines that must be reported, with their cause
	}{
		{"testdata/pyais/ais_test_messages", 7, nil},
		{"testdata/pyais/nmea_data_sample.txt", 778, map[int64]Cause{
			// "!AIVDM,1,1,,B,,0*25": a sentence with an empty payload, 100 times.
			4: CauseLength,
			// The sample kept only the first fragment of each type 5.
			96:  CauseLost,
			875: CauseLost,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := map[int64]Cause{}
			d := &Decoder{OnExpire: func(e *Error) { got[e.Line] = e.Cause }}
			messages, n := 0, int64(0)
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				n++
				if !IsSentence(sc.Bytes()) {
					continue
				}
				SplitSentences(sc.Bytes(), func(s []byte) {
					m, err := d.Decode(n, s)
					var e *Error
					switch {
					case errors.As(err, &e):
						if e.Line != n || e.Cause == 0 || !strings.HasPrefix(e.Error(), "line ") {
							t.Errorf("error %q does not name line %d and a cause", e, n)
						}
						got[e.Line] = e.Cause
					case err != nil:
						t.Errorf("line %d: error %v is not an *Error", n, err)
					case m != nil:
						messages++
					}
				})
			}
			d.Flush()
			for line, cause := range tt.errLines {
				if got[line] != cause {
					t.Errorf("line %d: got cause %v, want %v", line, got[line], cause)
				}
			}
			if tt.messages > 0 && messages != tt.messages {
				t.Errorf("decoded %d messages, want %d", messages, tt.messages)
			}
			t.Logf("%s: %d messages, %d errors %v", tt.file, messages, len(got), got)
		})
	}
}

func TestTagBlockOfFirstFragmentTagsTheMessage(t *testing.T) {
	d := &Decoder{}
	tag := `\s:rcv1,c:1241544035*` + sum("s:rcv1,c:1241544035") + `\`
	if m, err := d.Decode(1, []byte(tag+type5a1)); m != nil || err != nil {
		t.Fatalf("first fragment: %v, %v", m, err)
	}
	m, err := d.Decode(2, []byte(type5a2))
	if err != nil || m == nil {
		t.Fatalf("second fragment: %v, %v", m, err)
	}
	if m.Source != "rcv1" || m.UnixMilli != 1241544035000 {
		t.Errorf("message source %q time %d, want rcv1 1241544035000", m.Source, m.UnixMilli)
	}
}

func TestLostFragmentExpiresWhileOnlySingleSentencesFollow(t *testing.T) {
	var lost []*Error
	d := &Decoder{MaxAge: 2, OnExpire: func(e *Error) { lost = append(lost, e) }}
	for i, l := range []string{type5a1, type1, type1, type1} {
		if _, err := d.Decode(int64(i+1), []byte(l)); err != nil {
			t.Fatal(err)
		}
	}
	if len(lost) != 1 || lost[0].Line != 1 || d.Pending() != 0 {
		t.Errorf("lost %v, %d pending; want the message of line 1 reported and none pending", lost, d.Pending())
	}
}
