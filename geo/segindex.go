package geo

import (
	"math"

	"github.com/golang/geo/r3"
	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"
)

// segIndex holds the densified pieces of one or more polylines or rings and answers "which
// piece is nearest to this point" without allocating. Pieces are stored in path order, so a
// run of consecutive pieces is spatially coherent; the index is a binary tree over index
// ranges whose nodes carry a 3-D box around their pieces on the unit sphere. The squared
// distance from a query point to a box is a lower bound on the squared chord to any piece in
// it, which is exactly what an s1.ChordAngle holds, so the search prunes with no trigonometry.
type segIndex struct {
	a, b   []s2.Point // piece end points on the unit sphere
	la, lb []lonLat   // the same end points in degrees, for the exact geodesic refinement
	// prev and next are the neighbouring pieces along the same path, or -1 at a path's ends
	// (a ring has no ends).
	prev, next []int32
	// arcs holds, per piece, what the distance test needs in one cache-friendly place.
	arcs  []arcConst
	nodes []segNode
	hint  hintGrid
}

// hintGrid remembers, for the centre of each cell of a lon/lat grid over the agreement's
// area, the piece nearest to it. The nearest piece to a point is usually the one nearest to
// its cell's centre or close to it, so the distance to that piece is a tight first bound
// that lets the tree search skip most of its nodes.
type hintGrid struct {
	minLon, minLat, step float64
	nx, ny               int
	cells                []int32
	// distM is the estimated distance from each cell's centre to the line, and radiusM a
	// bound on the distance from a centre to any point of its cell, so that a point's
	// distance lies within distM ± (radiusM + the estimate's error).
	distM   []float32
	radiusM float64
}

// buildHint fills the grid over the box [minLon, maxLon] × [minLat, maxLat] with cells of
// step degrees.
func (t *segIndex) buildHint(minLon, minLat, maxLon, maxLat, step float64) {
	nx := int(math.Ceil((maxLon - minLon) / step))
	ny := int(math.Ceil((maxLat - minLat) / step))
	if len(t.nodes) == 0 || nx <= 0 || ny <= 0 || nx*ny > 1<<20 {
		return
	}
	h := hintGrid{minLon: minLon, minLat: minLat, step: step, nx: nx, ny: ny,
		cells: make([]int32, nx*ny), distM: make([]float32, nx*ny),
		// A degree of latitude or longitude is at most 111.7 km.
		radiusM: step / 2 * math.Sqrt2 * 111700}
	for y := 0; y < ny; y++ {
		for x := 0; x < nx; x++ {
			c := pointOf(lonLat{minLon + (float64(x)+0.5)*step, minLat + (float64(y)+0.5)*step})
			seg, ca := t.nearest(c, s1.InfChordAngle())
			h.cells[y*nx+x] = int32(max(seg, 0))
			if seg >= 0 {
				h.distM[y*nx+x] = float32(metresAlong(c, s2.Project(c, t.a[seg], t.b[seg]), ca))
			}
		}
	}
	t.hint = h
}

// hintNear tells from the grid alone whether the point is certainly within nearM metres of
// the line (+1), certainly farther (-1), or either (0, also off the grid).
func (t *segIndex) hintNear(lat, lon, nearM float64) int {
	h := &t.hint
	if h.cells == nil {
		return 0
	}
	x := int((lon - h.minLon) / h.step)
	y := int((lat - h.minLat) / h.step)
	if x < 0 || y < 0 || x >= h.nx || y >= h.ny {
		return 0
	}
	d := float64(h.distM[y*h.nx+x])
	// float32 keeps about 7 digits: allow 1e-6 of the distance for its rounding.
	slack := h.radiusM + estimateErrM(d) + 1e-6*d + 1
	switch {
	case d+slack < nearM:
		return 1
	case d-slack > nearM:
		return -1
	}
	return 0
}

// hinted returns a first bound for nearest: just above the squared chord from p to the piece
// nearest to the centre of p's cell, or limit when p is off the grid or that is farther.
func (t *segIndex) hinted(lat, lon float64, p s2.Point, limit s1.ChordAngle) s1.ChordAngle {
	h := &t.hint
	if h.cells == nil {
		return limit
	}
	x := int((lon - h.minLon) / h.step)
	y := int((lat - h.minLat) / h.step)
	if x < 0 || y < 0 || x >= h.nx || y >= h.ny {
		return limit
	}
	d := t.arcs[h.cells[y*h.nx+x]].chord2(p.Vector, math.Inf(1))
	if b := s1.ChordAngle(d*(1+1e-9) + 1e-300); b < limit {
		return b
	}
	return limit
}

