package geo

import (
	"math"

	"github.com/golang/geo/s2"
	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"
)

// outlineStepM is the spacing of the vertices ZoneOutline puts along circles and the edges of
// bands: fine enough that a map at any scale a mission prints shows a smooth curve.
const outlineStepM = 300

// lineDistanceM returns the exact geodesic distance from the point to line li, its side, and
// the distance to where the side changes (the line itself, or beyond an end, the end piece's
// extension). It searches the full line; it is for explanations and drawing, not Locate.
func (e *Engine) lineDistanceM(li int, lat, lon float64) (d float64, side Side, marginM float64) {
	l := &e.lines[li]
	p := pointOf(lonLat{lon, lat})
	seg, ca := l.segs.nearest(p, infChord)
	if seg < 0 {
		return math.NaN(), SideNone, math.NaN()
	}
	d = l.segs.exactDistanceM(p, lat, lon, ca.Angle().Radians())
	side, endTheta := l.segs.side(p, seg)
	marginM = d
	if endTheta >= 0 {
		marginM = endTheta * scaleAt(p.Z)
	}
	return d, side, marginM
}

// ZoneDepthM: signed geodesic distance in metres from the point to zone i's boundary,
// positive inside, negative outside (used only to write explanations, may be slower).
//
// For a one-sided band the line is part of the boundary: a point on the band's side is as
// deep as the nearer of the band's far edge and the line, and a point on the other side is
// as far outside as it is from the line.
func (e *Engine) ZoneDepthM(i int, lat, lon float64) float64 {
	if !validLonLat(lonLat{lon, lat}) {
		return math.NaN()
	}
	z := &e.zones[i]
	switch z.shape {
	case shapeCircle:
		return z.radiusM - geodesicM(lat, lon, z.center.lat, z.center.lon)
	case shapeBand:
		d, side, margin := e.lineDistanceM(z.line, lat, lon)
		if z.side == SideNone {
			return z.bandM - d
		}
		if side != z.side {
			return -margin
		}
		return math.Min(z.bandM-d, margin)
	}
	p := pointOf(lonLat{lon, lat})
	_, ca := z.boundary.nearest(p, infChord)
	d := z.boundary.exactDistanceM(p, lat, lon, ca.Angle().Radians())
	if z.pip.contains(lat, lon) {
		return d
	}
	return -d
}

// LineLengthKm returns the geodesic length on WGS84 of line i, following its edges straight
// in lon/lat as GeoJSON draws them (the densified pieces are within 2 cm of them).
func (e *Engine) LineLengthKm(i int) float64 {
	s := &e.lines[i].segs
	total := 0.0
	for k := range s.la {
		total += geodesicM(s.la[k].lat, s.la[k].lon, s.lb[k].lat, s.lb[k].lon)
	}
	return total / 1000
}

// ZoneAreaKm2 returns the area of zone i on WGS84 in square kilometres. Polygon zones are
// measured along their densified edges (shells less holes); bands and circles by the area of
// their outline, which is within a small fraction of a percent of the exact area.
func (e *Engine) ZoneAreaKm2(i int) float64 {
	z := &e.zones[i]
	var polys [][][]lonLat
	if z.shape == shapePolygon {
		polys = z.rings
	} else {
		for _, p := range e.ZoneOutline(i) {
			var rings [][]lonLat
			for _, r := range p {
				rings = append(rings, cleanPath(r, true))
			}
			polys = append(polys, rings)
		}
	}
	total := 0.0
	for _, rings := range polys {
		for ri, r := range rings {
			a := ringAreaM2(densifyPath(r, true))
			if ri == 0 {
				total += a
			} else {
				total -= a
			}
		}
	}
	return total / 1e6
}

// ringAreaM2 is the unsigned geodesic area of a ring whose edges are short enough that
// geodesics and lon/lat-straight lines coincide.
func ringAreaM2(vs []lonLat) float64 {
	p := geodesic.WGS84.PolygonInit(false)
	for _, v := range vs {
		p.AddPoint(v.lat, v.lon)
	}
	var area float64
	// A signed result: unsigned, GeographicLib would return the rest of the Earth for a
	// ring traversed clockwise.
	p.Compute(false, true, &area, nil)
	return math.Abs(area)
}

