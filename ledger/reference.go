package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/truce-project/truce"
)

// Observations and the findings drawn from them are most of what the log holds, and the store
// keeps each one in a row of its own already: a second copy of their bytes in ledger_entries
// was most of what the log cost the store's single writer. So the log may keep, in place of
// such a record, a reference to the store's row (ObservationRef: "@observation SEQ AT",
// FindingRef: "@finding AT ID"), and build the record again from the row when it is read
// (StoredObservationRecord, FindingRecord, through a Resolver). Their bodies are therefore
// written by this package from the fields, in an order and form fixed here, not by
// encoding/json, and an observation's attrs are the very text the store keeps
// (truce.ObservationJSON). A finding's body leaves out its review, which changes after it is
// logged (each review decision is a record of its own). The leaf hash is of the whole record,
// computed before it is stored; a row changed since reads back as a record the tree does not
// hold, which Verify names.

// Prefixes of the references to the store's rows.
const (
	observationRefPrefix = "@observation "
	findingRefPrefix     = "@finding "
)

// ObservationRecord returns the record of an observation accepted at time at. Its evidence is
// the observation's evidence followed, when the observation keeps the raw bytes it was decoded
// from, by the SHA-256 of those bytes: the log then commits to exactly what the source sent.
// The body is described in the package comment (Observation bodies).
func ObservationRecord(o *truce.Observation, at time.Time) (Record, error) {
	attrs, err := truce.AttrsJSON(o.Attrs)
	if err != nil {
		return Record{}, truce.Errorf(truce.EINVALID, "%s %q: attrs: %v", KindObservation, o.Source+"/"+o.ID, err)
	}
	return StoredObservationRecord(o, attrs, at)
}

// ObservationLeaf returns the leaf hash of ObservationRecord(o, at), its canonical encoding
// written once into a pooled buffer, hashed there and not kept: the form the server makes for
// every observation it accepts, whose record the log keeps as a reference to the store's row
// (Referenced). attrs, when not nil, is o's attrs as the store will keep them
// (truce.Judged.AttrsJSON), written already; nil has them written here.
func ObservationLeaf(o *truce.Observation, attrs []byte, at time.Time) (tlog.Hash, error) {
	return pooledLeaf(func(b []byte) ([]byte, error) { return appendObservationEncoding(b, o, attrs, at) })
}

// FindingLeaf returns the leaf hash of FindingRecord(f, at), written into a pooled buffer and
// not kept, as ObservationLeaf does for an observation: the server keeps a finding's record as
// a reference to the store's row (Referenced with FindingRef), so it needs only the hash.
func FindingLeaf(f *truce.Finding, at time.Time) (tlog.Hash, error) {
	leaf, err := pooledLeaf(func(b []byte) ([]byte, error) {
		return appendEnvelope(b, KindFinding, f.ID, at, nil, nil, func(b []byte) ([]byte, error) {
			return appendFindingBody(b, f)
		})
	})
	if err != nil {
		return tlog.Hash{}, truce.Errorf(truce.EINVALID, "%s %q: %v", KindFinding, f.ID, truce.ErrorMessage(err))
	}
	return leaf, nil
}

// pooledLeaf returns the leaf hash of the encoding write appends, written into a pooled
// buffer after the zero byte a leaf hash begins with, hashed there and not kept.
func pooledLeaf(write func([]byte) ([]byte, error)) (tlog.Hash, error) {
	buf := scratch.Get().(*[]byte)
	defer scratch.Put(buf)
	b, err := write((*buf)[:1])
	if err != nil {
		return tlog.Hash{}, err
	}
	*buf = b
	return sha256.Sum256(b), nil
}

// scratch keeps pooledLeaf's buffers, each beginning with the zero byte of a leaf.
var scratch = sync.Pool{New: func() any { b := make([]byte, 1, 1024); return &b }}

