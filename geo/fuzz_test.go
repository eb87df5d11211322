package geo

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/truce-project/truce"
)

// FuzzEngine builds an engine from arbitrary coordinates and locates arbitrary points in it.
// Nothing may panic: NewEngine either builds or returns an error, and Locate, ZoneDepthM and
// the measures answer for any input, including NaN, infinities and coordinates out of range,
// which callers are meant to reject first. The seeds are real geometry: the Cyprus U.N.
// buffer zone, the Odesa–Istanbul route and points around them.
//
// The input is read as float64s: the first is the band width in km, the second the
// uncertainty in metres, then pairs of lon/lat: a third of them make a line, a third a
// polygon ring, the rest are points to locate.
func FuzzEngine(f *testing.F) {
	enc := func(vals ...float64) []byte {
		b := make([]byte, 8*len(vals))
		for i, v := range vals {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
		return b
	}
	route := loadLineString(f, "route_Odesa_Istanbul_searoute.geojson")
	buffer := loadMultiPolygon(f, "Cyprus_ne10m.geojson", "Cyprus U.N. Buffer Zone")
	var seed []float64
	seed = append(seed, 7.5, 50)
	for _, p := range route[:6] {
		seed = append(seed, p[0], p[1])
	}
	for _, p := range buffer[0][0][:6] {
		seed = append(seed, p[0], p[1])
	}
	seed = append(seed, 30.5, 45, 33.3, 35.1, 29.0, 41.1, 30.9, 46.5, 33.0, 35.0, 31, 44)
	f.Add(enc(seed...))
	f.Add(enc(1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0.5, 0.5, 90, 180, -90, -180, math.NaN(), 3))
	f.Add(enc(2000, 1e9, -180, -90, 180, 90, 0, 0, 179.9, 10, -179.9, 10, 0, 20, math.Inf(1), 0, 0, 90, 0, -90))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v []float64
		for len(data) >= 8 && len(v) < 64 {
			v = append(v, math.Float64frombits(binary.LittleEndian.Uint64(data)))
			data = data[8:]
		}
		if len(v) < 2 {
			return
		}
		km, ce := v[0], v[1]
		var pts []orb.Point
		for i := 2; i+1 < len(v); i += 2 {
			pts = append(pts, orb.Point{v[i], v[i+1]})
		}
		n := len(pts) / 3
		a := &truce.Agreement{
			Lines: []truce.Line{{ID: "l", Path: orb.LineString(pts[:n])}},
			Zones: []truce.Zone{
				{ID: "band", Band: &truce.Band{Line: "l", Km: km, Side: truce.SideLeft}},
				{ID: "both", Band: &truce.Band{Line: "l", Km: km, Side: truce.SideBoth}},
				{ID: "circle", Circle: &truce.Circle{Center: orb.Point{v[0], v[1]}, RadiusKm: km}},
				{ID: "area", Area: orb.MultiPolygon{{orb.Ring(pts[n : 2*n])}}},
			},
		}
		e, err := NewEngine(a)
		if err != nil {
			return
		}
		loc := e.NewLocation()
		for _, p := range pts[2*n:] {
			e.Locate(p[1], p[0], ce, loc)
			for i := range loc.Zones {
				if loc.Zones[i] > Inside {
					t.Fatalf("zone %d: containment %d is not one of the three", i, loc.Zones[i])
				}
				e.ZoneDepthM(i, p[1], p[0])
			}
		}
		for i := range a.Zones {
			e.ZoneAreaKm2(i)
		}
		e.LineLengthKm(0)
	})
}