// ZoneOutline: a polygon approximating zone i for drawing maps (bands and circles
// polygonised with vertices every few hundred metres; file zones as given).
//
// A band's outline runs along the line's offset at the band's width, computed point by point
// as the geodesic at right angles to the line, with round joins at bends and round caps at
// the ends (quarter circles for one-sided bands, whose far side beyond an end is bounded by
// the end piece extended). Where the line bends towards the offset side, offset points that
// end up nearer the line than the width belong to a fold of the offset and are dropped; the
// outline then cuts across the fold with a straight edge a few hundred metres long. Rings are
// counter-clockwise, as RFC 7946 recommends.
func (e *Engine) ZoneOutline(i int) orb.MultiPolygon {
	z := &e.zones[i]
	switch z.shape {
	case shapeCircle:
		n := int(math.Ceil(2 * math.Pi * z.radiusM / outlineStepM))
		n = max(n, 16)
		ring := make(orb.Ring, 0, n+1)
		// Clockwise azimuths trace a counter-clockwise ring on a map.
		for k := 0; k < n; k++ {
			lat, lon := direct(z.center.lat, z.center.lon, 360-360*float64(k)/float64(n), z.radiusM)
			ring = append(ring, orb.Point{lon, lat})
		}
		return orb.MultiPolygon{{append(ring, ring[0])}}
	case shapeBand:
		ring := e.bandOutline(z)
		if len(ring) < 4 {
			// Nothing of the offset survived (a band far wider than the line is long and
			// folded); there is no outline to draw.
			return nil
		}
		return orb.MultiPolygon{{ring}}
	}
	var mp orb.MultiPolygon
	for _, rings := range z.rings {
		var poly orb.Polygon
		for _, r := range rings {
			ring := make(orb.Ring, 0, len(r)+1)
			for _, v := range r {
				ring = append(ring, orb.Point{v.lon, v.lat})
			}
			poly = append(poly, append(ring, ring[0]))
		}
		mp = append(mp, poly)
	}
	return mp
}

func direct(lat, lon, az, s float64) (float64, float64) {
	var lat2, lon2 float64
	geodesic.WGS84.Direct(lat, lon, az, s, &lat2, &lon2, nil)
	return lat2, lon2
}

// azimuthOf is the azimuth (degrees) on WGS84 of the lon/lat-straight direction a→b at a.
func azimuthOf(a, b lonLat) float64 {
	phi := a.lat * math.Pi / 180
	sp, cp := math.Sincos(phi)
	m, n := radii(sp * sp)
	return math.Atan2(n*cp*(b.lon-a.lon), m*(b.lat-a.lat)) * 180 / math.Pi
}

