package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/truce-project/truce"
)

// canonicalVectors are the golden test vectors of the canonical encoding and the leaf hash.
// Another implementation of the format (a verifier in another language) must produce exactly
// these bytes and hashes.
var canonicalVectors = []struct {
	name      string
	record    Record
	canonical string
	leafHash  string
}{
	{
		name: "decision without evidence",
		record: Record{Kind: KindDecision, ID: "F-1/review", Time: time.Date(2026, 11, 28, 9, 15, 0, 0, time.UTC),
			Body: json.RawMessage(`{"finding":"F-1","status":"verified","by":["duty-1","analyst-2"]}`)},
		canonical: `{"kind":"decision","id":"F-1/review","time":"2026-11-28T09:15:00Z","body":{"finding":"F-1","status":"verified","by":["duty-1","analyst-2"]}}`,
		leafHash:  "519d4fd8cdc7ec4a7b9cc7d9e0b327ef5758a0b7771bdd76215f25323095fcb0",
	},
	{
		name: "observation with evidence, local time and fraction of a second",
		record: Record{Kind: KindObservation, ID: "patrol-7/obs-1",
			Time:     time.Date(2026, 11, 28, 11, 15, 0, 500000000, time.FixedZone("EET", 2*3600)),
			Evidence: []string{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
			Body:     json.RawMessage("{\n  \"kind\": \"fire.explosion\",\n  \"lat\": 35.17, \"lon\": 33.36\n}")},
		canonical: `{"kind":"observation","id":"patrol-7/obs-1","time":"2026-11-28T09:15:00.5Z","evidence":["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],"body":{"kind":"fire.explosion","lat":35.17,"lon":33.36}}`,
		leafHash:  "ce4b24994ad26f599a820b62846d2645646c5637a35cafffea308d68e0e786d1",
	},
	{
		name: "id with quote, backslash, control characters and non-ASCII",
		record: Record{Kind: KindFinding, ID: "a\"b\\c\nd\te\x01é—", Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
			Body: json.RawMessage(`"<&>"`)},
		canonical: `{"kind":"finding","id":"a\"b\\c\nd\te\u0001é—","time":"2026-01-02T03:04:05.000000006Z","body":"<&>"}`,
		leafHash:  "cb35e86e2c0ff36001baec9ffa33b48f9d9ad0f779056d6986c94c07ec78dadf",
	},
	{
		name: "an analyst's split of an incident",
		record: Record{Kind: KindIncident, ID: "incident-f83b60452b9c0c8e/split/2026-11-28T14:02:07.25Z",
			Time: time.Date(2026, 11, 28, 14, 2, 7, 250000000, time.UTC),
			Body: json.RawMessage(`{"time":"2026-11-28T14:02:07.25Z","actor":"analyst-3","action":"split","incidents":["incident-647dbb3a00733e28"],"result":"incident-f83b60452b9c0c8e","members":["acoustic-4/a4-000117","patrol-2/p2-9"],"reason":"two salvos, ten minutes apart"}`)},
		canonical: `{"kind":"incident","id":"incident-f83b60452b9c0c8e/split/2026-11-28T14:02:07.25Z","time":"2026-11-28T14:02:07.25Z","body":{"time":"2026-11-28T14:02:07.25Z","actor":"analyst-3","action":"split","incidents":["incident-647dbb3a00733e28"],"result":"incident-f83b60452b9c0c8e","members":["acoustic-4/a4-000117","patrol-2/p2-9"],"reason":"two salvos, ten minutes apart"}}`,
		leafHash:  "8b030d7f157e9718219bc184c0a46b2c7789ce1ad695164fa0a6087a9c8cbdc0",
	},
	{
		name: "a party's inspection request",
		record: Record{Kind: KindResponse, ID: "req-1/inspection/2026-11-28T09:15:00Z", Time: time.Date(2026, 11, 28, 9, 15, 0, 0, time.UTC),
			Body: json.RawMessage(`{"response":"req-1","finding":"F-1","party":"east","time":"2026-11-28T09:15:00Z","actor":"liaison-1","role":"liaison","action":"inspection","to":"open","text":"Inspect the depot \"north\"","deadline":"2026-11-30T09:15:00Z"}`)},
		canonical: `{"kind":"response","id":"req-1/inspection/2026-11-28T09:15:00Z","time":"2026-11-28T09:15:00Z","body":{"response":"req-1","finding":"F-1","party":"east","time":"2026-11-28T09:15:00Z","actor":"liaison-1","role":"liaison","action":"inspection","to":"open","text":"Inspect the depot \"north\"","deadline":"2026-11-30T09:15:00Z"}}`,
		leafHash:  "3116cfe7479e4235b8896b5b9aaa343d014542abfa1740eded8bc6f5a7a96333",
	},
}

// TestResponseRecordIsTheGoldenVector builds the record of an inspection request from the
// entry itself: the bytes must be the golden vector's.
func TestResponseRecordIsTheGoldenVector(t *testing.T) {
	deadline := time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)
	e := truce.ResponseEntry{Response: "req-1", Finding: "F-1", Party: "east", Time: time.Date(2026, 11, 28, 9, 15, 0, 0, time.UTC),
		Actor: "liaison-1", Role: truce.RoleLiaison, Action: truce.ResponseInspection, To: truce.RequestOpen,
		Text: `Inspect the depot "north"`, Deadline: &deadline}
	r, err := ResponseRecord(&e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	want := canonicalVectors[len(canonicalVectors)-1]
	if string(got) != want.canonical {
		t.Errorf("response record\n got %s\nwant %s", got, want.canonical)
	}
}

// TestIncidentRecordIsTheGoldenVector builds the record of an analyst's split, in local time,
// as the server does, and gets the golden vector's bytes.
func TestIncidentRecordIsTheGoldenVector(t *testing.T) {
	a := truce.IncidentAction{Time: time.Date(2026, 11, 28, 16, 2, 7, 250000000, time.FixedZone("EET", 2*3600)), Actor: "analyst-3",
		Action: truce.IncidentSplit, Incidents: []string{"incident-647dbb3a00733e28"}, Result: "incident-f83b60452b9c0c8e",
		Members: []string{"acoustic-4/a4-000117", "patrol-2/p2-9"}, Reason: "two salvos, ten minutes apart"}
	r, err := IncidentRecord(&a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range canonicalVectors {
		if v.name == "an analyst's split of an incident" && string(got) != v.canonical {
			t.Errorf("canonical encoding\n got %s\nwant %s", got, v.canonical)
		}
	}
}

func TestCanonicalEncodingMatchesGoldenVectors(t *testing.T) {
	for _, v := range canonicalVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := v.record.MarshalCanonical()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != v.canonical {
				t.Errorf("canonical encoding\n got %s\nwant %s", got, v.canonical)
			}
			h, err := v.record.LeafHash()
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(h[:]) != v.leafHash {
				t.Errorf("leaf hash %x, want %s", h[:], v.leafHash)
			}
			// The leaf hash is RFC 6962's, as an independent implementation computes it.
			if want := rfc6962.DefaultHasher.HashLeaf([]byte(v.canonical)); !bytes.Equal(h[:], want) {
				t.Errorf("leaf hash %x, RFC 6962 leaf hash %x", h[:], want)
			}
			// And it is SHA-256 of a zero byte and the encoding, written out.
			if want := sha256.Sum256(append([]byte{0}, v.canonical...)); h != want {
				t.Errorf("leaf hash %x, SHA-256(0x00 || encoding) %x", h[:], want[:])
			}
		})
	}
}

