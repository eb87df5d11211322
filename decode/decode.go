// Package decode reads observations from the formats monitors and feeds send them in: NDJSON
// (one observation object per line), a JSON array of the same objects, a GeoJSON
// FeatureCollection of Points whose properties carry the observation's fields, and CSV with a
// header row. A bad record is reported with its line (or feature) and field and skipped; the
// records around it are still read.
package decode

import (
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"strings"

	truce "github.com/truce-project/truce"
)

// Format is an observation file format.
type Format string

const (
	NDJSON  Format = "ndjson"
	JSON    Format = "json" // a JSON array of observation objects
	GeoJSON Format = "geojson"
	CSV     Format = "csv"
)

// RecordError is a problem with one record. The record is skipped; reading goes on.
type RecordError struct {
	Line  int    // 1-based line where the record starts
	ID    string // the record's id, when it could be read
	Field string // the field at fault, when one is
	Msg   string
}

func (e *RecordError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", e.Line)
	if e.ID != "" {
		fmt.Fprintf(&b, " (id %q)", e.ID)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Handler receives each record in order: a valid observation with err nil, or a *RecordError
// with o nil. Returning an error stops reading and Read returns it.
type Handler func(line int, o *truce.Observation, err *RecordError) error

// Options adjust reading.
type Options struct {
	// Source is given to observations that name none (e.g. the file name or the feed).
	Source string
	// MaxRecordBytes bounds one record (one NDJSON line, one feature); 0 means 1 MiB.
	MaxRecordBytes int
	// KeepRaw keeps each record's bytes in Observation.Raw.
	KeepRaw bool
}

func (o Options) maxRecord() int {
	if o.MaxRecordBytes <= 0 {
		return 1 << 20
	}
	return o.MaxRecordBytes
}

// Read reads observations in format f from r, calling h for each record. It returns an error
// only when the input cannot be read further (an I/O error, or a structure so broken that no
// later record can be found, such as a CSV header with an unknown column); bad records go to h.
func Read(r io.Reader, f Format, opt Options, h Handler) error {
	switch f {
	case NDJSON:
		return readNDJSON(r, opt, h)
	case JSON:
		return readJSONArray(r, opt, h)
	case GeoJSON:
		return readGeoJSON(r, opt, h)
	case CSV:
		return readCSV(r, opt, h)
	}
	return truce.Errorf(truce.EINVALID, "unknown format %q (want ndjson, json, geojson or csv)", f)
}

// FormatOfFile guesses the format from a file name's extension.
func FormatOfFile(name string) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".ndjson", ".jsonl", ".ldjson":
		return NDJSON, nil
	case ".json":
		return JSON, nil
	case ".geojson":
		return GeoJSON, nil
	case ".csv":
		return CSV, nil
	}
	return "", truce.Errorf(truce.EINVALID, "%s: cannot tell the format from the extension (use .ndjson, .json, .geojson or .csv)", name)
}

// FormatOfContentType maps an HTTP Content-Type to a format.
func FormatOfContentType(ct string) (Format, error) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", truce.Errorf(truce.EINVALID, "Content-Type %q cannot be parsed", ct)
	}
	switch mt {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
		return NDJSON, nil
	case "application/json":
		return JSON, nil
	case "application/geo+json", "application/vnd.geo+json":
		return GeoJSON, nil
	case "text/csv", "application/csv":
		return CSV, nil
	}
	return "", truce.Errorf(truce.EINVALID, "Content-Type %q is not one of application/x-ndjson, application/json, application/geo+json, text/csv", mt)
}
