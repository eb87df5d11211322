package geo

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"

	"github.com/truce-project/truce"
)

// The engine does not handle geometry that crosses the antimeridian: GeoJSON edges are
// straight in lon/lat, so an edge from 179°E to 179°W runs the long way round, and the engine
// follows that reading faithfully. No agreement this mission enforces comes near ±180°, so the
// tests do not exercise it.

// offset returns the point s metres from (lat, lon) along azimuth az (degrees), on WGS84.
func offset(lat, lon, az, s float64) (float64, float64) {
	var lat2, lon2 float64
	geodesic.WGS84.Direct(lat, lon, az, s, &lat2, &lon2, nil)
	return lat2, lon2
}

// square is a lon/lat box as a ring, counter-clockwise unless cw is set.
func square(minLon, minLat, maxLon, maxLat float64, cw bool) orb.Ring {
	r := orb.Ring{{minLon, minLat}, {maxLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {minLon, minLat}}
	if cw {
		slices.Reverse(r)
	}
	return r
}

func zoneEngine(t *testing.T, area orb.MultiPolygon) *Engine {
	t.Helper()
	return mustEngine(t, &truce.Agreement{Zones: []truce.Zone{{ID: "z", Area: area}}})
}

func TestPolygonContainment(t *testing.T) {
	// The west edge of these boxes is the meridian 30°E, a geodesic, so a point s metres due
	// east or west of a point on it is s metres from the edge.
	const edgeLat = 46.5
	in3Lat, in3Lon := offset(edgeLat, 30, 90, 3)
	out3Lat, out3Lon := offset(edgeLat, 30, 270, 3)
	holeLat, holeLon := 46.5, 30.5
	cases := []struct {
		name     string
		area     orb.MultiPolygon
		lat, lon float64
		ceM      float64
		want     Containment
	}{
		{"counter-clockwise shell contains its middle", orb.MultiPolygon{{square(30, 46, 31, 47, false)}}, 46.2, 30.2, 0, Inside},
		{"clockwise shell contains its middle", orb.MultiPolygon{{square(30, 46, 31, 47, true)}}, 46.2, 30.2, 0, Inside},
		{"clockwise shell does not contain the rest of the world", orb.MultiPolygon{{square(30, 46, 31, 47, true)}}, 10, 100, 0, Outside},
		{"point in a hole is outside", orb.MultiPolygon{{square(30, 46, 31, 47, false), square(30.4, 46.4, 30.6, 46.6, false)}}, holeLat, holeLon, 0, Outside},
		{"hole given clockwise is still a hole", orb.MultiPolygon{{square(30, 46, 31, 47, true), square(30.4, 46.4, 30.6, 46.6, true)}}, holeLat, holeLon, 0, Outside},
		{"point between shell and hole is inside", orb.MultiPolygon{{square(30, 46, 31, 47, false), square(30.4, 46.4, 30.6, 46.6, true)}}, 46.2, 30.5, 0, Inside},
		{"second polygon of a MultiPolygon contains", orb.MultiPolygon{{square(30, 46, 31, 47, false)}, {square(32, 46, 33, 47, true)}}, 46.5, 32.5, 0, Inside},
		{"gap between the polygons of a MultiPolygon is outside", orb.MultiPolygon{{square(30, 46, 31, 47, false)}, {square(32, 46, 33, 47, true)}}, 46.5, 31.5, 0, Outside},
		{"island in a hole is inside", orb.MultiPolygon{{square(30, 46, 31, 47, false), square(30.2, 46.2, 30.8, 46.8, false)}, {square(30.4, 46.4, 30.6, 46.6, false)}}, 46.5, 30.5, 0, Inside},
		{"3 m inside the edge is inside", orb.MultiPolygon{{square(30, 46, 31, 47, false)}}, in3Lat, in3Lon, 0, Inside},
		{"3 m outside the edge is outside", orb.MultiPolygon{{square(30, 46, 31, 47, false)}}, out3Lat, out3Lon, 0, Outside},
		{"3 m inside with 2 m uncertainty is inside", orb.MultiPolygon{{square(30, 46, 31, 47, false)}}, in3Lat, in3Lon, 2, Inside},
		{"3 m inside with 5 m uncertainty is possible", orb.MultiPolygon{{square(30, 46, 31, 47, false)}}, in3Lat, in3Lon, 5, Possible},
		{"3 m outside with 5 m uncertainty is possible", orb.MultiPolygon{{square(30, 46, 31, 47, false)}}, out3Lat, out3Lon, 5, Possible},
		{"3 m outside with 2 m uncertainty is outside", orb.MultiPolygon{{square(30, 46, 31, 47, false)}}, out3Lat, out3Lon, 2, Outside},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := zoneEngine(t, c.area)
			loc := e.NewLocation()
			e.Locate(c.lat, c.lon, c.ceM, loc)
			if got := loc.Zones[0]; got != c.want {
				t.Errorf("(%.7f, %.7f) ce %g: %v, want %v", c.lat, c.lon, c.ceM, got, c.want)
			}
		})
	}
}