func TestParseRecordGivesBackTheRecord(t *testing.T) {
	for _, v := range canonicalVectors {
		t.Run(v.name, func(t *testing.T) {
			r, err := ParseRecord([]byte(v.canonical))
			if err != nil {
				t.Fatal(err)
			}
			again, err := r.MarshalCanonical()
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != v.canonical {
				t.Errorf("re-encoded\n got %s\nwant %s", again, v.canonical)
			}
			if !r.Time.Equal(v.record.Time) || r.Kind != v.record.Kind || r.ID != v.record.ID {
				t.Errorf("parsed %+v, want %+v", r, v.record)
			}
		})
	}
}

func TestParseRecordRefusesNonCanonicalForms(t *testing.T) {
	const good = `{"kind":"decision","id":"x","time":"2026-11-28T09:15:00Z","body":{}}`
	if _, err := ParseRecord([]byte(good)); err != nil {
		t.Fatalf("the canonical form itself is refused: %v", err)
	}
	tests := []struct {
		name, data, wantErr string
	}{
		{"keys in another order", `{"id":"x","kind":"decision","time":"2026-11-28T09:15:00Z","body":{}}`, "canonical form from offset 2"},
		{"space after a colon", `{"kind": "decision","id":"x","time":"2026-11-28T09:15:00Z","body":{}}`, "canonical form from offset 8"},
		{"time with an offset", `{"kind":"decision","id":"x","time":"2026-11-28T11:15:00+02:00","body":{}}`, "canonical form"},
		{"time with trailing zeros", `{"kind":"decision","id":"x","time":"2026-11-28T09:15:00.500Z","body":{}}`, "canonical form"},
		{"escaped letter", `{"kind":"decision","id":"\u0078","time":"2026-11-28T09:15:00Z","body":{}}`, "canonical form"},
		{"white space in the body", `{"kind":"decision","id":"x","time":"2026-11-28T09:15:00Z","body":{ }}`, "canonical form"},
		{"empty evidence list", `{"kind":"decision","id":"x","time":"2026-11-28T09:15:00Z","evidence":[],"body":{}}`, "canonical form"},
		{"unknown key", `{"kind":"decision","id":"x","time":"2026-11-28T09:15:00Z","body":{},"extra":1}`, `unknown field "extra"`},
		{"data after the record", good + ` {}`, "data after the closing brace"},
		{"no time", `{"kind":"decision","id":"x","body":{}}`, "time: required"},
		{"bad time", `{"kind":"decision","id":"x","time":"yesterday","body":{}}`, `time: "yesterday" is not an RFC 3339 time`},
		{"no body", `{"kind":"decision","id":"x","time":"2026-11-28T09:15:00Z"}`, "body: required"},
		{"uppercase kind", `{"kind":"Decision","id":"x","time":"2026-11-28T09:15:00Z","body":{}}`, `kind: "Decision" is not a record kind`},
		{"evidence that is not a hash", `{"kind":"decision","id":"x","time":"2026-11-28T09:15:00Z","evidence":["abc"],"body":{}}`, `evidence[0]: "abc" is not a lowercase hex SHA-256`},
		{"invalid UTF-8", "{\"kind\":\"decision\",\"id\":\"\xff\",\"time\":\"2026-11-28T09:15:00Z\",\"body\":{}}", "not in canonical form from offset 25"},
		{"not JSON", `kind=decision`, "record: invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRecord([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if truce.ErrorCode(err) != truce.EINVALID {
				t.Errorf("error code %q, want %q", truce.ErrorCode(err), truce.EINVALID)
			}
		})
	}
}

