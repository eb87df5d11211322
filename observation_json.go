package truce

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
)

// ObservationJSON writes the JSON text of an observation's attrs and evidence: the one text
// the store keeps in its rows and the mission's log builds an observation's record from, so
// that the log can store a reference to the row instead of a second copy of its bytes and
// read the record back from the row (package ledger). The text is a function of the values
// alone: the same map gives the same bytes, in every process and version that keeps this
// encoder. An ObservationJSON reuses its buffer; the bytes returned are valid until its next
// call.
type ObservationJSON struct {
	buf  []byte
	keys []string
}

// Attrs returns the JSON object of m, or nil for a nil map. The flat maps observations carry
// (strings, numbers, booleans, nulls) are written by hand, keys sorted by byte as
// encoding/json sorts them, numbers as the shortest decimal that reads back as the same
// float64 (strconv's 'g' form, which JSON allows), at a fraction of encoding/json's cost;
// anything else is written by encoding/json, whose output for a given value is fixed too.
func (e *ObservationJSON) Attrs(m map[string]any) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	e.keys = e.keys[:0]
	for k, v := range m {
		if !plainJSONString(k) || !plainJSONValue(v) {
			return json.Marshal(m)
		}
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys)
	e.buf = append(e.buf[:0], '{')
	for i, k := range e.keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(e.buf, '"')
		e.buf = append(e.buf, k...)
		e.buf = append(e.buf, '"', ':')
		switch v := m[k].(type) {
		case nil:
			e.buf = append(e.buf, "null"...)
		case bool:
			e.buf = strconv.AppendBool(e.buf, v)
		case string:
			e.buf = append(e.buf, '"')
			e.buf = append(e.buf, v...)
			e.buf = append(e.buf, '"')
		case float64:
			e.buf = AppendJSONNumber(e.buf, v)
		}
	}
	e.buf = append(e.buf, '}')
	return e.buf, nil
}

// observationJSONs keeps encoders between calls of AttrsJSON, which runs for every
// observation the mission accepts.
var observationJSONs = sync.Pool{New: func() any { return new(ObservationJSON) }}

// AttrsJSON returns the JSON text of m as ObservationJSON writes it, in bytes of its own, or
// nil for a nil map.
func AttrsJSON(m map[string]any) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	e := observationJSONs.Get().(*ObservationJSON)
	defer observationJSONs.Put(e)
	b, err := e.Attrs(m)
	if err != nil {
		return nil, err
	}
	return append(make([]byte, 0, len(b)), b...), nil
}

// EncodeAttrs writes j.AttrsJSON from the observation's attrs. It runs where observations are
// judged, in parallel, before the batch reaches the store's single writer. When the attrs
// cannot be written it leaves AttrsJSON nil: the store then tries again, and refuses the batch
// with the reason.
func (j *Judged) EncodeAttrs() {
	if j.Observation == nil {
		return
	}
	if b, err := AttrsJSON(j.Observation.Attrs); err == nil {
		j.AttrsJSON = b
	}
}

// Evidence returns the JSON array of hashes, or nil for none (a nil slice). Evidence is hex,
// so the common case needs no escaping and is written by hand; anything else goes through
// encoding/json.
func (e *ObservationJSON) Evidence(hashes []string) ([]byte, error) {
	if hashes == nil {
		return nil, nil
	}
	e.buf = append(e.buf[:0], '[')
	for i, h := range hashes {
		if !plainJSONString(h) {
			return json.Marshal(hashes)
		}
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(e.buf, '"')
		e.buf = append(e.buf, h...)
		e.buf = append(e.buf, '"')
	}
	e.buf = append(e.buf, ']')
	return e.buf, nil
}

// AppendJSONNumber appends v as the shortest decimal that reads back as the same float64, in
// strconv's 'g' form ("33.5", "1e-07", "1e+21"). Zero is written "0" whatever its sign: the
// store keeps a REAL with no fraction as an integer, so a negative zero reads back as zero,
// and a number written from a stored row must be the number written before it was stored.
// v must be finite.
func AppendJSONNumber(b []byte, v float64) []byte {
	if v == 0 {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// plainJSONValue reports whether Attrs writes v by hand: a null, a boolean, a finite number,
// or a string needing no escapes.
func plainJSONValue(v any) bool {
	switch v := v.(type) {
	case nil, bool:
		return true
	case float64:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	case string:
		return plainJSONString(v)
	}
	return false
}

// plainJSONString reports whether s can stand between quotes in JSON as it is: printable
// ASCII with no quote or backslash, and none of the characters encoding/json escapes for HTML.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