// arcConst is a piece a→b prepared for the distance test: the unit normal n of its great
// circle, and the vectors n×a and b×n whose dot products with p tell whether p's foot on the
// great circle falls within the arc.
type arcConst struct {
	a, b, n, ta, tb r3.Vector
}

type segNode struct {
	minX, minY, minZ, maxX, maxY, maxZ float64
	lo, hi                             int32 // pieces [lo, hi)
	left, right                        int32 // children, or -1 for a leaf
}

const segLeafSize = 8

// addPath appends the pieces of a densified path (vertices in order). A closed path also gets
// the piece from the last vertex back to the first.
func (t *segIndex) addPath(vs []lonLat, closed bool) {
	if len(vs) < 2 {
		return
	}
	first := int32(len(t.a))
	n := len(vs) - 1
	if closed {
		n = len(vs)
	}
	for i := 0; i < n; i++ {
		u, v := vs[i], vs[(i+1)%len(vs)]
		t.a = append(t.a, pointOf(u))
		t.b = append(t.b, pointOf(v))
		t.la = append(t.la, u)
		t.lb = append(t.lb, v)
		id := int32(len(t.a) - 1)
		t.prev = append(t.prev, id-1)
		t.next = append(t.next, id+1)
	}
	last := int32(len(t.a) - 1)
	if closed {
		t.prev[first] = last
		t.next[last] = first
	} else {
		t.prev[first] = -1
		t.next[last] = -1
	}
}

// build indexes the pieces added so far.
func (t *segIndex) build() {
	t.arcs = make([]arcConst, len(t.a))
	for i := range t.a {
		a, b := t.a[i].Vector, t.b[i].Vector
		n := t.a[i].PointCross(t.b[i]).Normalize()
		t.arcs[i] = arcConst{a: a, b: b, n: n, ta: n.Cross(a), tb: b.Cross(n)}
	}
	t.nodes = t.nodes[:0]
	if len(t.a) > 0 {
		t.buildNode(0, int32(len(t.a)))
	}
}

func (t *segIndex) buildNode(lo, hi int32) int32 {
	id := int32(len(t.nodes))
	t.nodes = append(t.nodes, segNode{lo: lo, hi: hi, left: -1, right: -1})
	if hi-lo > segLeafSize {
		mid := lo + (hi-lo)/2
		l := t.buildNode(lo, mid)
		r := t.buildNode(mid, hi)
		n := &t.nodes[id]
		n.left, n.right = l, r
		ln, rn := t.nodes[l], t.nodes[r]
		n.minX, n.minY, n.minZ = min(ln.minX, rn.minX), min(ln.minY, rn.minY), min(ln.minZ, rn.minZ)
		n.maxX, n.maxY, n.maxZ = max(ln.maxX, rn.maxX), max(ln.maxY, rn.maxY), max(ln.maxZ, rn.maxZ)
		return id
	}
	n := &t.nodes[id]
	inf := math.Inf(1)
	n.minX, n.minY, n.minZ, n.maxX, n.maxY, n.maxZ = inf, inf, inf, -inf, -inf, -inf
	bulge := 0.0
	for i := lo; i < hi; i++ {
		for _, p := range [2]s2.Point{t.a[i], t.b[i]} {
			n.minX, n.minY, n.minZ = min(n.minX, p.X), min(n.minY, p.Y), min(n.minZ, p.Z)
			n.maxX, n.maxY, n.maxZ = max(n.maxX, p.X), max(n.maxY, p.Y), max(n.maxZ, p.Z)
		}
		// An arc bulges outwards from its chord by at most 1-cos(θ/2), θ the arc's angle; the
		// box of the end points is widened by that so it contains the whole arc.
		th := t.a[i].Angle(t.b[i].Vector).Radians()
		bulge = math.Max(bulge, 1-math.Cos(th/2))
	}
	pad := bulge + 1e-15
	n.minX, n.minY, n.minZ = n.minX-pad, n.minY-pad, n.minZ-pad
	n.maxX, n.maxY, n.maxZ = n.maxX+pad, n.maxY+pad, n.maxZ+pad
	return id
}