func TestObservationRecordCommitsToRawBytesAndEvidence(t *testing.T) {
	o := observation(3)
	r, err := ObservationRecord(o, t0)
	if err != nil {
		t.Fatal(err)
	}
	raw := sha256.Sum256(o.Raw)
	want := []string{o.Evidence[0], hex.EncodeToString(raw[:])}
	if strings.Join(r.Evidence, ",") != strings.Join(want, ",") {
		t.Errorf("evidence %v, want %v", r.Evidence, want)
	}
	if r.ID != "patrol-7/obs-000003" || r.Kind != KindObservation {
		t.Errorf("record %s", r)
	}
	var back truce.Observation
	if err := json.Unmarshal(r.Body, &back); err != nil || back.ID != o.ID || back.Lat != o.Lat {
		t.Errorf("body %s does not hold the observation (%v)", r.Body, err)
	}
	if &o.Evidence[0] == &r.Evidence[0] {
		t.Error("the record shares the observation's evidence slice")
	}
}

func TestMarshalCanonicalRefusesIncompleteRecords(t *testing.T) {
	ok := Record{Kind: KindDecision, ID: "x", Time: t0, Body: json.RawMessage(`{}`)}
	tests := []struct {
		name    string
		edit    func(*Record)
		wantErr string
	}{
		{"no kind", func(r *Record) { r.Kind = "" }, "kind:"},
		{"no time", func(r *Record) { r.Time = time.Time{} }, "time: required"},
		{"no body", func(r *Record) { r.Body = nil }, "body: required"},
		{"body not JSON", func(r *Record) { r.Body = json.RawMessage(`{"a":`) }, "body:"},
		{"uppercase evidence", func(r *Record) { r.Evidence = []string{strings.Repeat("A", 64)} }, "evidence[0]"},
		{"body with invalid UTF-8", func(r *Record) { r.Body = json.RawMessage("\"\xff\"") }, "body: not valid UTF-8"},
		{"kind too long", func(r *Record) { r.Kind = strings.Repeat("k", 65) }, "kind:"},
		{"kind starting with a digit", func(r *Record) { r.Kind = "1finding" }, "kind:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.edit(&r)
			_, err := r.MarshalCanonical()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			var e *truce.Error
			if !errors.As(err, &e) {
				t.Errorf("error %T is not a *truce.Error", err)
			}
		})
	}
}

