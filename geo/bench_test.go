package geo

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/cputime"
)

// benchPoints returns n points spread over the bounding box of the agreement's area of
// interest, from a fixed seed, so that every run measures the same work.
func benchPoints(n int, minLon, minLat, maxLon, maxLat float64) [][2]float64 {
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([][2]float64, n)
	for i := range pts {
		pts[i] = [2]float64{minLat + r.Float64()*(maxLat-minLat), minLon + r.Float64()*(maxLon-minLon)}
	}
	return pts
}

type containsCase struct {
	name string
	area orb.MultiPolygon
}

// containsCases are real polygons of a few thousand to ten thousand vertices: Ukraine, the
// Black Sea with its islands, and Russia west of 50°E (10,668 vertices).
func containsCases(b *testing.B) []containsCase {
	return []containsCase{
		{"UKR", loadMultiPolygon(b, "UKR_ne10m.geojson", "")},
		{"BlackSea", loadMultiPolygon(b, "BlackSea_water_ne10m.geojson", "")},
		{"RUS-west", westRussia(b)},
	}
}

// BenchmarkContains measures point-in-polygon on real polygons of a few thousand to tens of
// thousands of vertices, with points spread over each polygon's bounding box.
func BenchmarkContains(b *testing.B) {
	cases := containsCases(b)
	for _, c := range cases {
		e := mustEngine(b, &truce.Agreement{Zones: []truce.Zone{{ID: c.name, Area: c.area}}})
		z := &e.zones[0]
		pts := benchPoints(4096, z.minLon, z.minLat, z.maxLon, z.maxLat)
		loc := e.NewLocation()
		vertices := 0
		for _, p := range c.area {
			for _, r := range p {
				vertices += len(r)
			}
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportMetric(float64(vertices), "vertices")
			b.ReportMetric(float64(len(z.boundary.a)), "densified")
			b.ReportAllocs()
			defer cputime.Report(b)()
			for i := 0; i < b.N; i++ {
				p := pts[i&4095]
				e.Locate(p[0], p[1], 0, loc)
			}
		})
	}
}

// BenchmarkLocate measures the whole of Locate on the notional agreement (3 lines, 13 zones):
// with points spread over the whole area it covers (most of them far from the line of
// contact), and with points within 60 km of the line of contact, where most observations of
// a ceasefire mission are made; exact (ce 0) and with 50 m uncertainty.
func BenchmarkLocate(b *testing.B) {
	a := notionalAgreement(b)
	e := mustEngine(b, a)
	spread := benchPoints(4096, 28, 41, 41, 52.5)
	near := nearLine(a.Lines[0].Path, 4096, 60e3)
	loc := e.NewLocation()
	for _, c := range []struct {
		name string
		pts  [][2]float64
		ce   float64
	}{
		{"spread/ce0", spread, 0}, {"spread/ce50", spread, 50},
		{"near-contact/ce0", near, 0}, {"near-contact/ce50", near, 50},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			defer cputime.Report(b)()
			for i := 0; i < b.N; i++ {
				p := c.pts[i&4095]
				e.Locate(p[0], p[1], c.ce, loc)
			}
		})
	}
}

// nearLine returns n points (lat, lon) within maxM metres of the line, from a fixed seed:
// from a random point of a random edge, in a random direction, at a random distance.
func nearLine(ls orb.LineString, n int, maxM float64) [][2]float64 {
	r := rand.New(rand.NewPCG(3, 4))
	pts := make([][2]float64, n)
	for i := range pts {
		k := r.IntN(len(ls) - 1)
		f := r.Float64()
		lat := ls[k][1] + f*(ls[k+1][1]-ls[k][1])
		lon := ls[k][0] + f*(ls[k+1][0]-ls[k][0])
		lat, lon = offset(lat, lon, r.Float64()*360-180, r.Float64()*maxM)
		pts[i] = [2]float64{lat, lon}
	}
	return pts
}

// BenchmarkNewEngine measures indexing the notional agreement: densification, the piece
// trees, the hint grids and S2's index of the Black Sea.
func BenchmarkNewEngine(b *testing.B) {
	a := notionalAgreement(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := NewEngine(a); err != nil {
			b.Fatal(err)
		}
	}
}
