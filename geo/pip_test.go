package geo

import (
	"math/rand/v2"
	"testing"
)

// evenOdd is the brute-force planar even-odd test over all rings.
func evenOdd(polys [][][]lonLat, v lonLat) bool {
	in := false
	for _, rings := range polys {
		for _, r := range rings {
			if insideRing(v, r) {
				in = !in
			}
		}
	}
	return in
}

// onAnEdge reports whether v lies exactly on an edge, where either answer is right.
func onAnEdge(polys [][][]lonLat, v lonLat) bool {
	for _, rings := range polys {
		for _, r := range rings {
			for i := range r {
				a, b := r[i], r[(i+1)%len(r)]
				if orient(a, b, v) == 0 && min(a.lon, b.lon) <= v.lon && v.lon <= max(a.lon, b.lon) &&
					min(a.lat, b.lat) <= v.lat && v.lat <= max(a.lat, b.lat) {
					return true
				}
			}
		}
	}
	return false
}

// TestPIPMatchesEvenOdd compares the grid index with the brute-force even-odd test on real
// polygons, at points built from the polygons' own vertex coordinates: they lie exactly on
// the horizontal and vertical lines through vertices, and often on the lines from cell
// centres through vertices, where a careless crossing count goes wrong.
func TestPIPMatchesEvenOdd(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, c := range []struct{ file, name string }{
		{"Cyprus_ne10m.geojson", "Cyprus U.N. Buffer Zone"},
		{"BlackSea_water_ne10m.geojson", ""},
		{"UKR_ne10m.geojson", ""},
	} {
		e := zoneEngine(t, loadMultiPolygon(t, c.file, c.name))
		z := &e.zones[0]
		var vs []lonLat
		for _, rings := range z.rings {
			for _, ring := range rings {
				vs = append(vs, ring...)
			}
		}
		checked, edge := 0, 0
		for k := 0; k < 20000; k++ {
			var v lonLat
			switch k % 3 {
			case 0: // a vertex's longitude and another's latitude
				v = lonLat{vs[r.IntN(len(vs))].lon, vs[r.IntN(len(vs))].lat}
			case 1: // on the line from a cell centre through a vertex
				a := vs[r.IntN(len(vs))]
				x, y := z.pip.col(a.lon), z.pip.row(a.lat)
				cx, cy := z.pip.minX+(float64(x)+0.5)*z.pip.cw, z.pip.minY+(float64(y)+0.5)*z.pip.ch
				f := r.Float64() * 2
				v = lonLat{cx + f*(a.lon-cx), cy + f*(a.lat-cy)}
			default: // anywhere in the box
				v = lonLat{z.minLon + r.Float64()*(z.maxLon-z.minLon), z.minLat + r.Float64()*(z.maxLat-z.minLat)}
			}
			if onAnEdge(z.rings, v) {
				edge++
				continue
			}
			checked++
			if got, want := z.pip.contains(v.lat, v.lon), evenOdd(z.rings, v); got != want {
				t.Errorf("%s: [%.12f, %.12f]: grid says %v, even-odd says %v", c.file, v.lon, v.lat, got, want)
			}
		}
		t.Logf("%s %s: %d points checked, %d on an edge skipped", c.file, c.name, checked, edge)
	}
}
