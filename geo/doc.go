// Package geo is the spatial engine: it tells, for a point with an uncertainty radius, which
// of an agreement's zones contain it (inside, possibly inside, outside), how far it is from
// each of the agreement's lines, and on which side.
//
// # Geometry as the agreement draws it
//
// Lines and polygon zones come as GeoJSON, [lon, lat] on WGS84, with edges straight in
// lon/lat (RFC 7946; PostGIS geometry reads them the same way). Polygon rings may run either
// way round; the first ring of each polygon is its shell and the rest are holes. Bands and
// circles are defined by geodesic distance on WGS84: a band is the set of points within Km of
// its line (on one side of it, or both), a circle the points within RadiusKm of its centre.
// Bands are judged by distance to the line, never by a buffered polygon.
//
// # How it computes
//
// For distances the engine works on a unit sphere onto which the ellipsoid is mapped
// conformally (conformal latitude, same longitude; see conformal.go), with S2's points and
// chord angles. Every edge is cut into pieces whose great-circle arcs stay within 2 cm of the
// lon/lat-straight edge, so that arcs on the sphere follow GeoJSON's edges.
//
//   - Containment in a polygon is planar in lon/lat, exactly as GeoJSON draws it: a grid over
//     the polygon whose cells know whether their centre is inside and which edges touch them;
//     a query counts the crossings of the segment from its cell's centre (see pipIndex). It
//     needs no densification and allocates nothing (S2's ContainsPointQuery, which would do
//     the same on the sphere, heap-allocates for points in cells with edges).
//   - Distance to a line (or to a polygon's boundary) is a search of a tree of boxes around
//     runs of consecutive pieces for the nearest piece on the sphere, from a first bound
//     read off a grid of hints. The spherical angle to the nearest point times the map's
//     scale at the midpoint is the geodesic length to second order: within 2 cm near the
//     line and 0.7 m at 600 km (TestEstimateErrorBound). A decision whose threshold lies
//     within that error bound of the estimate (a band's edge, the reach of an uncertainty
//     circle) is settled with the exact distance instead: Karney's geodesic from the point to
//     the nearest points of the candidate pieces, found by Newton's method along each piece.
//     Decisions are therefore exact to well under 1 m; TestLineDistanceAgreesWithPostGIS and
//     TestContainmentAgreesWithPostGIS hold them to PostGIS.
//   - A point farther from a line than any distance the agreement measures from it (the
//     widest band on the line, the largest distance in a rule's line condition, plus the
//     point's uncertainty) and more than 1 km from it is placed against a copy of the line
//     simplified to 50 m, which has far fewer pieces; its LineStatus.DistanceM is then within
//     50 m, and no decision depends on it.
//
// # Uncertainty and sides
//
// A point with uncertainty radius ce is Inside a zone when its whole circle is inside,
// Possible when the circle crosses the boundary, and Outside otherwise. A one-sided band is
// also bounded by its line, so a point 100 m left of the line with ce 300 m is only Possible
// for a left band. The side of a line is the side of the nearest point of the line; at a
// vertex, a point in the wedge outside the turn belongs to the outside of the turn; beyond an
// end, the side is that of the end piece extended (see segIndex.side). SideCertain is false
// when the uncertainty circle reaches the line (or, beyond an end, that extension).
//
// # Limits
//
// Geometry must not cross the antimeridian: an edge from 179°E to 179°W runs, as GeoJSON
// draws it, the long way round, and the engine reads it so (and rejects rings that then
// cross themselves). Rings that touch themselves at a vertex or share edges with other rings,
// as real outlines do, are accepted; rings that cross are not.
//
// An Engine is built once per agreement and is safe for concurrent use; each goroutine
// locates into its own Location, which holds the per-call state so that Locate allocates
// nothing.
package geo
