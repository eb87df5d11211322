package geo

import (
	"math"

	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"
	"github.com/tidwall/geodesic"
)

// WGS84 constants.
const (
	wgs84A  = 6378137.0
	wgs84F  = 1 / 298.257223563
	wgs84E2 = wgs84F * (2 - wgs84F)
)

// radii returns the meridional radius of curvature M and the prime-vertical radius N at a
// latitude whose sine squared is s2lat.
func radii(s2lat float64) (m, n float64) {
	w := 1 - wgs84E2*s2lat
	sw := math.Sqrt(w)
	return wgs84A * (1 - wgs84E2) / (w * sw), wgs84A / sw
}

// metresAlong estimates the geodesic length on WGS84 of the arc of the conformal sphere from p
// to q, whose chord angle is ca: the arc's angle times the scale k at its midpoint. Because
// the map is conformal and k changes slowly, the midpoint rule leaves an error of second order
// in the length; TestEstimateErrorBound measures it against Karney's geodesic and estimateErrM
// bounds it with a safety margin.
func metresAlong(p, q s2.Point, ca s1.ChordAngle) float64 {
	if ca <= 0 {
		return 0
	}
	theta := chordRadians(ca)
	mx, my, mz := p.X+q.X, p.Y+q.Y, p.Z+q.Z
	mn := math.Sqrt(mx*mx + my*my + mz*mz)
	if mn == 0 {
		return theta * kMax
	}
	return theta * scaleFast(mz/mn)
}

// chordRadians is the angle of a chord angle (squared chord length c): 2·asin(√c/2). For the
// distances a mission works at, √c/2 is small and the Taylor series of asin to the 9th power
// is exact to double precision (the next term is below 1e-16 of the result for chords under
// 0.1, about 640 km); beyond that it calls math.Asin.
func chordRadians(ca s1.ChordAngle) float64 {
	c := float64(ca)
	if !(c < 0.01) {
		return ca.Angle().Radians()
	}
	y := math.Sqrt(c) / 2
	y2 := y * y
	return 2 * y * (1 + y2*(1.0/6+y2*(3.0/40+y2*(5.0/112+y2*(35.0/1152)))))
}

// estimateErrM bounds the error of metresAlong (and of taking the spherical foot point as the
// nearest one) for a distance of about dM metres. TestEstimateErrorBound checks it with a
// factor of at least three to spare. Decisions whose threshold lies within this bound of the
// estimate are settled with Karney's geodesic instead.
func estimateErrM(dM float64) float64 {
	return 4*densifyTolM + 2e-6*dM + 5e-12*dM*dM
}

// geodesicM returns the WGS84 geodesic distance between two points (degrees).
func geodesicM(lat1, lon1, lat2, lon2 float64) float64 {
	var s float64
	geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2, &s, nil, nil)
	return s
}

// pieceDistanceM returns the WGS84 geodesic distance from (lat, lon) to the nearest point of
// the lon/lat-straight piece a→b. The piece is parametrised as GeoJSON draws it, X(t) =
// a + t(b-a) in degrees; the iteration moves t by the along-piece component of the geodesic
// from the point to X(t), which is Newton's step for the foot of the perpendicular. Pieces are
// short (see maxPieceDeg), so the distance is unimodal in t and the step converges in a few
// rounds; t stays clamped to [0, 1].
func pieceDistanceM(lat, lon float64, a, b lonLat, t0 float64) float64 {
	dlat, dlon := b.lat-a.lat, b.lon-a.lon
	t := math.Max(0, math.Min(1, t0))
	var s, azi1, azi2 float64
	for iter := 0; iter < 40; iter++ {
		xlat, xlon := a.lat+t*dlat, a.lon+t*dlon
		geodesic.WGS84.Inverse(lat, lon, xlat, xlon, &s, &azi1, &azi2)
		if s < 1e-4 {
			return s
		}
		phi := xlat * math.Pi / 180
		sp, cp := math.Sincos(phi)
		m, n := radii(sp * sp)
		e := n * cp * dlon * math.Pi / 180 // metres east per unit t
		no := m * dlat * math.Pi / 180     // metres north per unit t
		l2 := e*e + no*no
		if l2 == 0 {
			return s
		}
		sa, ca := math.Sincos(azi2 * math.Pi / 180)
		// The geodesic arrives at X heading azi2; its component along the piece is how far X
		// lies past the foot of the perpendicular.
		along := s * (sa*e + ca*no)
		tn := math.Max(0, math.Min(1, t-along/l2))
		if math.Abs(tn-t)*math.Sqrt(l2) < 1e-5 {
			t = tn
			break
		}
		t = tn
	}
	geodesic.WGS84.Inverse(lat, lon, a.lat+t*dlat, a.lon+t*dlon, &s, nil, nil)
	return s
}

// pieceParam returns where on the piece a→b the spherical foot of p lies, as a fraction, to
// start pieceDistanceM close to the answer.
func pieceParam(p, a, b s2.Point) float64 {
	d := b.Sub(a.Vector)
	l2 := d.Norm2()
	if l2 == 0 {
		return 0
	}
	return p.Sub(a.Vector).Dot(d) / l2
}

// exactDistanceM returns the WGS84 geodesic distance from the point to the nearest piece of
// t, given the spherical distance thetaMin (radians) to the nearest piece. Only pieces within
// kMax/kMin of that angle (plus the densification tolerance) can be nearest on the ellipsoid,
// so only those are refined.
func (t *segIndex) exactDistanceM(p s2.Point, lat, lon, thetaMin float64) float64 {
	lim := thetaMin*(kMax/kMin) + 4*densifyTolM/kMin + 1e-12
	if lim > math.Pi {
		lim = math.Pi
	}
	return t.minExact(p, s1.ChordAngleFromAngle(s1.Angle(lim)), 4*densifyTolM, func(i int) float64 {
		return pieceDistanceM(lat, lon, t.la[i], t.lb[i], pieceParam(p, t.a[i], t.b[i]))
	})
}
