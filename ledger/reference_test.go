package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/truce-project/truce"
)

// The golden record of an observation whose body this package writes (Observation bodies in
// the package comment): a verifier's copy of the log holds these bytes. The second evidence
// is the SHA-256 of the raw line, {"id":"obs-3"} (sha256sum agrees). The note needs escapes,
// so the attrs are encoding/json's, which writes < and > as \u003c and \u003e.
const observationGolden = `{"kind":"observation","id":"patrol-7/obs-3","time":"2026-11-28T09:15:00.5Z","evidence":["00000000000000000000000000000000000000000000000000000000000000a3","a256aef187df9283452ccce20aa991da61ae832b780a40657bd21570305d966f"],"body":{"id":"obs-3","source":"patrol-7","time":"2026-11-28T07:15:03Z","kind":"fire.projectile","lat":35.1003,"lon":33.3,"ce_m":25,"party":"east","attrs":{"caliber_mm":122,"count_best":3,"note":"seen \u003ctwice\u003e"},"evidence":["00000000000000000000000000000000000000000000000000000000000000a3"]}}`

func TestObservationRecordIsTheGoldenRecord(t *testing.T) {
	at := time.Date(2026, 11, 28, 11, 15, 0, 500_000_000, time.FixedZone("EET", 2*3600))
	o := &truce.Observation{ID: "obs-3", Source: "patrol-7", Time: time.Date(2026, 11, 28, 9, 15, 3, 0, time.FixedZone("EET", 2*3600)),
		Kind: "fire.projectile", Lat: 35.1003, Lon: 33.3, CEm: 25, Party: "east",
		Attrs:    map[string]any{"count_best": 3.0, "caliber_mm": 122.0, "note": "seen <twice>"},
		Evidence: []string{strings.Repeat("0", 62) + "a3"}, Raw: []byte(`{"id":"obs-3"}`)}
	r, err := ObservationRecord(o, at)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != observationGolden {
		t.Errorf("record\n%s\nwant\n%s", got, observationGolden)
	}
	if _, err := ParseRecord(got); err != nil {
		t.Errorf("the record is not canonical: %v", err)
	}
}

// hardObservations are observations whose bodies are easy to get wrong.
func hardObservations() []*truce.Observation {
	t1 := time.Date(2026, 5, 1, 9, 10, 11, 123456789, time.FixedZone("EEST", 3*3600))
	return []*truce.Observation{
		observation(1),
		{ID: "zero", Source: "s", Time: t1, Kind: "presence.vehicle", Lat: math.Copysign(0, -1), Lon: 0},
		{ID: "empty", Time: t1, Kind: "presence.vehicle", Lat: 1e-7, Lon: -179.5, Attrs: map[string]any{}, Evidence: []string{}},
		{ID: "nested \"q\"\n\t\x01", Source: "ü/ñ", Time: t1, Kind: "fire.explosion", Lat: 47, Lon: 36, Party: "<east>",
			Attrs: map[string]any{"a": map[string]any{"z": []any{1.5, nil, "<&>"}}, "n": int64(1<<60 + 1)}, Raw: []byte{0, 1, 2}},
		{ID: "big", Source: "s", Time: t1, Kind: "sea.vessel", Lat: 89.999999999999, Lon: 1e-300, CEm: 1e21,
			Attrs: map[string]any{"big": 1e21, "small": 5e-7, "t": true, "f": false, "nil": nil, "s": "plain"}},
	}
}

// TestObservationBodiesReadAsTheObservation: the body written by hand decodes, with
// encoding/json, into the observation it was written from (its time in UTC), and
// ObservationLeaf gives the leaf of ObservationRecord and Encode.
func TestObservationBodiesReadAsTheObservation(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 15, 0, 1, time.UTC)
	for _, o := range hardObservations() {
		checkObservationRecord(t, o, at)
	}
}

