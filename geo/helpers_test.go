package geo

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/geojson"

	"github.com/truce-project/truce"
)

// loadFeatures reads a GeoJSON file from testdata as a FeatureCollection (a bare Feature is
// wrapped in one).
func loadFeatures(t testing.TB, name string) []*geojson.Feature {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if fc, err := geojson.UnmarshalFeatureCollection(b); err == nil && len(fc.Features) > 0 {
		return fc.Features
	}
	f, err := geojson.UnmarshalFeature(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return []*geojson.Feature{f}
}

// loadMultiPolygon returns the geometry of the feature whose name property is name (or the
// first feature when name is empty) as a MultiPolygon.
func loadMultiPolygon(t testing.TB, file, name string) orb.MultiPolygon {
	t.Helper()
	for _, f := range loadFeatures(t, file) {
		if name != "" && f.Properties.MustString("name", "") != name {
			continue
		}
		switch g := f.Geometry.(type) {
		case orb.MultiPolygon:
			return g
		case orb.Polygon:
			return orb.MultiPolygon{g}
		}
	}
	t.Fatalf("%s: no polygon named %q", file, name)
	return nil
}

func loadLineString(t testing.TB, file string) orb.LineString {
	t.Helper()
	for _, f := range loadFeatures(t, file) {
		switch g := f.Geometry.(type) {
		case orb.LineString:
			return g
		case orb.MultiLineString:
			return g[0]
		}
	}
	t.Fatalf("%s: no line", file)
	return nil
}

// contactLine draws a notional line of contact across eastern Ukraine through real places,
// from the Russian border north-east of Kharkiv to the Dnipro estuary, with a deterministic
// wiggle every few kilometres so that it has a few hundred vertices like a drawn front line.
// It is a test fixture for demonstration, not a claim about any real front.
func contactLine() orb.LineString {
	places := []orb.Point{
		{37.95, 50.35}, // near the border north-east of Kupiansk
		{37.62, 49.71}, // Kupiansk
		{37.80, 49.02}, // Lyman
		{38.00, 48.59}, // Bakhmut
		{37.74, 48.14}, // west of Donetsk
		{37.25, 47.78}, // Vuhledar
		{36.26, 47.66}, // Huliaipole
		{35.78, 47.57}, // Orikhiv
		{34.90, 47.45}, // Kakhovka reservoir
		{33.40, 46.80}, // the Dnipro below Nova Kakhovka
		{32.62, 46.62}, // Kherson
		{31.55, 46.50}, // Kinburn spit
	}
	var out orb.LineString
	k := 0
	for i := 0; i+1 < len(places); i++ {
		a, b := places[i], places[i+1]
		n := int(math.Ceil(math.Hypot(b[0]-a[0], b[1]-a[1]) / 0.03))
		for j := 0; j < n; j++ {
			t := float64(j) / float64(n)
			w := 0.006 * math.Sin(float64(k)*1.7)
			k++
			// Offset across the segment's direction so the wiggle is a real change of course.
			dx, dy := b[0]-a[0], b[1]-a[1]
			l := math.Hypot(dx, dy)
			out = append(out, orb.Point{a[0] + t*dx - w*dy/l, a[1] + t*dy + w*dx/l})
		}
	}
	return append(out, places[len(places)-1])
}

// notionalAgreement builds an agreement like the one the rules will use: a line of contact
// of about 800 km with a DMZ and withdrawal bands, a sea route with a corridor and a stand-off
// band, the Black Sea coastline, a protected circle, two small disengagement polygons and the
// Black Sea water polygon.
func notionalAgreement(t testing.TB) *truce.Agreement {
	t.Helper()
	sea := loadMultiPolygon(t, "BlackSea_water_ne10m.geojson", "")
	coast := loadLineString(t, "BlackSea_coastline_ne10m.geojson")
	a := &truce.Agreement{
		ID: "notional",
		Parties: []truce.Party{
			{ID: "east", Name: "Party East"}, {ID: "west", Name: "Party West"},
		},
		Lines: []truce.Line{
			{ID: "contact", Left: "west", Right: "east", Path: contactLine(), Where: "lines.geojson:1"},
			{ID: "route", Path: loadLineString(t, "route_Odesa_Istanbul_searoute.geojson"), Where: "route.geojson:1"},
			{ID: "coast", Path: coast, Where: "coast.geojson:1"},
		},
		Zones: []truce.Zone{
			{ID: "dmz", Kind: truce.ZoneDemilitarized, Band: &truce.Band{Line: "contact", Km: 7.5, Side: truce.SideBoth}},
			{ID: "wd50-left", Kind: truce.ZoneWithdrawal, Band: &truce.Band{Line: "contact", Km: 50, Side: truce.SideLeft}},
			{ID: "wd50-right", Kind: truce.ZoneWithdrawal, Band: &truce.Band{Line: "contact", Km: 50, Side: truce.SideRight}},
			{ID: "wd70-left", Kind: truce.ZoneWithdrawal, Band: &truce.Band{Line: "contact", Km: 70, Side: truce.SideLeft}},
			{ID: "wd70-right", Kind: truce.ZoneWithdrawal, Band: &truce.Band{Line: "contact", Km: 70, Side: truce.SideRight}},
			{ID: "wd140-left", Kind: truce.ZoneWithdrawal, Band: &truce.Band{Line: "contact", Km: 140, Side: truce.SideLeft}},
			{ID: "wd140-right", Kind: truce.ZoneWithdrawal, Band: &truce.Band{Line: "contact", Km: 140, Side: truce.SideRight}},
			{ID: "npp", Kind: truce.ZoneProtected, Circle: &truce.Circle{Center: orb.Point{34.585, 47.512}, RadiusKm: 30}},
			{ID: "dis-1", Kind: truce.ZoneDisengagement, Area: orb.MultiPolygon{{{
				{37.95, 48.55}, {38.10, 48.55}, {38.10, 48.66}, {37.95, 48.66}, {37.95, 48.55},
			}}}},
			{ID: "dis-2", Kind: truce.ZoneDisengagement, Area: orb.MultiPolygon{{{
				{35.70, 47.50}, {35.70, 47.64}, {35.88, 47.64}, {35.86, 47.52}, {35.70, 47.50},
			}}}},
			{ID: "corridor", Kind: truce.ZoneCorridor, Band: &truce.Band{Line: "route", Km: 5, Side: truce.SideBoth}},
			{ID: "standoff", Kind: truce.ZoneStandoff, Band: &truce.Band{Line: "route", Km: 20, Side: truce.SideBoth}},
			{ID: "sea", Kind: truce.ZoneTerritory, Area: sea},
		},
	}
	return a
}

func mustEngine(t testing.TB, a *truce.Agreement) *Engine {
	t.Helper()
	e, err := NewEngine(a)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// westRussia is a real polygon of about 10,000 vertices: Natural Earth's outline of Russia
// clipped to 19°E–50°E. The main ring in the file jumps from 179.96°E to -180° (an edge that,
// straight in lon/lat, spans the globe), so the vertices at -180° are first moved to +180° to
// make it a ring GeoJSON can read, and the clip then cuts the far east off.
func westRussia(t testing.TB) orb.MultiPolygon {
	t.Helper()
	main := loadMultiPolygon(t, "RUS_ne10m.geojson", "")[0]
	ring := append(orb.Ring(nil), main[0]...)
	for i := range ring {
		if ring[i][0] == -180 {
			ring[i][0] = 180
		}
	}
	return orb.MultiPolygon{clip.Polygon(orb.Bound{Min: orb.Point{19, 40}, Max: orb.Point{50, 82}}, orb.Polygon{ring})}
}
