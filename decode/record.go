package decode

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	truce "github.com/truce-project/truce"
)

// record is the JSON shape of an observation in NDJSON, JSON arrays and GeoJSON properties.
// Pointers tell a field that is absent from one that is zero.
type record struct {
	ID       string         `json:"id"`
	Source   string         `json:"source"`
	Time     string         `json:"time"`
	Kind     string         `json:"kind"`
	Lat      *float64       `json:"lat"`
	Lon      *float64       `json:"lon"`
	CEm      *float64       `json:"ce_m"`
	Party    string         `json:"party"`
	Attrs    map[string]any `json:"attrs"`
	Evidence []string       `json:"evidence"`
}

// unmarshalRecord decodes one JSON object strictly: an unknown field is an error, so that a
// misspelt "lattitude" is reported rather than silently giving a point at 0°.
func unmarshalRecord(data []byte, rec *record) *RecordError {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(rec); err != nil {
		return jsonRecordError(err)
	}
	if dec.More() {
		return &RecordError{Msg: "more than one JSON value on the line"}
	}
	return nil
}

func jsonRecordError(err error) *RecordError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return &RecordError{Field: te.Field, Msg: fmt.Sprintf("want %s, got JSON %s", jsonTypeName(te.Type.String()), te.Value)}
	case errors.As(err, &se):
		return &RecordError{Msg: fmt.Sprintf("not valid JSON: %v (at byte %d)", se, se.Offset)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &RecordError{Field: f, Msg: "unknown field (fields are id, source, time, kind, lat, lon, ce_m, party, attrs, evidence)"}
	case errors.Is(err, errEOF):
		return &RecordError{Msg: "empty record"}
	}
	return &RecordError{Msg: "not valid JSON: " + err.Error()}
}

var errEOF = errors.New("EOF")

func jsonTypeName(t string) string {
	switch t {
	case "string":
		return "text"
	case "*float64", "float64":
		return "a number"
	case "map[string]interface {}":
		return "an object"
	case "[]string":
		return "a list of text"
	}
	return t
}

// observation checks rec and turns it into an Observation.
func (rec *record) observation(opt Options) (*truce.Observation, *RecordError) {
	o := &truce.Observation{ID: rec.ID, Source: rec.Source, Kind: rec.Kind, Party: rec.Party, Evidence: rec.Evidence}
	if o.Source == "" {
		o.Source = opt.Source
	}
	fail := func(field, format string, args ...any) (*truce.Observation, *RecordError) {
		return nil, &RecordError{ID: rec.ID, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if rec.Time == "" {
		return fail("time", "required")
	}
	t, err := time.Parse(time.RFC3339Nano, rec.Time)
	if err != nil {
		return fail("time", "%q is not an RFC 3339 time such as 2026-05-01T06:00:00Z", rec.Time)
	}
	o.Time = t
	if rec.Lat == nil {
		return fail("lat", "required")
	}
	if rec.Lon == nil {
		return fail("lon", "required")
	}
	o.Lat, o.Lon = *rec.Lat, *rec.Lon
	if rec.CEm != nil {
		o.CEm = *rec.CEm
	}
	if rec.Attrs != nil {
		o.Attrs = normalizeAttrs(rec.Attrs)
	}
	for i, e := range o.Evidence {
		if b, err := hex.DecodeString(e); err != nil || len(b) != 32 {
			return fail(fmt.Sprintf("evidence[%d]", i), "%q is not a hex SHA-256", e)
		}
	}
	if err := o.Validate(); err != nil {
		field, msg, _ := strings.Cut(truce.ErrorMessage(err), ": ")
		return fail(field, "%s", msg)
	}
	return o, nil
}

// normalizeAttrs turns json.Number values into float64, the one number type rules see.
func normalizeAttrs(m map[string]any) map[string]any {
	for k, v := range m {
		m[k] = normalizeValue(v)
	}
	return m
}

func normalizeValue(v any) any {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return v.String()
		}
		return f
	case map[string]any:
		return normalizeAttrs(v)
	case []any:
		for i := range v {
			v[i] = normalizeValue(v[i])
		}
		return v
	}
	return v
}