func checkObservationRecord(t *testing.T, o *truce.Observation, at time.Time) {
	t.Helper()
	r, err := ObservationRecord(o, at)
	if err != nil {
		t.Fatalf("%q: %v", o.ID, err)
	}
	var back truce.Observation
	if err := json.Unmarshal(r.Body, &back); err != nil {
		t.Fatalf("%q: body %s: %v", o.ID, r.Body, err)
	}
	want := *o
	want.Time, want.Raw = o.Time.UTC(), nil
	if want.Lat == 0 {
		want.Lat = 0 // a negative zero is written 0
	}
	if want.Lon == 0 {
		want.Lon = 0
	}
	if len(want.Attrs) == 0 {
		want.Attrs = nil
	} else {
		// encoding/json reads numbers as float64.
		b, _ := json.Marshal(want.Attrs)
		want.Attrs = nil
		json.Unmarshal(b, &want.Attrs)
	}
	if len(want.Evidence) == 0 {
		want.Evidence = nil
	}
	if !reflect.DeepEqual(back, want) {
		t.Errorf("%q: body %s reads as\n%#v\nwant\n%#v", o.ID, r.Body, back, want)
	}
	enc, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// Hashed directly, with the attrs written here or already (as the pipeline writes them).
	j := truce.Judged{Observation: o}
	j.EncodeAttrs()
	for _, attrs := range [][]byte{nil, j.AttrsJSON} {
		if leaf, err := ObservationLeaf(o, attrs, at); err != nil || leaf != enc.leaf {
			t.Errorf("%q: ObservationLeaf %x, %v; the record's leaf %x", o.ID, leaf, err, enc.leaf)
		}
	}
	if _, err := ParseRecord(bytes.TrimSuffix(enc.line, []byte("\n"))); err != nil {
		t.Errorf("%q: not canonical: %v", o.ID, err)
	}
	if tlog.RecordHash(bytes.TrimSuffix(enc.line, []byte("\n"))) != enc.leaf {
		t.Errorf("%q: the leaf is not the encoding's hash", o.ID)
	}
}

// FuzzObservationRecord: whatever the text fields and numbers, a record is either refused
// with an error or reads back as the observation, and both ways of encoding it agree.
func FuzzObservationRecord(f *testing.F) {
	f.Add("obs-1", "patrol", "east", "note", 47.5, 36.25, 10.0, "v")
	f.Add("a\"b\\c\n", "ü", "", "<&>", -0.0, 1e-300, 0.0, "\xff")
	f.Fuzz(func(t *testing.T, id, source, party, key string, lat, lon, ce float64, value string) {
		o := &truce.Observation{ID: id, Source: source, Party: party, Time: t0, Kind: "presence.vehicle",
			Lat: lat, Lon: lon, CEm: ce, Attrs: map[string]any{key: value, "n": lat}}
		if o.Validate() != nil || math.IsInf(lat, 0) {
			return
		}
		checkObservationRecord(t, o, t0)
	})
}

// TestFindingBodyReadsAsTheFinding: a finding's body decodes into the finding without its
// review, which is not part of the record.
func TestFindingBodyReadsAsTheFinding(t *testing.T) {
	f := truce.Finding{ID: "0123456789abcdef0123456789abcdef", Rule: "dmz-presence", Article: "3.1", Title: "Vehicles <in> the DMZ",
		Observation: "obs-1", Source: "patrol-7", Kind: "presence.vehicle", Time: time.Date(2026, 5, 1, 9, 0, 0, 5, time.FixedZone("X", 3600)),
		Lat: math.Copysign(0, -1), Lon: 36.2, Zone: "dmz", Party: "east", Attribution: "reported by \"the monitor\"", Severity: "high",
		Confidence: 0.75, Status: "inside", Explanation: "line one\nline two", Agreement: "sha256:abc", Review: "verified"}
	r, err := FindingRecord(&f, t0)
	if err != nil {
		t.Fatal(err)
	}
	var back truce.Finding
	if err := json.Unmarshal(r.Body, &back); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	want := f
	want.Time, want.Lat, want.Review = f.Time.UTC(), 0, ""
	if !reflect.DeepEqual(back, want) {
		t.Errorf("body %s reads as\n%#v\nwant\n%#v", r.Body, back, want)
	}
	if c, err := r.MarshalCanonical(); err != nil {
		t.Fatal(err)
	} else if _, err := ParseRecord(c); err != nil {
		t.Errorf("not canonical: %v", err)
	}
	// FindingLeaf, which the server computes instead of the record, is the record's leaf.
	recordLeaf, err := r.LeafHash()
	if err != nil {
		t.Fatal(err)
	}
	if leaf, err := FindingLeaf(&f, t0); err != nil || leaf != recordLeaf {
		t.Errorf("FindingLeaf %x, %v; the record's leaf %x", leaf, err, recordLeaf)
	}
	f.Time = time.Time{}
	if _, err := FindingLeaf(&f, t0); err == nil {
		t.Error("FindingLeaf of a finding with no time: no error")
	}
}

