package geo

import (
	"fmt"
	"sort"
)

// checkRings rejects polygons that GeoJSON's reading and the engine's would not agree on:
// rings that cross themselves or each other, holes outside their shell, and polygons of a
// MultiPolygon that overlap. The tests are planar in lon/lat, which is where GeoJSON draws
// edges. Rings may touch at a shared vertex only where they are adjacent edges of one ring.
func checkRings(polys [][][]lonLat) error {
	type edge struct {
		p, r, i        int // polygon, ring, index of the edge's first vertex
		n              int // number of edges in its ring
		a, b           lonLat
		minLon, maxLon float64
	}
	var edges []edge
	for pi, rings := range polys {
		for ri, vs := range rings {
			for i := range vs {
				a, b := vs[i], vs[(i+1)%len(vs)]
				edges = append(edges, edge{pi, ri, i, len(vs), a, b, min(a.lon, b.lon), max(a.lon, b.lon)})
			}
		}
	}
	sort.Slice(edges, func(i, j int) bool { return edges[i].minLon < edges[j].minLon })
	// A sweep in longitude: each edge is compared only with the earlier edges whose
	// longitude range still overlaps it.
	var active []int
	for j := range edges {
		ej := &edges[j]
		keep := active[:0]
		for _, i := range active {
			if edges[i].maxLon >= ej.minLon {
				keep = append(keep, i)
			}
		}
		active = keep
		for _, i := range active {
			ei := &edges[i]
			if ei.p == ej.p && ei.r == ej.r {
				d := (ei.i - ej.i + ei.n) % ei.n
				if d == 1 || d == ei.n-1 {
					// Adjacent edges share a vertex; they cross only if they fold back on
					// each other.
					if !overlapCollinear(ei.a, ei.b, ej.a, ej.b) {
						continue
					}
				}
			}
			if segmentsTouch(ei.a, ei.b, ej.a, ej.b) {
				if ei.p == ej.p && ei.r == ej.r {
					return fmt.Errorf("polygon %d ring %d crosses itself: edges from vertex %d and vertex %d meet near [%g, %g]",
						ei.p, ei.r, min(ei.i, ej.i), max(ei.i, ej.i), ej.a.lon, ej.a.lat)
				}
				return fmt.Errorf("polygon %d ring %d and polygon %d ring %d cross near [%g, %g]",
					ei.p, ei.r, ej.p, ej.r, ej.a.lon, ej.a.lat)
			}
		}
		active = append(active, j)
	}
	// With no crossings, one vertex tells whether a ring lies inside another.
	for pi, rings := range polys {
		for ri := 1; ri < len(rings); ri++ {
			if !insideRing(rings[ri][0], rings[0]) {
				return fmt.Errorf("polygon %d ring %d is a hole but lies outside its shell", pi, ri)
			}
		}
		for qi, other := range polys {
			if qi == pi || !insideRing(rings[0][0], other[0]) {
				continue
			}
			inHole := false
			for _, h := range other[1:] {
				if insideRing(rings[0][0], h) {
					inHole = true
					break
				}
			}
			if !inHole {
				return fmt.Errorf("polygon %d lies inside polygon %d: the polygons of a MultiPolygon must not overlap", pi, qi)
			}
		}
	}
	return nil
}

// orient returns the sign of the planar cross product (b-a)×(c-a).
func orient(a, b, c lonLat) int {
	v := (b.lon-a.lon)*(c.lat-a.lat) - (b.lat-a.lat)*(c.lon-a.lon)
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func onSegment(a, b, c lonLat) bool {
	return min(a.lon, b.lon) <= c.lon && c.lon <= max(a.lon, b.lon) &&
		min(a.lat, b.lat) <= c.lat && c.lat <= max(a.lat, b.lat)
}

// segmentsTouch reports whether closed segments ab and cd share any point.
func segmentsTouch(a, b, c, d lonLat) bool {
	o1, o2, o3, o4 := orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	return (o1 == 0 && onSegment(a, b, c)) || (o2 == 0 && onSegment(a, b, d)) ||
		(o3 == 0 && onSegment(c, d, a)) || (o4 == 0 && onSegment(c, d, b))
}

// overlapCollinear reports whether two edges that share a vertex lie along each other for
// more than that vertex (a spike that folds back).
func overlapCollinear(a, b, c, d lonLat) bool {
	if orient(a, b, c) != 0 || orient(a, b, d) != 0 {
		return false
	}
	// Collinear: they overlap beyond the shared vertex if some end point other than the
	// shared one lies strictly inside the other segment.
	inside := func(p, q, x lonLat) bool { return x != p && x != q && onSegment(p, q, x) }
	return inside(a, b, c) || inside(a, b, d) || inside(c, d, a) || inside(c, d, b)
}

// insideRing is the planar even-odd test of v against a ring, as GeoJSON reads it.
func insideRing(v lonLat, ring []lonLat) bool {
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a.lat > v.lat) != (b.lat > v.lat) &&
			v.lon < (b.lon-a.lon)*(v.lat-a.lat)/(b.lat-a.lat)+a.lon {
			in = !in
		}
	}
	return in
}
