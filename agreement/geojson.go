package agreement

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// geoFile is a parsed GeoJSON file: its features in order, whatever the top-level object was
// (a FeatureCollection, a single Feature, or a bare geometry taken as one feature).
type geoFile struct {
	features []*geojson.Feature
}

// parseGeoJSON parses data, reporting syntax errors with their line and coordinates that are
// not positions on Earth with their feature and vertex.
func parseGeoJSON(p problems, data []byte) *geoFile {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		p.at(jsonErrorLine(data, err), "not valid GeoJSON: %v", jsonErrorText(err))
		return nil
	}
	g := &geoFile{}
	switch head.Type {
	case "FeatureCollection":
		fc, err := geojson.UnmarshalFeatureCollection(data)
		if err != nil {
			p.at(jsonErrorLine(data, err), "not valid GeoJSON: %v", jsonErrorText(err))
			return nil
		}
		g.features = fc.Features
	case "Feature":
		f, err := geojson.UnmarshalFeature(data)
		if err != nil {
			p.at(jsonErrorLine(data, err), "not valid GeoJSON: %v", jsonErrorText(err))
			return nil
		}
		g.features = []*geojson.Feature{f}
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		geom, err := geojson.UnmarshalGeometry(data)
		if err != nil {
			p.at(jsonErrorLine(data, err), "not valid GeoJSON: %v", jsonErrorText(err))
			return nil
		}
		g.features = []*geojson.Feature{geojson.NewFeature(geom.Geometry())}
	case "":
		p.at(1, `not GeoJSON: no "type" member`)
		return nil
	default:
		p.at(1, "not GeoJSON: unknown type %q", head.Type)
		return nil
	}
	ok := true
	for i, f := range g.features {
		if f == nil || f.Geometry == nil {
			p.at(0, "feature %d: no geometry", i)
			ok = false
			continue
		}
		if bad, where := badCoordinate(f.Geometry); bad != nil {
			p.at(0, "feature %d (%s): coordinate %s: [%v, %v] is not a [lon, lat] position on Earth", i, featureName(f, i), where, bad[0], bad[1])
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return g
}

// badCoordinate returns the first coordinate of g that is not a finite [lon, lat] in range,
// and where it is ("polygon 0, ring 1, vertex 7").
func badCoordinate(g orb.Geometry) (*orb.Point, string) {
	check := func(pts []orb.Point, where string) (*orb.Point, string) {
		for i := range pts {
			x, y := pts[i][0], pts[i][1]
			if math.IsNaN(x) || math.IsNaN(y) || x < -180 || x > 180 || y < -90 || y > 90 {
				return &pts[i], fmt.Sprintf("%svertex %d", where, i)
			}
		}
		return nil, ""
	}
	switch g := g.(type) {
	case orb.Point:
		return check([]orb.Point{g}, "")
	case orb.MultiPoint:
		return check(g, "")
	case orb.LineString:
		return check(g, "")
	case orb.MultiLineString:
		for i, l := range g {
			if p, w := check(l, fmt.Sprintf("line %d, ", i)); p != nil {
				return p, w
			}
		}
	case orb.Polygon:
		for i, r := range g {
			if p, w := check(r, fmt.Sprintf("ring %d, ", i)); p != nil {
				return p, w
			}
		}
	case orb.MultiPolygon:
		for j, poly := range g {
			for i, r := range poly {
				if p, w := check(r, fmt.Sprintf("polygon %d, ring %d, ", j, i)); p != nil {
					return p, w
				}
			}
		}
	case orb.Collection:
		for i, m := range g {
			if p, w := badCoordinate(m); p != nil {
				return p, fmt.Sprintf("member %d, %s", i, w)
			}
		}
	}
	return nil, ""
}

// featureName is how messages refer to a feature: its name property, its id, or its index.
func featureName(f *geojson.Feature, i int) string {
	if n, ok := f.Properties["name"].(string); ok && n != "" {
		return strconv.Quote(n)
	}
	if f.ID != nil {
		return fmt.Sprintf("id %v", f.ID)
	}
	return fmt.Sprintf("#%d", i)
}

// selectFeatures returns the features a line or zone refers to: all of them when selector is
// empty; otherwise the one whose index, id or name property equals selector.
func (g *geoFile) selectFeatures(selector string) ([]*geojson.Feature, error) {
	if selector == "" {
		return g.features, nil
	}
	for i, f := range g.features {
		if n, ok := f.Properties["name"].(string); ok && n == selector {
			return g.features[i : i+1], nil
		}
		if f.ID != nil && fmt.Sprint(f.ID) == selector {
			return g.features[i : i+1], nil
		}
	}
	if i, err := strconv.Atoi(selector); err == nil && i >= 0 && i < len(g.features) {
		return g.features[i : i+1], nil
	}
	names := make([]string, 0, len(g.features))
	for i, f := range g.features {
		names = append(names, featureName(f, i))
	}
	return nil, fmt.Errorf("no feature %q (the file has %d: %v)", selector, len(g.features), names)
}

// lineString returns the single LineString of features.
func lineString(features []*geojson.Feature) (orb.LineString, error) {
	var out orb.LineString
	for i, f := range features {
		var ls orb.LineString
		switch g := f.Geometry.(type) {
		case orb.LineString:
			ls = g
		case orb.MultiLineString:
			if len(g) != 1 {
				return nil, fmt.Errorf("feature %d: a MultiLineString of %d parts; a line must be one LineString so that its sides are defined", i, len(g))
			}
			ls = g[0]
		default:
			return nil, fmt.Errorf("feature %d: geometry is %s, want LineString", i, f.Geometry.GeoJSONType())
		}
		if out != nil {
			return nil, fmt.Errorf("the file has %d line features; name one with `feature:`", len(features))
		}
		out = ls
	}
	if out == nil {
		return nil, errors.New("no LineString in the file")
	}
	return out, nil
}

// multiPolygon merges the polygons of features.
func multiPolygon(features []*geojson.Feature) (orb.MultiPolygon, error) {
	var out orb.MultiPolygon
	for i, f := range features {
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			out = append(out, g)
		case orb.MultiPolygon:
			out = append(out, g...)
		default:
			return nil, fmt.Errorf("feature %d: geometry is %s, want Polygon or MultiPolygon", i, f.Geometry.GeoJSONType())
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no Polygon in the file")
	}
	return out, nil
}

// jsonErrorLine turns the byte offset of a JSON syntax or type error into a line number.
func jsonErrorLine(data []byte, err error) int {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var off int64 = -1
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

func jsonErrorText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("field %q: want %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}

type geojsonFeature = geojson.Feature
