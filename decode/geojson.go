package decode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	truce "github.com/truce-project/truce"
)

// feature is a GeoJSON Feature whose geometry is a Point and whose properties are an
// observation's fields other than lat and lon.
type feature struct {
	Type       string          `json:"type"`
	ID         any             `json:"id"`
	Geometry   *pointGeometry  `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

type pointGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// readGeoJSON reads a FeatureCollection of Point features. Each feature's line is where it
// starts in the input.
func readGeoJSON(r io.Reader, opt Options, h Handler) error {
	data, err := readAllLimited(r, 1<<30)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	lines := lineCounter{data: data}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return truce.Errorf(truce.EINVALID, "line 1: not a GeoJSON FeatureCollection (want a JSON object)")
	}
	sawFeatures, sawType := false, false
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return truce.Errorf(truce.EINVALID, "line %d: broken JSON: %v", lines.lineAt(dec.InputOffset()), err)
		}
		key, _ := keyTok.(string)
		switch key {
		case "type":
			var t string
			if err := dec.Decode(&t); err != nil || t != "FeatureCollection" {
				return truce.Errorf(truce.EINVALID, "line %d: type: want \"FeatureCollection\"", lines.lineAt(dec.InputOffset()))
			}
			sawType = true
		case "features":
			sawFeatures = true
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return truce.Errorf(truce.EINVALID, "line %d: features: want a list", lines.lineAt(dec.InputOffset()))
			}
			for i := 0; dec.More(); i++ {
				start := lines.lineAt(skipSpaceComma(data, dec.InputOffset()))
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return truce.Errorf(truce.EINVALID, "line %d: feature %d: broken JSON, the rest of the input was not read: %v", start, i, err)
				}
				if herr := decodeFeature(start, i, raw, opt, h); herr != nil {
					return herr
				}
			}
			if _, err := dec.Token(); err != nil {
				return truce.Errorf(truce.EINVALID, "line %d: broken JSON: %v", lines.lineAt(dec.InputOffset()), err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return truce.Errorf(truce.EINVALID, "line %d: broken JSON: %v", lines.lineAt(dec.InputOffset()), err)
			}
		}
	}
	if !sawType || !sawFeatures {
		return truce.Errorf(truce.EINVALID, "line 1: not a GeoJSON FeatureCollection (needs \"type\" and \"features\")")
	}
	return nil
}

func decodeFeature(line, index int, raw []byte, opt Options, h Handler) error {
	fail := func(id, field, format string, args ...any) error {
		return h(line, nil, &RecordError{Line: line, ID: id, Field: fmt.Sprintf("feature %d: %s", index, field), Msg: fmt.Sprintf(format, args...)})
	}
	var f feature
	if err := json.Unmarshal(raw, &f); err != nil {
		rerr := jsonRecordError(err)
		return fail("", rerr.Field, "%s", rerr.Msg)
	}
	if f.Type != "Feature" {
		return fail("", "type", "want \"Feature\", got %q", f.Type)
	}
	var rec record
	if len(f.Properties) > 0 && string(f.Properties) != "null" {
		if rerr := unmarshalRecord(f.Properties, &rec); rerr != nil {
			return fail(rec.ID, "properties."+rerr.Field, "%s", rerr.Msg)
		}
	}
	if rec.ID == "" && f.ID != nil {
		rec.ID = fmt.Sprint(f.ID)
	}
	if rec.Lat != nil || rec.Lon != nil {
		return fail(rec.ID, "properties", "lat and lon come from the Point geometry, not from properties")
	}
	var lonLat []float64
	if f.Geometry == nil || f.Geometry.Type != "Point" || json.Unmarshal(f.Geometry.Coordinates, &lonLat) != nil || len(lonLat) < 2 {
		return fail(rec.ID, "geometry", "want a Point with [lon, lat] coordinates")
	}
	rec.Lon, rec.Lat = &lonLat[0], &lonLat[1]
	o, rerr := rec.observation(opt)
	if rerr != nil {
		field := rerr.Field
		if field != "lat" && field != "lon" {
			field = "properties." + field
		} else {
			field = "geometry"
		}
		return fail(rec.ID, field, "%s", rerr.Msg)
	}
	if opt.KeepRaw {
		o.Raw = append([]byte(nil), raw...)
	}
	return h(line, o, nil)
}