// TestLongEdgeFollowsLonLatNotGreatCircle checks GeoJSON semantics on an edge long enough for
// the great circle to bow far from it: the top edge of a box from 20°E to 40°E along 60°N.
// The great circle between its ends reaches about 61.5°N, so a point at 60.5°N is outside the
// GeoJSON box although a polygon with great-circle edges would contain it.
func TestLongEdgeFollowsLonLatNotGreatCircle(t *testing.T) {
	e := zoneEngine(t, orb.MultiPolygon{{square(20, 50, 40, 60, false)}})
	loc := e.NewLocation()
	for _, c := range []struct {
		lat, lon float64
		want     Containment
	}{{60.5, 30, Outside}, {59.9999, 30, Inside}, {60.0001, 30, Outside}} {
		e.Locate(c.lat, c.lon, 0, loc)
		if loc.Zones[0] != c.want {
			t.Errorf("(%g, %g): %v, want %v", c.lat, c.lon, loc.Zones[0], c.want)
		}
	}
}

// meridianAgreement has one line running north along 35°E from 47°N to 48°N (a geodesic, so
// distances due east or west from it are exact), with a DMZ of 7.5 km both sides, bands of
// 5 km on each side, and a circle of 10 km.
func meridianAgreement() *truce.Agreement {
	return &truce.Agreement{
		Lines: []truce.Line{{ID: "m", Path: orb.LineString{{35, 47}, {35, 48}}}},
		Zones: []truce.Zone{
			{ID: "dmz", Band: &truce.Band{Line: "m", Km: 7.5, Side: truce.SideBoth}},
			{ID: "left", Band: &truce.Band{Line: "m", Km: 5, Side: truce.SideLeft}},
			{ID: "right", Band: &truce.Band{Line: "m", Km: 5, Side: truce.SideRight}},
			{ID: "circle", Circle: &truce.Circle{Center: orb.Point{36, 47.5}, RadiusKm: 10}},
		},
	}
}

func TestBandsAndCircles(t *testing.T) {
	e := mustEngine(t, meridianAgreement())
	at := func(az, s float64) (float64, float64) { return offset(47.5, 35, az, s) }
	circ := func(az, s float64) (float64, float64) { return offset(47.5, 36, az, s) }
	cases := []struct {
		name     string
		lat, lon float64
		ceM      float64
		zone     int
		want     Containment
	}{}
	add := func(name string, lat, lon, ce float64, zone int, want Containment) {
		cases = append(cases, struct {
			name     string
			lat, lon float64
			ceM      float64
			zone     int
			want     Containment
		}{name, lat, lon, ce, zone, want})
	}
	lat, lon := at(90, 7498)
	add("2 m inside the DMZ's outer edge is inside", lat, lon, 0, 0, Inside)
	lat, lon = at(270, 7502)
	add("2 m outside the DMZ's outer edge is outside", lat, lon, 0, 0, Outside)
	lat, lon = at(90, 7498)
	add("2 m inside the DMZ with 5 m uncertainty is possible", lat, lon, 5, 0, Possible)
	lat, lon = at(90, 7502)
	add("2 m outside the DMZ with 5 m uncertainty is possible", lat, lon, 5, 0, Possible)
	lat, lon = at(270, 100)
	add("100 m left of the line is in the left band", lat, lon, 0, 1, Inside)
	add("100 m left of the line is not in the right band", lat, lon, 0, 2, Outside)
	add("100 m left with 300 m uncertainty is possibly in the left band", lat, lon, 300, 1, Possible)
	add("100 m left with 300 m uncertainty is possibly in the right band", lat, lon, 300, 2, Possible)
	add("100 m left with 50 m uncertainty is inside the left band", lat, lon, 50, 1, Inside)
	add("100 m left with 50 m uncertainty is outside the right band", lat, lon, 50, 2, Outside)
	lat, lon = at(90, 4999)
	add("1 m inside the right band's edge", lat, lon, 0, 2, Inside)
	lat, lon = at(90, 5001)
	add("1 m beyond the right band's edge", lat, lon, 0, 2, Outside)
	lat, lon = circ(17, 9999)
	add("1 m inside the circle", lat, lon, 0, 3, Inside)
	lat, lon = circ(200, 10001)
	add("1 m outside the circle", lat, lon, 0, 3, Outside)
	add("1 m outside the circle with 2 m uncertainty is possible", lat, lon, 2, 3, Possible)
	lat, lon = circ(200, 9000)
	add("1 km inside the circle with 500 m uncertainty is inside", lat, lon, 500, 3, Inside)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := e.NewLocation()
			e.Locate(c.lat, c.lon, c.ceM, loc)
			if got := loc.Zones[c.zone]; got != c.want {
				t.Errorf("zone %d at (%.7f, %.7f) ce %g: %v, want %v (distance %.3f m)",
					c.zone, c.lat, c.lon, c.ceM, got, c.want, loc.Lines[0].DistanceM)
			}
		})
	}
}