// TestRefLinesWriteTheReferencesReferencedWould: RefLines gives, line for line, the entries
// Referenced makes of ObservationRef and FindingRef, over several chunks of its storage, even
// at the extremes of a reference's numbers; a line refused leaves nothing behind, and lines
// written stay as written until Reset.
func TestRefLinesWriteTheReferencesReferencedWould(t *testing.T) {
	var r RefLines
	var got, want []Encoded
	leaf := func(i int) tlog.Hash { return tlog.RecordHash([]byte(strconv.Itoa(i))) }
	times := []time.Time{t0, time.Unix(0, math.MinInt64).UTC(), time.Unix(0, math.MaxInt64).UTC()}
	for i := range 2000 { // some 100 KB of references: several chunks
		at := times[i%len(times)]
		seq := int64(i + 1)
		if i%7 == 0 {
			seq = math.MaxInt64 - int64(i)
		}
		e, err := r.Observation(leaf(i), seq, at)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := Referenced(leaf(i), ObservationRef(seq, at))
		got, want = append(got, e), append(want, w)
		if i%5 == 0 {
			id := strings.Repeat("f", i%90+1)
			e, err := r.Finding(leaf(-i), id, at)
			if err != nil {
				t.Fatal(err)
			}
			w, _ := Referenced(leaf(-i), FindingRef(id, at))
			got, want = append(got, e), append(want, w)
		}
		if i%11 == 0 {
			if _, err := r.Finding(leaf(i), "two\nlines", at); err == nil {
				t.Fatal("a finding reference with a newline was taken")
			}
			if bytes.Contains(r.buf, []byte("two")) {
				t.Fatalf("a refused reference was left behind: %q", r.buf[max(0, len(r.buf)-60):])
			}
		}
	}
	for i := range want {
		if !bytes.Equal(got[i].line, want[i].line) || got[i].leaf != want[i].leaf {
			t.Fatalf("entry %d: %q %x; Referenced gives %q %x", i, got[i].line, got[i].leaf, want[i].line, want[i].leaf)
		}
	}
	r.Reset()
	if _, err := r.Observation(tlog.Hash{}, 1, t0); err == nil {
		t.Error("a reference with no leaf hash was taken")
	}
}

func TestReferencesReadBack(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 15, 0, 123, time.UTC)
	seq, got, ok := ParseObservationRef(ObservationRef(42, at))
	if !ok || seq != 42 || !got.Equal(at) {
		t.Errorf("observation reference read back as %d %v %v", seq, got, ok)
	}
	id, got, ok := ParseFindingRef(FindingRef("0123abcd", at))
	if !ok || id != "0123abcd" || !got.Equal(at) {
		t.Errorf("finding reference read back as %q %v %v", id, got, ok)
	}
	for _, bad := range []string{"@observation 42", "@observation 042 1", "@observation -1 1", "@observation 1 x", "@finding 1", "@finding x id", "{}", ""} {
		if _, _, ok := ParseObservationRef([]byte(bad)); ok {
			t.Errorf("%q read as an observation reference", bad)
		}
		if _, _, ok := ParseFindingRef([]byte(bad)); ok {
			t.Errorf("%q read as a finding reference", bad)
		}
	}
	var e Encoded
	if _, err := e.StoredAs([]byte("@x")); err == nil {
		t.Error("a reference to an entry Encode did not make was taken")
	}
	r, _ := ObservationRecord(observation(1), at)
	enc, _ := r.Encode()
	for _, bad := range []string{"", "{x", "a\nb"} {
		if _, err := enc.StoredAs([]byte(bad)); err == nil {
			t.Errorf("%q taken as a reference", bad)
		}
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FuzzAppendString: a string written as records write them reads back as itself, and only the
// quote, the backslash and the control characters are escaped.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote \" backslash \\ newline \n tab \t cr \r nul \x00 esc \x1b", "ü<&>\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		b := appendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Fatalf("%q written as %s reads back as %q, %v", s, b, back, err)
		}
		escapes := 0
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
				escapes++
			}
		}
		if escapes == 0 && string(b) != `"`+s+`"` {
			t.Fatalf("%q needed no escape and was written %s", s, b)
		}
	})
}