// dist2 is the squared distance from p to the node's box: a lower bound on the squared chord
// from p to any point of the node's arcs.
func (n *segNode) dist2(p r3.Vector) float64 {
	dx := max(n.minX-p.X, p.X-n.maxX, 0)
	dy := max(n.minY-p.Y, p.Y-n.maxY, 0)
	dz := max(n.minZ-p.Z, p.Z-n.maxZ, 0)
	return dx*dx + dy*dy + dz*dz
}

// chord2 returns the squared chord from p to the nearest point of the arc, or any value of at
// least best when that is at least best. The great circle is never farther than the arc, and
// its squared chord is at least sin² of the angle, (n·p)², which rejects most arcs with one dot
// product. When p's foot on the great circle lies within the arc, the squared chord to it is
// 2(1-cosθ) = 2s²/(1+√(1-s²)) with s = sinθ = n·p; otherwise the nearest point is an end.
func (c *arcConst) chord2(p r3.Vector, best float64) float64 {
	s := c.n.Dot(p)
	s2 := s * s
	if s2 >= best {
		return s2
	}
	if p.Dot(c.ta) >= 0 && p.Dot(c.tb) >= 0 {
		return 2 * s2 / (1 + math.Sqrt(max(0, 1-s2)))
	}
	return min(p.Sub(c.a).Norm2(), p.Sub(c.b).Norm2())
}

// nearest returns the piece nearest to p on the sphere and its chord angle, considering only
// pieces closer than limit; it returns -1 when there is none.
func (t *segIndex) nearest(p s2.Point, limit s1.ChordAngle) (int, s1.ChordAngle) {
	best, bestSeg := float64(limit), -1
	if len(t.nodes) == 0 {
		return -1, limit
	}
	pv := p.Vector
	var stack [96]int32
	var bound [96]float64
	sp := 0
	if d := t.nodes[0].dist2(pv); d < best {
		stack[0], bound[0] = 0, d
		sp = 1
	}
	for sp > 0 {
		sp--
		if bound[sp] >= best {
			continue
		}
		n := &t.nodes[stack[sp]]
		if n.left < 0 {
			for i := n.lo; i < n.hi; i++ {
				if d := t.arcs[i].chord2(pv, best); d < best {
					best, bestSeg = d, int(i)
				}
			}
			continue
		}
		dl, dr := t.nodes[n.left].dist2(pv), t.nodes[n.right].dist2(pv)
		near, far, dn, df := n.left, n.right, dl, dr
		if dr < dl {
			near, far, dn, df = n.right, n.left, dr, dl
		}
		// Push the far child first so the near one is searched first and tightens best.
		if df < best && sp < len(stack) {
			stack[sp], bound[sp] = far, df
			sp++
		}
		if dn < best && sp < len(stack) {
			stack[sp], bound[sp] = near, dn
			sp++
		}
	}
	if bestSeg < 0 {
		return -1, limit
	}
	return bestSeg, s1.ChordAngle(best)
}

// minExact returns the smallest of exact(i) over the pieces i within chord angle limit of p,
// or +Inf when there is none. It is the slow path: exact computes a geodesic distance in
// metres. Each result also narrows the search, since no piece more than best/kMin away on
// the sphere (plus slackM) can be nearer on the ellipsoid; nearer boxes go first so that it
// narrows quickly.
func (t *segIndex) minExact(p s2.Point, limit s1.ChordAngle, slackM float64, exact func(i int) float64) float64 {
	best := math.Inf(1)
	if len(t.nodes) == 0 {
		return best
	}
	lim := float64(limit)
	pv := p.Vector
	var stack [96]int32
	stack[0] = 0
	sp := 1
	for sp > 0 {
		sp--
		n := &t.nodes[stack[sp]]
		if n.dist2(pv) > lim {
			continue
		}
		if n.left < 0 {
			for i := n.lo; i < n.hi; i++ {
				if t.arcs[i].chord2(pv, math.Inf(1)) > lim {
					continue
				}
				if d := exact(int(i)); d < best {
					best = d
					if a := (best + slackM) / kMin; a < math.Pi {
						lim = math.Min(lim, float64(s1.ChordAngleFromAngle(s1.Angle(a))))
					}
				}
			}
			continue
		}
		if sp+2 <= len(stack) {
			l, r := n.left, n.right
			if t.nodes[l].dist2(pv) < t.nodes[r].dist2(pv) {
				l, r = r, l
			}
			stack[sp], stack[sp+1] = l, r
			sp += 2
		}
	}
	return best
}

// pointType and infChord are short names for the tests' and callers' convenience.
type pointType = s2.Point

var infChord = s1.InfChordAngle()