func TestLineDistanceIsGeodesic(t *testing.T) {
	e := mustEngine(t, meridianAgreement())
	loc := e.NewLocation()
	for _, s := range []float64{1, 10, 1000, 7500, 50000, 140000} {
		lat, lon := offset(47.5, 35, 90, s)
		e.Locate(lat, lon, 0, loc)
		if d := loc.Lines[0].DistanceM; math.Abs(d-s) > estimateErrM(s) {
			t.Errorf("%g m east of the line: DistanceM %.4f", s, d)
		}
	}
}

func TestSideOfLine(t *testing.T) {
	// North along 35°E to 48°N, then a left turn west along 48°N to 34°E.
	e := mustEngine(t, &truce.Agreement{Lines: []truce.Line{{ID: "l", Path: orb.LineString{{35, 47}, {35, 48}, {34, 48}}}}})
	cases := []struct {
		name      string
		lat, lon  float64
		ceM       float64
		want      Side
		certain   bool
		nearestKm float64 // 0: do not check
	}{
		{"west of the northbound leg is left", 47.5, 34.9, 0, SideLeft, true, 0},
		{"east of the northbound leg is right", 47.5, 35.1, 0, SideRight, true, 0},
		{"inside the turn is left", 47.9, 34.9, 0, SideLeft, true, 0},
		{"north of the westbound leg is right", 48.1, 34.5, 0, SideRight, true, 0},
		{"outer wedge of the turn, nearest the vertex, is right", 48.05, 35.05, 0, SideRight, true, 0},
		{"left of one leg and right of the other, outside the turn, is right", 47.95, 35.03, 0, SideRight, true, 0},
		{"just north-east of the vertex is right", 48.0001, 35.0001, 0, SideRight, true, 0},
		{"beyond the start, east of the first leg extended, is right", 46.9, 35.05, 0, SideRight, true, 0},
		{"beyond the start, west of the first leg extended, is left", 46.9, 34.95, 0, SideLeft, true, 0},
		{"beyond the end, north of the last leg extended, is right", 48.05, 33.9, 0, SideRight, true, 0},
		{"beyond the end, south of the last leg extended, is left", 47.95, 33.9, 0, SideLeft, true, 0},
		{"100 m off with 300 m uncertainty is not certain", 47.5, 35.0013, 300, SideRight, false, 0},
		{"100 m off with 50 m uncertainty is certain", 47.5, 35.0013, 50, SideRight, true, 0},
		{"beyond the start near the extension with uncertainty is not certain", 46.9, 35.0005, 100, SideRight, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := e.NewLocation()
			e.Locate(c.lat, c.lon, c.ceM, loc)
			st := loc.Lines[0]
			if st.Side != c.want || st.SideCertain != c.certain {
				t.Errorf("(%g, %g) ce %g: side %v certain %v, want %v certain %v (distance %.1f m)",
					c.lat, c.lon, c.ceM, st.Side, st.SideCertain, c.want, c.certain, st.DistanceM)
			}
		})
	}
}

