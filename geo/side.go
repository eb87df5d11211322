package geo

import (
	"math"

	"github.com/golang/geo/r3"
	"github.com/golang/geo/s2"
)

// side returns the side of the path that p is on, given the piece seg nearest to p.
//
// The rule: a point takes the side of the nearest point of the line.
//   - When that nearest point is inside a piece, the side is the side of that piece's great
//     circle: left when p·(a×b) > 0, walking from a to b.
//   - When it is a vertex between two pieces, the point is on the same side of both pieces,
//     or it lies in the wedge on the outer side of the turn, where the two pieces disagree.
//     The wedge belongs to the outside of the turn: right of a left turn, left of a right
//     turn. This is the rule that makes the side continuous around a vertex, and it changes
//     only across the line itself.
//   - Beyond the first or last vertex, the side is that of the end piece extended. There the
//     side also changes across the extension, so the returned endTheta is p's angular distance
//     to the extended great circle (it is -1 when the nearest point is not an end).
//
// A point exactly on the line (or on an end's extension) gets SideNone.
func (t *segIndex) side(p s2.Point, seg int) (side Side, endTheta float64) {
	a, b := t.a[seg], t.b[seg]
	n := a.Cross(b.Vector)
	beforeA := p.Dot(n.Cross(a.Vector)) < 0
	afterB := p.Dot(n.Cross(b.Vector)) > 0
	switch {
	case beforeA && t.prev[seg] < 0, afterB && t.next[seg] < 0:
		return sideOfPlane(n, p), crossTrack(n, p)
	case beforeA:
		u := int(t.prev[seg])
		return vertexSide(t.a[u].Cross(t.b[u].Vector), n, b, p), -1
	case afterB:
		w := int(t.next[seg])
		return vertexSide(n, t.a[w].Cross(t.b[w].Vector), t.b[w], p), -1
	}
	return sideOfPlane(n, p), -1
}

// vertexSide applies the vertex rule for pieces u (normal nu) and w (normal nw, ending at
// wEnd) that meet at a vertex.
func vertexSide(nu, nw r3.Vector, wEnd s2.Point, p s2.Point) Side {
	su, sw := sideOfPlane(nu, p), sideOfPlane(nw, p)
	if su == sw {
		return su
	}
	switch sideOfPlane(nu, wEnd) {
	case SideLeft:
		return SideRight
	case SideRight:
		return SideLeft
	}
	if su != SideNone {
		return su
	}
	return sw
}

func sideOfPlane(n r3.Vector, p s2.Point) Side {
	d := n.Dot(p.Vector)
	switch {
	case d > 0:
		return SideLeft
	case d < 0:
		return SideRight
	}
	return SideNone
}

// crossTrack is the angle from p to the great circle with normal n.
func crossTrack(n r3.Vector, p s2.Point) float64 {
	nn := n.Norm()
	if nn == 0 {
		return 0
	}
	return math.Asin(math.Min(1, math.Abs(n.Dot(p.Vector))/nn))
}
