package geo

import (
	"fmt"
	"sort"
)

// checkRings rejects polygons that GeoJSON's reading and the engine's would not agree on:
// rings that cross themselves or each other, holes outside their shell, and polygons of a
// MultiPolygon that overlap. The tests are planar in lon/lat, which is where GeoJSON draws
// edges. Edges that cross at a point inside both are rejected; edges that merely touch are
// accepted, because real outlines have them (Natural Earth's rings pinch at single vertices,
// and data cut at the antimeridian shares edges along it) and the even-odd reading of
// containment stays well defined with them.
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
			if !segmentsCross(ei.a, ei.b, ej.a, ej.b) {
				continue
			}
			if ei.p == ej.p && ei.r == ej.r {
				return fmt.Errorf("polygon %d ring %d crosses itself: the edges from vertex %d and vertex %d cross near [%g, %g]",
					ei.p, ei.r, min(ei.i, ej.i), max(ei.i, ej.i), ej.a.lon, ej.a.lat)
			}
			return fmt.Errorf("polygon %d ring %d and polygon %d ring %d cross near [%g, %g]",
				ei.p, ei.r, ej.p, ej.r, ej.a.lon, ej.a.lat)
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

// segmentsCross reports whether segments ab and cd cross at a point interior to both.
func segmentsCross(a, b, c, d lonLat) bool {
	return orient(a, b, c)*orient(a, b, d) < 0 && orient(c, d, a)*orient(c, d, b) < 0
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