// FuzzParseRecord checks that ParseRecord never panics, and that what it accepts is canonical:
// encoding the parsed record gives back exactly the input, so one record has one leaf hash.
func FuzzParseRecord(f *testing.F) {
	for _, v := range canonicalVectors {
		f.Add([]byte(v.canonical))
	}
	for i := 0; i < 5; i++ {
		r, err := ObservationRecord(observation(i), t0)
		if err != nil {
			f.Fatal(err)
		}
		c, _ := r.MarshalCanonical()
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRecord(data)
		if err != nil {
			return
		}
		again, err := r.MarshalCanonical()
		if err != nil {
			t.Fatalf("parsed record does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted a non-canonical encoding:\n in %q\nout %q", data, again)
		}
		if bytes.IndexByte(data, '\n') >= 0 {
			t.Fatalf("accepted an encoding with a newline: %q", data)
		}
	})
}

// TestNewRecordEncodesAsAnyRecord holds the shortcut for bodies that NewRecord marshalled
// itself to the general encoding, and checks that a body replaced afterwards is checked.
func TestNewRecordEncodesAsAnyRecord(t *testing.T) {
	for i := 0; i < 20; i++ {
		o := observation(i)
		o.Attrs["note"] = "<&> \u2028 é \x01"
		r, err := ObservationRecord(o, t0)
		if err != nil {
			t.Fatal(err)
		}
		fast, err := r.MarshalCanonical()
		if err != nil {
			t.Fatal(err)
		}
		general := r
		general.Body = bytes.Clone(r.Body)
		slow, err := general.MarshalCanonical()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fast, slow) {
			t.Fatalf("observation %d:\nshortcut %s\n general %s", i, fast, slow)
		}
	}
	r, _ := NewRecord(KindDecision, "x", t0, map[string]int{"a": 1})
	r.Body = json.RawMessage(`{"a": 1,`)
	if _, err := r.MarshalCanonical(); err == nil {
		t.Fatal("a body replaced after NewRecord was not checked")
	}
	r, _ = NewRecord(KindDecision, "x", t0, map[string]int{"a": 1})
	r.Body = append(r.Body[:0:0], "{ \"a\" : 1 }"...)
	if c, err := r.MarshalCanonical(); err != nil || !strings.HasSuffix(string(c), `"body":{"a":1}}`) {
		t.Fatalf("replaced body encoded as %s (%v), want it compacted", c, err)
	}
}