// appendObservationEncoding appends the canonical encoding of ObservationRecord(o, at) to b,
// which holds the zero byte a leaf hash begins with.
func appendObservationEncoding(b []byte, o *truce.Observation, attrs []byte, at time.Time) ([]byte, error) {
	id := o.Source + "/" + o.ID
	if attrs == nil {
		var err error
		if attrs, err = truce.AttrsJSON(o.Attrs); err != nil {
			return nil, truce.Errorf(truce.EINVALID, "%s %q: attrs: %v", KindObservation, id, err)
		}
	}
	b, err := appendEnvelope(b, KindObservation, id, at, o.Evidence, o.Raw, func(b []byte) ([]byte, error) {
		return appendObservationBody(b, o, attrs)
	})
	if err != nil {
		return nil, truce.Errorf(truce.EINVALID, "%s %q: %v", KindObservation, id, truce.ErrorMessage(err))
	}
	return b, nil
}

// StoredObservationRecord is ObservationRecord for an observation read back from the store:
// attrs is the JSON text of its attrs as the store keeps it (truce.ObservationJSON wrote it),
// nil when it has none; o.Attrs is not read.
func StoredObservationRecord(o *truce.Observation, attrs []byte, at time.Time) (Record, error) {
	id := o.Source + "/" + o.ID
	evidence := o.Evidence
	if len(o.Raw) > 0 {
		sum := sha256.Sum256(o.Raw)
		evidence = append(append(make([]string, 0, len(o.Evidence)+1), o.Evidence...), hex.EncodeToString(sum[:]))
	}
	body, err := appendObservationBody(make([]byte, 0, 192+len(attrs)+70*len(o.Evidence)), o, attrs)
	if err != nil {
		return Record{}, truce.Errorf(truce.EINVALID, "%s %q: body: %v", KindObservation, id, err)
	}
	return Record{Kind: KindObservation, ID: id, Time: at, Evidence: evidence, Body: body, marshalled: body}, nil
}

