package geo

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/truce-project/truce"
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

// BenchmarkContains measures point-in-polygon on real polygons of a few thousand to tens of
// thousands of vertices, with points spread over each polygon's bounding box.
func BenchmarkContains(b *testing.B) {
	cases := []struct {
		name string
		area orb.MultiPolygon
	}{
		{"UKR", loadMultiPolygon(b, "UKR_ne10m.geojson", "")},
		{"BlackSea", loadMultiPolygon(b, "BlackSea_water_ne10m.geojson", "")},
		{"RUS-west", westRussia(b)},
	}
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
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := pts[i&4095]
				e.Locate(p[0], p[1], 0, loc)
			}
		})
	}
}

// BenchmarkLocate measures the whole of Locate on the notional agreement (3 lines, 13 zones),
// with points over the area the agreement covers, exact (ce 0) and with 50 m uncertainty.
func BenchmarkLocate(b *testing.B) {
	e := mustEngine(b, notionalAgreement(b))
	pts := benchPoints(4096, 28, 41, 41, 52.5)
	loc := e.NewLocation()
	for _, ce := range []float64{0, 50} {
		b.Run(map[float64]string{0: "ce0", 50: "ce50"}[ce], func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				p := pts[i&4095]
				e.Locate(p[0], p[1], ce, loc)
			}
		})
	}
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
