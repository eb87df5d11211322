package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/truce-project/truce"
)

// Record kinds. A kind says what the body holds; the log itself treats every kind alike.
const (
	KindObservation = "observation" // an observation the mission accepted (body: truce.Observation)
	KindFinding     = "finding"     // a finding the rules produced (body: truce.Finding)
	KindDecision    = "decision"    // a decision a person took: a review, a dismissal, an attribution
	// KindResponse is a step of the liaison channel (body: truce.ResponseEntry): a party's
	// response to a finding (acknowledge, contest, inspection) or the mission's answer to it
	// (answer, close). Its id is "RESPONSE/ACTION/TIME", TIME in the canonical time form.
	KindResponse = "response"
	// KindIncident is an analyst's merge or split of incidents (body: truce.IncidentAction).
	KindIncident = "incident"
	// KindReport is a report the mission published: its kind, name, version and who published
	// it, with the SHA-256 of its JSON and of its HTML as evidence.
	KindReport = "report"
)

// Record is one entry of the log: something the mission accepted or decided, at Time.
type Record struct {
	Kind string
	// ID names the thing recorded: "source/id" for an observation, the finding's id.
	ID string
	// Time is when the mission accepted the observation or took the decision.
	Time time.Time
	// Evidence lists lowercase hex SHA-256 hashes of the files that support the record.
	Evidence []string
	// Body is the thing itself as JSON. Insignificant white space is removed on encoding.
	Body json.RawMessage

	// marshalled is the body as NewRecord had encoding/json write it: valid, compact UTF-8
	// JSON, which the canonical encoding can copy without checking and compacting it again.
	// A Body replaced since is checked as any other.
	marshalled json.RawMessage
}

// isKind reports whether k is a record kind: 1 to 64 lowercase letters, digits, '.', '_' or
// '-', starting with a letter.
func isKind(k string) bool {
	if len(k) == 0 || len(k) > 64 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 1; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// NewRecord returns a record of kind for the JSON encoding of v.
func NewRecord(kind, id string, at time.Time, v any, evidence ...string) (Record, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return Record{}, truce.Errorf(truce.EINVALID, "%s %q: body: %v", kind, id, err)
	}
	return Record{Kind: kind, ID: id, Time: at, Evidence: evidence, Body: body, marshalled: body}, nil
}

// IncidentRecord returns the record of an analyst's merge or split of incidents. Its id is
// "RESULT/ACTION/TIME": the incident the action made, the action, and when it was taken in
// RFC 3339 with the fraction of a second as far as its last non-zero digit, which is also the
// record's time; the body's time is in UTC too.
func IncidentRecord(a *truce.IncidentAction) (Record, error) {
	body := *a
	body.Time = a.Time.UTC()
	return NewRecord(KindIncident, a.Result+"/"+a.Action+"/"+body.Time.Format(time.RFC3339Nano), body.Time, &body)
}

// ResponseRecord returns the record of a step of the liaison channel.
func ResponseRecord(e *truce.ResponseEntry) (Record, error) {
	return NewRecord(KindResponse, e.Response+"/"+e.Action+"/"+e.Time.UTC().Format(time.RFC3339Nano), e.Time, e)
}

// MarshalCanonical returns the canonical encoding of r described in the package comment. The
// same record always gives the same bytes, and ParseRecord gives the record back.
func (r Record) MarshalCanonical() ([]byte, error) {
	return r.appendCanonical(make([]byte, 0, 128+len(r.Body)+70*len(r.Evidence)))
}

func (r Record) appendCanonical(b []byte) ([]byte, error) {
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return nil, truce.Errorf(truce.EINVALID, "body: required")
	}
	return appendEnvelope(b, r.Kind, r.ID, r.Time, r.Evidence, nil, func(b []byte) ([]byte, error) {
		if len(r.Body) == len(r.marshalled) && &r.Body[0] == &r.marshalled[0] {
			return append(b, r.Body...), nil
		}
		if !utf8.Valid(r.Body) {
			return nil, errors.New("not valid UTF-8")
		}
		// Compact writes after what b holds, in b's own storage when it has room.
		body := bytes.NewBuffer(b)
		if err := json.Compact(body, r.Body); err != nil {
			return nil, err
		}
		return body.Bytes(), nil
	})
}