// appendObservationBody appends the body of an observation's record:
//
//	{"id":S,"source":S,"time":T,"kind":S,"lat":N,"lon":N,"ce_m":N,"party":S,"attrs":A,"evidence":[S,...]}
//
// strings as appendString writes them, T as a record's time, numbers as
// truce.AppendJSONNumber writes them, A verbatim; source, ce_m, party, attrs and evidence are
// left out when empty or zero, as encoding/json leaves them out of a truce.Observation. Every
// value is one the store keeps exactly, so the row gives the same bytes back.
func appendObservationBody(b []byte, o *truce.Observation, attrs []byte) ([]byte, error) {
	source := []stringField{{"source", o.Source, false}}
	kind := []stringField{{"kind", o.Kind, true}}
	party := []stringField{{"party", o.Party, false}}
	numbers := []numberField{{"lat", o.Lat, true}, {"lon", o.Lon, true}, {"ce_m", o.CEm, false}}
	if err := checkFields(o.ID, o.Time, numbers, source, kind, party); err != nil {
		return nil, err
	}
	b = append(b, `{"id":`...)
	b = appendString(b, o.ID)
	b = appendStringFields(b, source)
	b = appendTimeField(b, o.Time)
	b = appendStringFields(b, kind)
	b = appendNumberFields(b, numbers)
	b = appendStringFields(b, party)
	if len(attrs) > 0 && string(attrs) != "{}" {
		b = append(b, `,"attrs":`...)
		b = append(b, attrs...)
	}
	if len(o.Evidence) > 0 {
		b = append(b, `,"evidence":[`...)
		for i, e := range o.Evidence {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, e)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// FindingRecord returns the record of a finding produced at time at. Its body is
//
//	{"id":S,"rule":S,"article":S,"title":S,"observation":S,"source":S,"kind":S,"time":T,"lat":N,"lon":N,"zone":S,"party":S,"attribution":S,"severity":S,"confidence":N,"status":S,"explanation":S,"agreement":S}
//
// written as an observation's is, title, source, zone, party and attribution left out when
// empty; the finding's review is not part of it.
func FindingRecord(f *truce.Finding, at time.Time) (Record, error) {
	body, err := appendFindingBody(make([]byte, 0, 384+len(f.Explanation)), f)
	if err != nil {
		return Record{}, truce.Errorf(truce.EINVALID, "%s %q: body: %v", KindFinding, f.ID, err)
	}
	return Record{Kind: KindFinding, ID: f.ID, Time: at, Body: body, marshalled: body}, nil
}

// stringField is a string member of a body: written always, or only when not empty.
type stringField struct {
	key, value string
	always     bool
}

// numberField is a number member of a body: written always, or only when not zero.
type numberField struct {
	key    string
	value  float64
	always bool
}

// checkFields refuses what a body cannot carry byte for byte: text that is not UTF-8, a number
// that is not finite, no time.
func checkFields(id string, t time.Time, numbers []numberField, groups ...[]stringField) error {
	if !utf8.ValidString(id) {
		return fmt.Errorf("id: not valid UTF-8")
	}
	for _, group := range groups {
		for _, f := range group {
			if !utf8.ValidString(f.value) {
				return fmt.Errorf("%s: not valid UTF-8", f.key)
			}
		}
	}
	for _, n := range numbers {
		if math.IsNaN(n.value) || math.IsInf(n.value, 0) {
			return fmt.Errorf("%s: %v is not a finite number", n.key, n.value)
		}
	}
	if t.IsZero() {
		return fmt.Errorf("time: required")
	}
	return nil
}

func appendKey(b []byte, key string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendStringFields(b []byte, fields []stringField) []byte {
	for _, f := range fields {
		if f.always || f.value != "" {
			b = appendString(appendKey(b, f.key), f.value)
		}
	}
	return b
}

func appendNumberFields(b []byte, fields []numberField) []byte {
	for _, f := range fields {
		if f.always || f.value != 0 {
			b = truce.AppendJSONNumber(appendKey(b, f.key), f.value)
		}
	}
	return b
}

// appendTimeField appends the "time" member, in UTC as a record's time is written.
func appendTimeField(b []byte, t time.Time) []byte {
	b = append(appendKey(b, "time"), '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendFindingBody(b []byte, f *truce.Finding) ([]byte, error) {
	head := []stringField{{"rule", f.Rule, true}, {"article", f.Article, true}, {"title", f.Title, false},
		{"observation", f.Observation, true}, {"source", f.Source, false}, {"kind", f.Kind, true}}
	position := []numberField{{"lat", f.Lat, true}, {"lon", f.Lon, true}}
	middle := []stringField{{"zone", f.Zone, false}, {"party", f.Party, false}, {"attribution", f.Attribution, false},
		{"severity", f.Severity, true}}
	confidence := []numberField{{"confidence", f.Confidence, true}}
	tail := []stringField{{"status", f.Status, true}, {"explanation", f.Explanation, true}, {"agreement", f.Agreement, true}}
	if err := checkFields(f.ID, f.Time, append(position, confidence...), head, middle, tail); err != nil {
		return nil, err
	}
	b = append(b, `{"id":`...)
	b = appendString(b, f.ID)
	b = appendStringFields(b, head)
	b = appendTimeField(b, f.Time)
	b = appendNumberFields(b, position)
	b = appendStringFields(b, middle)
	b = appendNumberFields(b, confidence)
	b = appendStringFields(b, tail)
	return append(b, '}'), nil
}

// ObservationRef returns the line the log keeps in place of the record of the observation the
// store keeps as row seq, accepted at at: "@observation SEQ AT", AT in nanoseconds since
// 1970.
func ObservationRef(seq int64, at time.Time) []byte {
	return appendObservationRef(make([]byte, 0, observationRefMax+1), seq, at)
}

// observationRefMax is the longest ObservationRef: the prefix, two int64s and a space.
const observationRefMax = len(observationRefPrefix) + 2*20 + 1

func appendObservationRef(b []byte, seq int64, at time.Time) []byte {
	b = append(b, observationRefPrefix...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, ' ')
	return strconv.AppendInt(b, at.UnixNano(), 10)
}

// ParseObservationRef reads a line ObservationRef wrote. ok is false for any other line.
func ParseObservationRef(ref []byte) (seq int64, at time.Time, ok bool) {
	rest, found := bytes.CutPrefix(ref, []byte(observationRefPrefix))
	if !found {
		return 0, time.Time{}, false
	}
	s, a, found := bytes.Cut(rest, []byte{' '})
	if !found {
		return 0, time.Time{}, false
	}
	seq, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil || seq <= 0 || strconv.FormatInt(seq, 10) != string(s) {
		return 0, time.Time{}, false
	}
	ns, err := strconv.ParseInt(string(a), 10, 64)
	if err != nil || strconv.FormatInt(ns, 10) != string(a) {
		return 0, time.Time{}, false
	}
	return seq, time.Unix(0, ns).UTC(), true
}

// FindingRef returns the line the log keeps in place of the record of the finding the store
// keeps with id, produced at at: "@finding AT ID", AT in nanoseconds since 1970.
func FindingRef(id string, at time.Time) []byte {
	return appendFindingRef(make([]byte, 0, findingRefMax(id)+1), id, at)
}

// findingRefMax is the longest FindingRef of id: the prefix, an int64, a space and the id.
func findingRefMax(id string) int { return len(findingRefPrefix) + 20 + 1 + len(id) }

func appendFindingRef(b []byte, id string, at time.Time) []byte {
	b = append(b, findingRefPrefix...)
	b = strconv.AppendInt(b, at.UnixNano(), 10)
	b = append(b, ' ')
	return append(b, id...)
}

// ParseFindingRef reads a line FindingRef wrote. ok is false for any other line.
func ParseFindingRef(ref []byte) (id string, at time.Time, ok bool) {
	rest, found := bytes.CutPrefix(ref, []byte(findingRefPrefix))
	if !found {
		return "", time.Time{}, false
	}
	a, i, found := bytes.Cut(rest, []byte{' '})
	if !found || len(i) == 0 {
		return "", time.Time{}, false
	}
	ns, err := strconv.ParseInt(string(a), 10, 64)
	if err != nil || strconv.FormatInt(ns, 10) != string(a) {
		return "", time.Time{}, false
	}
	return string(i), time.Unix(0, ns).UTC(), true
}

// A Resolver turns the references a log keeps in place of records (Encoded.StoredAs) back
// into the records' canonical encodings. Resolve returns one encoding per reference, in
// order, nil for a reference to something no longer stored. A reference it cannot turn into
// a record (what it refers to no longer makes one) is a *RefError; any other error is a
// failure to read. A log that keeps no references needs no Resolver: the functions that read
// records take nil.
type Resolver interface {
	Resolve(ctx context.Context, refs [][]byte) ([][]byte, error)
}

// RefError is a Resolver's error for one reference: refs[Index] does not make a record.
type RefError struct {
	Index int
	Err   error
}

func (e *RefError) Error() string { return fmt.Sprintf("reference %d: %v", e.Index, e.Err) }
func (e *RefError) Unwrap() error { return e.Err }

// StoredAs returns e to be kept in the log as the reference ref instead of its encoding. The
// leaf hash is still the encoding's; the caller undertakes that its Resolver gives back
// exactly the encoding for ref. A reference is one line that does not begin with '{', which
// every canonical encoding begins with. The result may use ref's storage (ObservationRef and
// FindingRef leave room for the newline a row ends each line with).
func (e Encoded) StoredAs(ref []byte) (Encoded, error) {
	if len(e.line) == 0 {
		return Encoded{}, fmt.Errorf("ledger: reference %q: the entry was not made by Record.Encode", ref)
	}
	return Referenced(e.leaf, ref)
}

// Referenced returns the entry that keeps, in the log, the reference ref for the record whose
// leaf hash is leaf (ObservationLeaf). As with StoredAs, the caller undertakes that its
// Resolver gives back for ref exactly the encoding leaf is the hash of.
func Referenced(leaf tlog.Hash, ref []byte) (Encoded, error) {
	if leaf == (tlog.Hash{}) {
		return Encoded{}, fmt.Errorf("ledger: reference %q: no leaf hash", ref)
	}
	if len(ref) == 0 || ref[0] == '{' || bytes.IndexByte(ref, '\n') >= 0 {
		return Encoded{}, fmt.Errorf("ledger: reference %q: a reference is one line not beginning with '{'", ref)
	}
	return Encoded{line: append(ref, '\n'), leaf: leaf}, nil
}

// RefLines writes the references of one append (ObservationRef, FindingRef) one after another
// into storage it keeps, so that a batch of references costs an allocation or two, not one
// each: the server's writer makes one for every record it logs. The entries it returns share
// that storage, so Reset, which reuses it, may be called only once they have been appended.
type RefLines struct{ buf []byte }

// refChunk is the storage RefLines allocates at a time: some 350 references.
const refChunk = 16 << 10

// Reset makes the storage of the lines written so far free for the next ones.
func (r *RefLines) Reset() { r.buf = r.buf[:0] }

// Observation is Referenced(leaf, ObservationRef(seq, at)), written into r's storage.
func (r *RefLines) Observation(leaf tlog.Hash, seq int64, at time.Time) (Encoded, error) {
	start := r.reserve(observationRefMax)
	r.buf = appendObservationRef(r.buf, seq, at)
	return r.entry(leaf, start)
}

// Finding is Referenced(leaf, FindingRef(id, at)), written into r's storage; an id a
// reference cannot carry (a newline) is an error, as Referenced gives.
func (r *RefLines) Finding(leaf tlog.Hash, id string, at time.Time) (Encoded, error) {
	start := r.reserve(findingRefMax(id))
	r.buf = appendFindingRef(r.buf, id, at)
	return r.entry(leaf, start)
}

// reserve makes room for a line of up to n bytes and its newline, in a new chunk when the
// current one is full (the lines already written stay where they are), and returns where the
// line begins.
func (r *RefLines) reserve(n int) int {
	if cap(r.buf)-len(r.buf) < n+1 {
		r.buf = make([]byte, 0, max(refChunk, n+1))
	}
	return len(r.buf)
}

// entry ends the line begun at start and checks it as Referenced does; a line refused is
// taken back out of the storage.
func (r *RefLines) entry(leaf tlog.Hash, start int) (Encoded, error) {
	// Referenced appends the newline, here into the byte reserve left after the line, so
	// the entry's line is in r's storage.
	ref := r.buf[start:]
	e, err := Referenced(leaf, ref[:len(ref):len(ref)+1])
	if err != nil {
		r.buf = r.buf[:start]
		return Encoded{}, err
	}
	r.buf = r.buf[:len(r.buf)+1]
	return e, nil
}

// resolve replaces, in lines (records first, first+1, ...), each reference by the encoding r
// gives for it. A reference with no Resolver, or one r finds nothing for, is an error naming
// the record.
func resolve(ctx context.Context, r Resolver, first int64, lines [][]byte) error {
	var at []int
	var refs [][]byte
	for i, l := range lines {
		if len(l) > 0 && l[0] != '{' {
			at, refs = append(at, i), append(refs, l)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	if r == nil {
		return fmt.Errorf("record %d is kept as the reference %q, and nothing was given to read it", first+int64(at[0]), refs[0])
	}
	out, err := r.Resolve(ctx, refs)
	var bad *RefError
	if errors.As(err, &bad) && bad.Index >= 0 && bad.Index < len(at) {
		return fmt.Errorf("record %d (%s) cannot be read back: %w", first+int64(at[bad.Index]), refs[bad.Index], bad.Err)
	}
	if err != nil {
		return fmt.Errorf("records %d to %d: %w", first, first+int64(len(lines))-1, err)
	}
	if len(out) != len(refs) {
		return fmt.Errorf("records %d to %d: %d references read as %d records", first, first+int64(len(lines))-1, len(refs), len(out))
	}
	for k, i := range at {
		if out[k] == nil {
			return fmt.Errorf("record %d is missing from the database (%s)", first+int64(i), refs[k])
		}
		lines[i] = out[k]
	}
	return nil
}
