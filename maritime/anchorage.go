package maritime

import (
	"fmt"

	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"

	"github.com/truce-project/truce"
)

// anchorages indexes the places where ships lie at anchor, so that two ships waiting
// together at one are not taken for an encounter. Polygon zones are indexed as polygons and
// circle zones as 64-sided polygons, so that a point inside is at distance 0; points are
// indexed as points.
type anchorages struct {
	index *s2.ShapeIndex
	q     *s2.EdgeQuery
	n     int
}

func newAnchorages(a *truce.Agreement, points [][2]float64) (*anchorages, error) {
	an := &anchorages{index: s2.NewShapeIndex()}
	if a != nil {
		for _, z := range a.Zones {
			if z.Kind != truce.ZoneAnchorage {
				continue
			}
			switch {
			case z.Circle != nil:
				c := s2.PointFromLatLng(s2.LatLngFromDegrees(z.Circle.Center[1], z.Circle.Center[0]))
				r := s1.Angle(z.Circle.RadiusKm * 1000 / earthRadiusM)
				an.index.Add(s2.PolygonFromLoops([]*s2.Loop{s2.RegularLoop(c, r, 64)}))
			case len(z.Area) > 0:
				var loops []*s2.Loop
				for _, poly := range z.Area {
					for _, ring := range poly {
						pts := make([]s2.Point, 0, len(ring))
						for _, p := range ring {
							pts = append(pts, s2.PointFromLatLng(s2.LatLngFromDegrees(p[1], p[0])))
						}
						if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
							pts = pts[:len(pts)-1]
						}
						if len(pts) < 3 {
							return nil, fmt.Errorf("zone %q: a ring of fewer than 3 points", z.ID)
						}
						l := s2.LoopFromPoints(pts)
						l.Normalize()
						loops = append(loops, l)
					}
				}
				an.index.Add(s2.PolygonFromLoops(loops))
			default:
				return nil, fmt.Errorf("zone %q: an anchorage must be a polygon or a circle", z.ID)
			}
			an.n++
		}
	}
	if len(points) > 0 {
		pv := make(s2.PointVector, 0, len(points))
		for i, p := range points {
			if !(p[0] >= -90 && p[0] <= 90 && p[1] >= -180 && p[1] <= 180) {
				return nil, fmt.Errorf("anchorage %d: (%v, %v) is not a latitude and longitude", i, p[0], p[1])
			}
			pv = append(pv, s2.PointFromLatLng(s2.LatLngFromDegrees(p[0], p[1])))
		}
		an.index.Add(&pv)
		an.n += len(points)
	}
	an.index.Build()
	an.q = s2.NewClosestEdgeQuery(an.index, s2.NewClosestEdgeQueryOptions().MaxResults(1).IncludeInteriors(true))
	return an, nil
}

// distanceM returns the distance in metres from the point to the nearest anchorage, 0
// inside one, +Inf when there are none.
func (an *anchorages) distanceM(lat, lon float64) float64 {
	if an.n == 0 {
		return inf
	}
	p := s2.PointFromLatLng(s2.LatLngFromDegrees(lat, lon))
	ca := an.q.Distance(s2.NewMinDistanceToPointTarget(p))
	if ca == s1.InfChordAngle() {
		return inf
	}
	return ca.Angle().Radians() * earthRadiusM
}