// appendEnvelope appends the canonical encoding of a record of kind, id and time at, whose
// evidence is evidence followed, when raw is not empty, by the SHA-256 of raw, and whose body
// body appends (compact, valid JSON). Every record is written through it: the canonical form
// has one writer, whether the record was built as a Record or straight from an observation
// (ObservationLeaf).
func appendEnvelope(b []byte, kind, id string, at time.Time, evidence []string, raw []byte, body func([]byte) ([]byte, error)) ([]byte, error) {
	if !isKind(kind) {
		return nil, truce.Errorf(truce.EINVALID, "kind: %q is not a record kind (lowercase letters, digits, '.', '_', '-')", kind)
	}
	if !utf8.ValidString(id) {
		return nil, truce.Errorf(truce.EINVALID, "id: not valid UTF-8")
	}
	if at.IsZero() {
		return nil, truce.Errorf(truce.EINVALID, "time: required")
	}
	for i, e := range evidence {
		if len(e) != 2*sha256.Size || !isLowerHex(e) {
			return nil, truce.Errorf(truce.EINVALID, "evidence[%d]: %q is not a lowercase hex SHA-256", i, e)
		}
	}
	b = append(b, `{"kind":`...)
	b = appendString(b, kind)
	b = append(b, `,"id":`...)
	b = appendString(b, id)
	b = append(b, `,"time":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if len(evidence) > 0 || len(raw) > 0 {
		b = append(b, `,"evidence":[`...)
		for i, e := range evidence {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(append(append(b, '"'), e...), '"')
		}
		if len(raw) > 0 {
			if len(evidence) > 0 {
				b = append(b, ',')
			}
			sum := sha256.Sum256(raw)
			b = append(hex.AppendEncode(append(b, '"'), sum[:]), '"')
		}
		b = append(b, ']')
	}
	b = append(b, `,"body":`...)
	b, err := body(b)
	if err != nil {
		return nil, truce.Errorf(truce.EINVALID, "body: %v", err)
	}
	return append(b, '}'), nil
}

// Encoded is a record ready to be appended: its canonical encoding and its leaf hash. Encoding
// and hashing need nothing from the log, and are most of what appending a record costs beyond
// storing it, so a caller with one writer makes them where it can run in parallel, before the
// batch reaches the writer (Record.Encode), and the writer only links the leaves into the tree
// and stores the bytes (AppendEncoded). Only Encode makes one; the zero Encoded is refused.
type Encoded struct {
	// line is the canonical encoding followed by a newline, as a row of ledger_entries
	// holds it.
	line []byte
	leaf tlog.Hash
}

// Encode returns r's canonical encoding and leaf hash, or the error MarshalCanonical gives.
func (r Record) Encode() (Encoded, error) {
	// The encoding is written after a zero byte, so that the leaf hash, SHA-256(0x00 ||
	// encoding), is computed over the buffer as it stands, with nothing copied.
	c, err := r.appendCanonical(make([]byte, 1, 160+len(r.Body)+70*len(r.Evidence)))
	if err != nil {
		return Encoded{}, err
	}
	leaf := sha256.Sum256(c)
	return Encoded{line: append(c[1:], '\n'), leaf: leaf}, nil
}

// LeafHash returns the hash of r as a leaf of the log: SHA-256(0x00 || canonical encoding).
func (r Record) LeafHash() (tlog.Hash, error) {
	c, err := r.MarshalCanonical()
	if err != nil {
		return tlog.Hash{}, err
	}
	return tlog.RecordHash(c), nil
}

// ParseRecord decodes a canonical encoding. It refuses bytes that are valid JSON but not
// canonical (another key order, white space, a different time form), because two encodings of
// one record would hash to two different leaves.
func ParseRecord(data []byte) (Record, error) {
	var raw struct {
		Kind     *string         `json:"kind"`
		ID       *string         `json:"id"`
		Time     *string         `json:"time"`
		Evidence []string        `json:"evidence"`
		Body     json.RawMessage `json:"body"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Record{}, truce.Errorf(truce.EINVALID, "record: %v", err)
	}
	if dec.More() {
		return Record{}, truce.Errorf(truce.EINVALID, "record: data after the closing brace at offset %d", dec.InputOffset())
	}
	switch {
	case raw.Kind == nil:
		return Record{}, truce.Errorf(truce.EINVALID, "kind: required")
	case raw.ID == nil:
		return Record{}, truce.Errorf(truce.EINVALID, "id: required")
	case raw.Time == nil:
		return Record{}, truce.Errorf(truce.EINVALID, "time: required")
	}
	t, err := time.Parse(time.RFC3339Nano, *raw.Time)
	if err != nil {
		return Record{}, truce.Errorf(truce.EINVALID, "time: %q is not an RFC 3339 time", *raw.Time)
	}
	r := Record{Kind: *raw.Kind, ID: *raw.ID, Time: t, Evidence: raw.Evidence, Body: raw.Body}
	again, err := r.MarshalCanonical()
	if err != nil {
		return Record{}, err
	}
	if !bytes.Equal(again, data) {
		at := 0
		for at < len(again) && at < len(data) && again[at] == data[at] {
			at++
		}
		return Record{}, truce.Errorf(truce.EINVALID, "record: not in canonical form from offset %d", at)
	}
	return r, nil
}

// appendString appends s as a JSON string, escaping only what JSON requires: the quote, the
// backslash and the control characters below U+0020. Everything else is copied as UTF-8, so
// that the encoding is the same whichever JSON library a verifier uses to read it.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	// Runs that need no escape, most strings whole, are copied at once.
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		start = i + 1
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// String returns a short description of r for messages.
func (r Record) String() string { return fmt.Sprintf("%s %q", r.Kind, r.ID) }
