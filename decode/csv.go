package decode

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	truce "github.com/truce-project/truce"
)

// CSV columns. Any column named "attrs.NAME" sets attribute NAME; an "attrs" column may hold a
// JSON object of attributes; "evidence" holds SHA-256 hashes separated by ';'.
var csvColumns = []string{"id", "source", "time", "kind", "lat", "lon", "ce_m", "party", "attrs", "evidence"}

// readCSV reads a CSV file whose first row names the columns. An unknown column stops reading,
// since every record would be misread; a bad row is reported and skipped.
func readCSV(r io.Reader, opt Options, h Handler) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return truce.Errorf(truce.EINVALID, "line 1: the CSV header cannot be read: %v", err)
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, c := range header {
		c = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
		known := strings.HasPrefix(c, "attrs.") && len(c) > len("attrs.")
		for _, k := range csvColumns {
			known = known || c == k
		}
		if !known {
			return truce.Errorf(truce.EINVALID, "line 1: column %d %q is not an observation field (use %s, or attrs.NAME)", i+1, c, strings.Join(csvColumns, ", "))
		}
		if seen[c] {
			return truce.Errorf(truce.EINVALID, "line 1: column %q appears twice", c)
		}
		seen[c] = true
		cols[i] = c
	}
	for _, req := range []string{"id", "time", "kind", "lat", "lon"} {
		if !seen[req] {
			return truce.Errorf(truce.EINVALID, "line 1: the header has no %q column", req)
		}
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return err
			}
			if herr := h(pe.StartLine, nil, &RecordError{Line: pe.StartLine, Msg: "bad CSV: " + pe.Err.Error()}); herr != nil {
				return herr
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		o, rerr := csvObservation(cols, row, opt)
		if rerr != nil {
			rerr.Line = line
			if herr := h(line, nil, rerr); herr != nil {
				return herr
			}
			continue
		}
		if opt.KeepRaw {
			o.Raw = []byte(strings.Join(row, ","))
		}
		if herr := h(line, o, nil); herr != nil {
			return herr
		}
	}
}

func csvObservation(cols, row []string, opt Options) (*truce.Observation, *RecordError) {
	if len(row) != len(cols) {
		return nil, &RecordError{Msg: fmt.Sprintf("%d fields, but the header has %d columns", len(row), len(cols))}
	}
	var rec record
	number := func(field, s string) (*float64, *RecordError) {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, &RecordError{Field: field, Msg: fmt.Sprintf("%q is not a number", s)}
		}
		return &f, nil
	}
	var rerr *RecordError
	for i, c := range cols {
		v := row[i]
		switch c {
		case "id":
			rec.ID = v
		case "source":
			rec.Source = v
		case "time":
			rec.Time = strings.TrimSpace(v)
		case "kind":
			rec.Kind = strings.TrimSpace(v)
		case "party":
			rec.Party = strings.TrimSpace(v)
		case "lat":
			if strings.TrimSpace(v) != "" {
				rec.Lat, rerr = number("lat", v)
			}
		case "lon":
			if strings.TrimSpace(v) != "" {
				rec.Lon, rerr = number("lon", v)
			}
		case "ce_m":
			if strings.TrimSpace(v) != "" {
				rec.CEm, rerr = number("ce_m", v)
			}
		case "evidence":
			for _, e := range strings.Split(v, ";") {
				if e = strings.TrimSpace(e); e != "" {
					rec.Evidence = append(rec.Evidence, e)
				}
			}
		case "attrs":
			if strings.TrimSpace(v) != "" {
				var m map[string]any
				if err := json.Unmarshal([]byte(v), &m); err != nil {
					rerr = &RecordError{Field: "attrs", Msg: "not a JSON object: " + err.Error()}
				}
				for k, x := range m {
					setAttr(&rec, k, x)
				}
			}
		default: // attrs.NAME
			if v != "" {
				setAttr(&rec, strings.TrimPrefix(c, "attrs."), csvValue(v))
			}
		}
		if rerr != nil {
			rerr.ID = rec.ID
			return nil, rerr
		}
	}
	return rec.observation(opt)
}

func setAttr(rec *record, k string, v any) {
	if rec.Attrs == nil {
		rec.Attrs = map[string]any{}
	}
	rec.Attrs[k] = v
}

// csvValue types a CSV cell for attrs: numbers and booleans as such, everything else as text.
func csvValue(s string) any {
	t := strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f
	}
	switch t {
	case "true":
		return true
	case "false":
		return false
	}
	return s
}