func TestNewEngineRejectsUnusableGeometry(t *testing.T) {
	line := truce.Line{ID: "l", Path: orb.LineString{{35, 47}, {35, 48}}, Where: "lines.yaml:3"}
	cases := []struct {
		name string
		a    truce.Agreement
		want string
	}{
		{"line with one distinct point", truce.Agreement{Lines: []truce.Line{{ID: "l", Path: orb.LineString{{35, 47}, {35, 47}}, Where: "agreement.yaml:9"}}},
			`agreement.yaml:9: line "l": a line needs at least 2 distinct points, it has 1`},
		{"ring with two distinct vertices", truce.Agreement{Zones: []truce.Zone{{ID: "z", Where: "zones.geojson:4", Area: orb.MultiPolygon{{{{30, 46}, {31, 46}, {30, 46}, {31, 46}}}}}}},
			`zones.geojson:4: zone "z": polygon 0 ring 0 has 2 distinct vertices`},
		{"self-intersecting ring", truce.Agreement{Zones: []truce.Zone{{ID: "bow", Where: "zones.geojson:7", Area: orb.MultiPolygon{{{{30, 46}, {31, 47}, {31, 46}, {30, 47}, {30, 46}}}}}}},
			`zones.geojson:7: zone "bow": polygon 0 ring 0 crosses itself`},
		{"hole outside its shell", truce.Agreement{Zones: []truce.Zone{{ID: "h", Area: orb.MultiPolygon{{square(30, 46, 31, 47, false), square(32, 46, 33, 47, false)}}}}},
			`zone "h": polygon 0 ring 1 is a hole but lies outside its shell`},
		{"overlapping polygons", truce.Agreement{Zones: []truce.Zone{{ID: "o", Area: orb.MultiPolygon{{square(30, 46, 31, 47, false)}, {square(30.2, 46.2, 30.4, 46.4, false)}}}}},
			`zone "o": polygon 1 lies inside polygon 0`},
		{"band of zero width", truce.Agreement{Lines: []truce.Line{line}, Zones: []truce.Zone{{ID: "b", Where: "agreement.yaml:20", Band: &truce.Band{Line: "l", Km: 0, Side: "both"}}}},
			`agreement.yaml:20: zone "b": band km 0 must be more than 0`},
		{"band of negative width", truce.Agreement{Lines: []truce.Line{line}, Zones: []truce.Zone{{ID: "b", Band: &truce.Band{Line: "l", Km: -3, Side: "both"}}}},
			`zone "b": band km -3 must be more than 0`},
		{"band of absurd width", truce.Agreement{Lines: []truce.Line{line}, Zones: []truce.Zone{{ID: "b", Band: &truce.Band{Line: "l", Km: 75000, Side: "both"}}}},
			`zone "b": band km 75000 must be more than 0 and at most 2000`},
		{"band on an unknown line", truce.Agreement{Lines: []truce.Line{line}, Zones: []truce.Zone{{ID: "b", Where: "agreement.yaml:31", Band: &truce.Band{Line: "contact-2", Km: 5, Side: "left"}}}},
			`agreement.yaml:31: zone "b": band line "contact-2" is not defined`},
		{"band on an unknown side", truce.Agreement{Lines: []truce.Line{line}, Zones: []truce.Zone{{ID: "b", Band: &truce.Band{Line: "l", Km: 5, Side: "north"}}}},
			`zone "b": band side "north" must be left, right or both`},
		{"circle of zero radius", truce.Agreement{Zones: []truce.Zone{{ID: "c", Circle: &truce.Circle{Center: orb.Point{34, 47}}}}},
			`zone "c": circle radius_km 0 must be more than 0`},
		{"circle of NaN radius", truce.Agreement{Zones: []truce.Zone{{ID: "c", Circle: &truce.Circle{Center: orb.Point{34, 47}, RadiusKm: math.NaN()}}}},
			`zone "c": circle radius_km NaN must be more than 0`},
		{"vertex out of range", truce.Agreement{Lines: []truce.Line{{ID: "l", Path: orb.LineString{{35, 47}, {35, 98}}}}},
			`line "l": vertex 1 [35, 98] is not a longitude and latitude in degrees`},
		{"zone with nothing", truce.Agreement{Zones: []truce.Zone{{ID: "n"}}},
			`zone "n": exactly one of area, band and circle must be given, found 0`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewEngine(&c.a)
			if err == nil {
				t.Fatalf("NewEngine accepted it, want an error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
			if truce.ErrorCode(err) != truce.EINVALID {
				t.Errorf("error code %q, want %q", truce.ErrorCode(err), truce.EINVALID)
			}
		})
	}
}

// TestRealDataLoads builds engines from real polygons. Natural Earth's quantised outlines
// contain spikes (an edge walked out and straight back) and rings that pinch at a vertex;
// both must be accepted, not rejected as self-intersections.
func TestRealDataLoads(t *testing.T) {
	for _, f := range []struct {
		name string
		area orb.MultiPolygon
	}{
		{"Ukraine", loadMultiPolygon(t, "UKR_ne10m.geojson", "")},
		{"Black Sea", loadMultiPolygon(t, "BlackSea_water_ne10m.geojson", "")},
		{"Cyprus U.N. Buffer Zone", loadMultiPolygon(t, "Cyprus_ne10m.geojson", "Cyprus U.N. Buffer Zone")},
		{"Cyprus", loadMultiPolygon(t, "Cyprus_ne10m.geojson", "Cyprus")},
		{"Russia west of 50°E", westRussia(t)},
	} {
		if _, err := NewEngine(&truce.Agreement{Zones: []truce.Zone{{ID: f.name, Area: f.area}}}); err != nil {
			t.Errorf("%s: %v", f.name, err)
		}
	}
}

// TestRingAcrossTheAntimeridianIsRejected: Natural Earth's Russia has an edge from 179.96°E
// to -180°, which GeoJSON draws the long way round the globe, across the rest of the ring.
// The engine must say so rather than build a polygon that means something else.
func TestRingAcrossTheAntimeridianIsRejected(t *testing.T) {
	_, err := NewEngine(&truce.Agreement{Zones: []truce.Zone{{ID: "rus", Area: loadMultiPolygon(t, "RUS_ne10m.geojson", "")}}})
	if err == nil || !strings.Contains(err.Error(), "cross") {
		t.Errorf("got %v, want an error saying rings cross", err)
	}
}

// TestLocateAllocatesNothing counts allocations over many calls rather than with
// testing.AllocsPerRun, whose average is rounded down and hides an allocation made by one
// call in ten (as S2's ContainsPointQuery does when a point's cell has edges).
func TestLocateAllocatesNothing(t *testing.T) {
	a := notionalAgreement(t)
	e := mustEngine(t, a)
	loc := e.NewLocation()
	pts := append(benchPoints(4096, 28, 41, 41, 52.5), nearLine(a.Lines[0].Path, 4096, 60e3)...)
	for i := 0; i < 100; i++ {
		e.Locate(pts[i][0], pts[i][1], 0, loc)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 20000
	for i := 0; i < n; i++ {
		p := pts[i%len(pts)]
		e.Locate(p[0], p[1], float64(i%3)*100, loc)
	}
	runtime.ReadMemStats(&after)
	if m := after.Mallocs - before.Mallocs; m != 0 {
		t.Errorf("%d calls of Locate made %d allocations (%d bytes), want none", n, m, after.TotalAlloc-before.TotalAlloc)
	}
}

// TestConcurrentLocate shares one engine among goroutines, each with its own Location, and
// checks every answer against a sequential run; under -race it also checks for data races.
func TestConcurrentLocate(t *testing.T) {
	e := mustEngine(t, notionalAgreement(t))
	pts := benchPoints(2000, 28, 41, 41, 52.5)
	want := make([][]Containment, len(pts))
	loc := e.NewLocation()
	for i, p := range pts {
		e.Locate(p[0], p[1], 100, loc)
		want[i] = slices.Clone(loc.Zones)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loc := e.NewLocation()
			for i, p := range pts {
				e.Locate(p[0], p[1], 100, loc)
				if !slices.Equal(loc.Zones, want[i]) {
					errs <- fmt.Sprintf("point %d: %v, sequentially %v", i, loc.Zones, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