// bandOutline builds the ring of a band, see ZoneOutline.
func (e *Engine) bandOutline(z *zoneGeom) orb.Ring {
	l := &e.lines[z.line]
	// The line's points every outlineStepM or closer, with the azimuth of the line there.
	type station struct {
		v      lonLat
		az     float64
		vertex bool // a densified vertex where the direction may change
	}
	var st []station
	for k := range l.segs.la {
		a, b := l.segs.la[k], l.segs.lb[k]
		az := azimuthOf(a, b)
		n := int(math.Ceil(geodesicM(a.lat, a.lon, b.lat, b.lon) / outlineStepM))
		n = max(n, 1)
		for j := 0; j < n; j++ {
			t := float64(j) / float64(n)
			st = append(st, station{lonLat{a.lon + t*(b.lon-a.lon), a.lat + t*(b.lat-a.lat)}, az, j == 0})
		}
		if k == len(l.segs.la)-1 {
			st = append(st, station{b, azimuthOf(b, lonLat{2*b.lon - a.lon, 2*b.lat - a.lat}), true})
		}
	}
	k := z.bandM
	// keep reports whether an offset point lies on the band's edge rather than inside it,
	// where a fold of the offset curve would put it.
	keep := func(lat, lon float64) bool {
		p := pointOf(lonLat{lon, lat})
		seg, ca := l.segs.nearest(p, infChord)
		if seg < 0 {
			return false
		}
		foot := s2.Project(p, l.segs.a[seg], l.segs.b[seg])
		est := metresAlong(p, foot, ca)
		return est >= k-0.5-estimateErrM(est)
	}
	// side walks one side of the line (sign -1 left, +1 right) from the start to the end,
	// with round joins, and returns the offset points.
	side := func(sign float64) []orb.Point {
		var out []orb.Point
		add := func(v lonLat, az float64) {
			lat, lon := direct(v.lat, v.lon, az+sign*90, k)
			if keep(lat, lon) {
				out = append(out, orb.Point{lon, lat})
			}
		}
		for j, s := range st {
			if s.vertex && j > 0 {
				// A round join from the previous direction to this one.
				prev := st[j-1].az
				turn := math.Remainder(s.az-prev, 360)
				steps := int(math.Ceil(math.Abs(turn) * math.Pi / 180 * k / outlineStepM))
				for q := 1; q < steps; q++ {
					add(s.v, prev+turn*float64(q)/float64(steps))
				}
			}
			add(s.v, s.az)
		}
		return out
	}
	// arc returns points at distance k around v from azimuth from to azimuth to (turning by
	// the signed angle turn), excluding both ends.
	arc := func(v lonLat, from, turn float64) []orb.Point {
		steps := max(int(math.Ceil(math.Abs(turn)*math.Pi/180*k/outlineStepM)), 2)
		var out []orb.Point
		for q := 1; q < steps; q++ {
			lat, lon := direct(v.lat, v.lon, from+turn*float64(q)/float64(steps), k)
			if keep(lat, lon) {
				out = append(out, orb.Point{lon, lat})
			}
		}
		return out
	}
	first, last := st[0], st[len(st)-1]
	// pt is a cap's end point; it is dropped like any other when the line bends back within
	// the band's width of it.
	pt := func(v lonLat, az, s float64) []orb.Point {
		lat, lon := direct(v.lat, v.lon, az, s)
		if keep(lat, lon) {
			return []orb.Point{{lon, lat}}
		}
		return nil
	}
	var ring orb.Ring
	switch z.side {
	case SideNone:
		// Left side forward, a half circle round the end, the right side back, a half circle
		// round the start.
		left := side(-1)
		right := side(+1)
		ring = append(ring, left...)
		ring = append(ring, pt(last.v, last.az-90, k)...)
		ring = append(ring, arc(last.v, last.az-90, 180)...)
		ring = append(ring, pt(last.v, last.az+90, k)...)
		for j := len(right) - 1; j >= 0; j-- {
			ring = append(ring, right[j])
		}
		ring = append(ring, pt(first.v, first.az+90, k)...)
		ring = append(ring, arc(first.v, first.az+90, 180)...)
		ring = append(ring, pt(first.v, first.az-90, k)...)
	case SideLeft, SideRight:
		sign := -1.0
		if z.side == SideRight {
			sign = 1
		}
		// The line forward, a quarter circle from the end piece extended to the offset, the
		// offset back, and a quarter circle from the offset to the start piece extended.
		for _, s := range st {
			ring = append(ring, orb.Point{s.v.lon, s.v.lat})
		}
		ring = append(ring, pt(last.v, last.az, k)...)
		ring = append(ring, arc(last.v, last.az, sign*90)...)
		off := side(sign)
		for j := len(off) - 1; j >= 0; j-- {
			ring = append(ring, off[j])
		}
		ring = append(ring, arc(first.v, first.az+sign*90, sign*90)...)
		ring = append(ring, pt(first.v, first.az+180, k)...)
	}
	if len(ring) == 0 {
		return nil
	}
	ring = append(ring, ring[0])
	// Make the ring counter-clockwise in lon/lat.
	if ring.Orientation() == orb.CW {
		ring.Reverse()
	}
	return ring
}
