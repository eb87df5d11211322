package geo

import (
	"math"
	"sort"
)

// pipIndex answers point-in-polygon for GeoJSON polygons exactly as GeoJSON draws them:
// planar in lon/lat, even-odd over all rings (the shells and holes of a valid MultiPolygon).
//
// It is a uniform grid over the polygon's box. Each cell records whether its centre is inside
// and which edges touch it. A point is inside when its cell's centre is, flipped once for
// every edge of the cell that crosses the segment from the centre to the point; any edge that
// crosses that segment touches the cell, since the segment lies within it. Counting is made
// consistent where the segment passes exactly through a vertex by treating every vertex on
// the segment's line as lying to its left (a symbolic perturbation): the two edges at such a
// vertex then count 0 or 2 crossings when the boundary only touches the segment, and 1 when it
// passes through. The grid has about two cells per edge, so a cell holds a few edges.
//
// S2's ContainsPointQuery would do the same on the sphere, but it allocates an EdgeCrosser on
// the heap whenever the point's cell has edges, and Locate must not allocate.
type pipIndex struct {
	minX, minY, cw, ch float64 // grid origin and cell size in degrees
	nx, ny             int
	start              []int32 // cell i's edges are edges[start[i]:start[i+1]]
	edges              []int32
	centreIn           []bool
	a, b               []lonLat // edge i runs from a[i] to b[i]
}

func newPIPIndex(polys [][][]lonLat) *pipIndex {
	t := &pipIndex{}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, rings := range polys {
		for _, r := range rings {
			for i := range r {
				u, v := r[i], r[(i+1)%len(r)]
				t.a, t.b = append(t.a, u), append(t.b, v)
				minX, maxX = math.Min(minX, u.lon), math.Max(maxX, u.lon)
				minY, maxY = math.Min(minY, u.lat), math.Max(maxY, u.lat)
			}
		}
	}
	n := len(t.a)
	w, h := math.Max(maxX-minX, 1e-9), math.Max(maxY-minY, 1e-9)
	// About two cells per edge, shaped like the box.
	cells := math.Min(float64(2*n+16), 1<<22)
	t.nx = max(1, int(math.Ceil(math.Sqrt(cells*w/h))))
	t.ny = max(1, int(math.Ceil(cells/float64(t.nx))))
	t.nx, t.ny = min(t.nx, 1<<12), min(t.ny, 1<<12)
	t.minX, t.minY = minX, minY
	t.cw, t.ch = w/float64(t.nx), h/float64(t.ny)

	// Edges of each cell: every cell in the edge's box whose corners the edge's line does not
	// leave all strictly on one side (widened a little, so that no touching edge is missed;
	// an extra edge costs a crossing test, never a wrong answer).
	counts := make([]int32, t.nx*t.ny+1)
	var pairs [][2]int32
	for i := 0; i < n; i++ {
		u, v := t.a[i], t.b[i]
		x0, x1 := t.col(math.Min(u.lon, v.lon)), t.col(math.Max(u.lon, v.lon))
		y0, y1 := t.row(math.Min(u.lat, v.lat)), t.row(math.Max(u.lat, v.lat))
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				if t.edgeTouchesCell(u, v, x, y) {
					pairs = append(pairs, [2]int32{int32(y*t.nx + x), int32(i)})
					counts[y*t.nx+x+1]++
				}
			}
		}
	}
	t.start = make([]int32, len(counts))
	for i := 1; i < len(counts); i++ {
		t.start[i] = t.start[i-1] + counts[i]
	}
	t.edges = make([]int32, len(pairs))
	fill := append([]int32(nil), t.start[:len(t.start)-1]...)
	for _, p := range pairs {
		t.edges[fill[p[0]]] = p[1]
		fill[p[0]]++
	}

	// Whether each centre is inside: along each row of centres, the crossings of the row's
	// line sorted by x, counted with the usual half-open rule.
	t.centreIn = make([]bool, t.nx*t.ny)
	var xs []float64
	for y := 0; y < t.ny; y++ {
		cy := t.minY + (float64(y)+0.5)*t.ch
		xs = xs[:0]
		for i := 0; i < n; i++ {
			u, v := t.a[i], t.b[i]
			if (u.lat > cy) != (v.lat > cy) {
				xs = append(xs, u.lon+(cy-u.lat)*(v.lon-u.lon)/(v.lat-u.lat))
			}
		}
		sort.Float64s(xs)
		k := 0
		for x := 0; x < t.nx; x++ {
			cx := t.minX + (float64(x)+0.5)*t.cw
			for k < len(xs) && xs[k] < cx {
				k++
			}
			t.centreIn[y*t.nx+x] = k%2 == 1
		}
	}
	return t
}

func (t *pipIndex) col(lon float64) int {
	return min(max(int((lon-t.minX)/t.cw), 0), t.nx-1)
}

func (t *pipIndex) row(lat float64) int {
	return min(max(int((lat-t.minY)/t.ch), 0), t.ny-1)
}

func (t *pipIndex) edgeTouchesCell(u, v lonLat, x, y int) bool {
	ex, ey := t.cw*1e-6, t.ch*1e-6
	x0, y0 := t.minX+float64(x)*t.cw-ex, t.minY+float64(y)*t.ch-ey
	x1, y1 := x0+t.cw+2*ex, y0+t.ch+2*ey
	pos, neg := false, false
	for _, c := range [4]lonLat{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
		o := (v.lon-u.lon)*(c.lat-u.lat) - (v.lat-u.lat)*(c.lon-u.lon)
		pos = pos || o >= 0
		neg = neg || o <= 0
	}
	return pos && neg
}

// contains reports whether the point is inside. Points exactly on an edge may go either way.
func (t *pipIndex) contains(lat, lon float64) bool {
	if !(lon >= t.minX && lat >= t.minY && lon <= t.minX+float64(t.nx)*t.cw && lat <= t.minY+float64(t.ny)*t.ch) {
		return false
	}
	x, y := t.col(lon), t.row(lat)
	c := y*t.nx + x
	in := t.centreIn[c]
	cx, cy := t.minX+(float64(x)+0.5)*t.cw, t.minY+(float64(y)+0.5)*t.ch
	dx, dy := lon-cx, lat-cy
	for _, e := range t.edges[t.start[c]:t.start[c+1]] {
		a, b := t.a[e], t.b[e]
		// Which side of the line through the centre and the point each end lies on, a
		// vertex on the line counting as left.
		la := dx*(a.lat-cy)-dy*(a.lon-cx) >= 0
		lb := dx*(b.lat-cy)-dy*(b.lon-cx) >= 0
		if la == lb {
			continue
		}
		// The edge's line separates the centre from the point.
		ex, ey := b.lon-a.lon, b.lat-a.lat
		oc := ex*(cy-a.lat) - ey*(cx-a.lon)
		op := ex*(lat-a.lat) - ey*(lon-a.lon)
		if (oc > 0 && op < 0) || (oc < 0 && op > 0) {
			in = !in
		}
	}
	return in
}
