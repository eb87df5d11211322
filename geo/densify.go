package geo

import (
	"math"

	"github.com/golang/geo/s2"
	"github.com/paulmach/orb"
)

// densifyTolM is the largest distance, in metres, that a great-circle arc between two
// consecutive densified vertices may stray from the lon/lat-straight edge it stands for. At
// 2 cm it is far below the 1 m to which decisions must be exact, and it keeps the vertex count
// reasonable: a 5 km edge at 60°N strays about 0.85 m and is cut into 7 pieces.
const densifyTolM = 0.02

// maxPieceDeg caps the length of a densified piece in degrees of latitude or longitude.
// Edges along a meridian or the equator are great circles already and would never be cut by
// the tolerance; capping them keeps every piece short enough that the exact refinement, which
// walks one piece at a time, works on a nearly straight curve.
const maxPieceDeg = 0.1

// maxEdgePieces caps the pieces of one edge. It is reached only by edges thousands of
// kilometres long near a pole, which no agreement draws; capping them keeps a mistyped
// coordinate from exhausting memory (and loosens the tolerance only on such edges).
const maxEdgePieces = 1 << 16

// maxPieces caps the densified pieces of one line or zone, about 500 MB of index.
const maxPieces = 4 << 20

// lonLat is a vertex as GeoJSON gives it, in degrees.
type lonLat struct{ lon, lat float64 }

// densifyEdgeTol appends to out the vertices that cut the lon/lat-straight edge a→b into
// pieces no longer than maxDeg degrees whose great-circle arcs stay within tolM metres of the
// edge, excluding b itself. The pieces are equal steps in lon/lat, so each densified vertex
// lies exactly on the GeoJSON edge.
func densifyEdgeTol(out []lonLat, a, b lonLat, tolM, maxDeg float64) []lonLat {
	dlon, dlat := b.lon-a.lon, b.lat-a.lat
	n := int(math.Ceil(math.Max(math.Abs(dlon), math.Abs(dlat)) / maxDeg))
	if n < 1 {
		n = 1
	}
	// The deviation of a short arc from the straight lon/lat edge grows with the square of its
	// length, so the midpoint deviation of the whole edge tells how many pieces are needed.
	// The loop re-checks the first piece in case the quadratic estimate was optimistic (it
	// can be where latitude changes fast along the edge).
	tol := tolM / kMax
	if dev := arcDeviation(a, b, 1); dev > tol {
		n = max(n, int(math.Ceil(math.Sqrt(dev/tol))))
	}
	for iter := 0; iter < 8 && n < maxEdgePieces; iter++ {
		worst := 0.0
		// The deviation is largest where the edge is most poleward; test both end pieces.
		worst = math.Max(worst, arcDeviation(a, b, n))
		worst = math.Max(worst, arcDeviation(b, a, n))
		if worst <= tol {
			break
		}
		n = int(math.Ceil(float64(n) * math.Sqrt(worst/tol) * 1.05))
	}
	n = min(n, maxEdgePieces)
	for i := 0; i < n; i++ {
		t := float64(i) / float64(n)
		out = append(out, lonLat{a.lon + t*dlon, a.lat + t*dlat})
	}
	return out
}

// arcDeviation returns, in radians, how far the lon/lat midpoint of the first of n equal pieces
// of edge a→b lies from the great-circle arc joining the piece's ends.
func arcDeviation(a, b lonLat, n int) float64 {
	t := 1 / float64(n)
	e := lonLat{a.lon + t*(b.lon-a.lon), a.lat + t*(b.lat-a.lat)}
	m := lonLat{(a.lon + e.lon) / 2, (a.lat + e.lat) / 2}
	return float64(s2.DistanceFromSegment(pointOf(m), pointOf(a), pointOf(e)))
}

// cleanPath returns the path's vertices without consecutive duplicates and, for a closed ring,
// without the closing vertices that repeat the first.
func cleanPath(path []orb.Point, closed bool) []lonLat {
	out := make([]lonLat, 0, len(path))
	for _, p := range path {
		v := lonLat{p[0], p[1]}
		if len(out) > 0 && out[len(out)-1] == v {
			continue
		}
		out = append(out, v)
	}
	if closed {
		for len(out) > 1 && out[len(out)-1] == out[0] {
			out = out[:len(out)-1]
		}
		out = removeSpikes(out)
	}
	return out
}

// removeSpikes drops spikes from a ring: a vertex B between two copies of the same vertex A
// (A, B, A) is an edge walked out and straight back. It encloses no area, so removing it
// leaves the region the ring bounds unchanged, and real data (Natural Earth's quantised
// outlines) has such spikes where a crossing check would otherwise reject the ring.
func removeSpikes(vs []lonLat) []lonLat {
	for changed := true; changed && len(vs) >= 3; {
		changed = false
		n := len(vs)
		for i := 0; i < n && n >= 3; i++ {
			if vs[(i+n-1)%n] == vs[(i+1)%n] {
				// Remove B (at i) and the repeated A after it.
				j := (i + 1) % n
				keep := make([]lonLat, 0, n-2)
				for k := 0; k < n; k++ {
					if k != i && k != j {
						keep = append(keep, vs[k])
					}
				}
				vs, changed = keep, true
				break
			}
		}
	}
	return vs
}

// distinctCount counts distinct vertices, stopping once it has seen limit of them.
func distinctCount(vs []lonLat, limit int) int {
	var seen []lonLat
	for _, v := range vs {
		dup := false
		for _, s := range seen {
			if s == v {
				dup = true
				break
			}
		}
		if !dup {
			seen = append(seen, v)
			if len(seen) >= limit {
				break
			}
		}
	}
	return len(seen)
}

// simplify returns the path simplified by Douglas and Peucker's algorithm: every vertex
// dropped lies within tolDeg (planar, in degrees) of the simplified segment that replaces it.
// The simplified path then lies within tolDeg of the path and the path within tolDeg of it,
// because each stretch of the path that a segment replaces stays in a strip of that width
// around the segment and runs from one end of it to the other.
func simplify(vs []lonLat, tolDeg float64) []lonLat {
	if len(vs) < 3 {
		return vs
	}
	keep := make([]bool, len(vs))
	keep[0], keep[len(vs)-1] = true, true
	type span struct{ i, j int }
	stack := []span{{0, len(vs) - 1}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		worst, at := -1.0, -1
		for k := s.i + 1; k < s.j; k++ {
			if d := planarSegDist(vs[k], vs[s.i], vs[s.j]); d > worst {
				worst, at = d, k
			}
		}
		if at >= 0 && worst > tolDeg {
			keep[at] = true
			stack = append(stack, span{s.i, at}, span{at, s.j})
		}
	}
	var out []lonLat
	for k, v := range vs {
		if keep[k] {
			out = append(out, v)
		}
	}
	return out
}

// planarSegDist is the planar distance in degrees from v to the segment a→b.
func planarSegDist(v, a, b lonLat) float64 {
	dx, dy := b.lon-a.lon, b.lat-a.lat
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((v.lon-a.lon)*dx+(v.lat-a.lat)*dy)/l2))
	}
	return math.Hypot(v.lon-a.lon-t*dx, v.lat-a.lat-t*dy)
}
