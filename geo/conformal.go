package geo

import (
	"math"

	"github.com/golang/geo/r3"
	"github.com/golang/geo/s2"
)

// The engine works on a unit sphere onto which the WGS84 ellipsoid is mapped conformally:
// longitude is kept and geodetic latitude φ becomes conformal latitude χ. A conformal map
// scales lengths equally in every direction, by k(φ) = N(φ)cosφ / cosχ metres per radian, and
// k changes slowly (by a few parts in ten thousand per 100 km). So the piece of a line that
// is nearest on the sphere is the nearest on the ellipsoid too, up to an error of second
// order, and a spherical angle θ times k at the arc's midpoint is the geodesic length to
// second order. Mapping geodetic latitude straight onto the sphere would not do: its metric
// is stretched east-west by N/M, up to 0.67%, so the spherically nearest piece can be the
// wrong one by that fraction of the distance.
//
// The map is a homeomorphism that keeps the order of latitudes, so containment and sides are
// the same on the sphere as on the ellipsoid; only the densification tolerance (how far an arc
// may stray from the lon/lat-straight edge) is measured on the sphere.

var wgs84E = math.Sqrt(wgs84E2)

// conformalLat returns χ (radians) for geodetic latitude φ (radians).
func conformalLat(phi float64) float64 {
	s := math.Sin(phi)
	return math.Asin(math.Tanh(math.Atanh(s) - wgs84E*math.Atanh(wgs84E*s)))
}

// Coefficients of the series for φ - χ in sin 2χ, sin 4χ, sin 6χ, sin 8χ (Snyder, Map
// Projections: A Working Manual, eq. 3-5). TestConformalSeries checks them against
// conformalLat to 5e-12 radians (30 µm).
var (
	e2, e4, e6, e8 = wgs84E2, wgs84E2 * wgs84E2, wgs84E2 * wgs84E2 * wgs84E2, wgs84E2 * wgs84E2 * wgs84E2 * wgs84E2
	invC2          = e2/2 + 5*e4/24 + e6/12 + 13*e8/360
	invC4          = 7*e4/48 + 29*e6/240 + 811*e8/11520
	invC6          = 7*e6/120 + 81*e8/1120
	invC8          = 4279 * e8 / 161280
)

// geodeticSinCos returns sin φ and cos φ for the conformal latitude whose sine and cosine are
// sc and cc, without calling any trigonometric function: φ = χ + δ with δ the series above.
func geodeticSinCos(sc, cc float64) (sp, cp float64) {
	s2x, c2x := 2*sc*cc, 1-2*sc*sc
	s4x, c4x := 2*s2x*c2x, 1-2*s2x*s2x
	s6x := s4x*c2x + c4x*s2x
	s8x := 2 * s4x * c4x
	d := invC2*s2x + invC4*s4x + invC6*s6x + invC8*s8x
	sd, cd := d-d*d*d/6, 1-d*d/2+d*d*d*d/24
	return sc*cd + cc*sd, cc*cd - sc*sd
}

// scaleAt returns k, the metres per radian of the conformal sphere, at the point of the
// sphere whose z coordinate (sine of the conformal latitude) is z.
func scaleAt(z float64) float64 {
	cc := math.Sqrt(math.Max(0, 1-z*z))
	if cc < 1e-9 {
		return kPole
	}
	sp, cp := geodeticSinCos(z, cc)
	_, n := radii(sp * sp)
	return n * cp / cc
}

// scaleTableN is the number of intervals of scaleTable.
const scaleTableN = 1024

// scaleTable holds k at z = -1 + 2i/scaleTableN. k is smooth in z and varies by 0.3% over
// the whole range, so linear interpolation between the entries is within 5e-9 of k (5 mm in
// 1,000 km, far inside estimateErrM); TestScaleTable checks it. The table is 8 KB, small
// enough to stay in cache on the hot path.
var scaleTable = func() (t [scaleTableN + 1]float64) {
	for i := range t {
		t[i] = scaleAt(-1 + 2*float64(i)/scaleTableN)
	}
	return t
}()

// scaleFast is scaleAt by interpolation in scaleTable, for the hot path.
func scaleFast(z float64) float64 {
	x := (z + 1) * (scaleTableN / 2)
	if !(x >= 0) {
		x = 0
	}
	i := int(x)
	if i >= scaleTableN {
		return scaleTable[scaleTableN]
	}
	f := x - float64(i)
	return scaleTable[i] + f*(scaleTable[i+1]-scaleTable[i])
}

// kPole is the scale at the poles, the limit of N cosφ / cosχ: near a pole cosχ tends to
// cosφ·((1+e)/(1-e))^(e/2) and N to a/√(1-e²).
var kPole = wgs84A / math.Sqrt(1-wgs84E2) * math.Pow((1-wgs84E)/(1+wgs84E), wgs84E/2)

// kMin and kMax bound the scale over the whole ellipsoid; any path on the ellipsoid is at
// least kMin and at most kMax times as long as its image on the unit sphere.
var kMin, kMax = func() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for i := 0; i <= 18000; i++ {
		phi := (float64(i)/100 - 90) * math.Pi / 180
		k := scaleAt(math.Sin(conformalLat(phi)))
		lo, hi = math.Min(lo, k), math.Max(hi, k)
	}
	return lo * (1 - 1e-9), hi * (1 + 1e-9)
}()

// Coefficients of the series for χ - φ in sin 2φ, sin 4φ, sin 6φ, sin 8φ (the forward
// counterpart of the series above). pointOf uses it because it needs only sin φ and cos φ;
// TestConformalSeries checks it against conformalLat.
var (
	fwdC2 = -(e2/2 + 5*e4/24 + 3*e6/32 + 281*e8/5760)
	fwdC4 = 5*e4/48 + 7*e6/80 + 697*e8/11520
	fwdC6 = -(13*e6/480 + 461*e8/13440)
	fwdC8 = 1237 * e8 / 161280
)

// conformalSinCos returns sin χ and cos χ for the geodetic latitude whose sine and cosine
// are sp and cp: χ = φ + δ with δ the forward series.
func conformalSinCos(sp, cp float64) (sc, cc float64) {
	s2x, c2x := 2*sp*cp, 1-2*sp*sp
	s4x, c4x := 2*s2x*c2x, 1-2*s2x*s2x
	s6x := s4x*c2x + c4x*s2x
	s8x := 2 * s4x * c4x
	d := fwdC2*s2x + fwdC4*s4x + fwdC6*s6x + fwdC8*s8x
	sd, cd := d-d*d*d/6, 1-d*d/2+d*d*d*d/24
	return sp*cd + cp*sd, cp*cd - sp*sd
}

// pointOf maps a lon/lat in degrees onto the conformal unit sphere.
func pointOf(v lonLat) s2.Point {
	sp, cp := math.Sincos(v.lat * math.Pi / 180)
	sc, cc := conformalSinCos(sp, cp)
	sl, cl := math.Sincos(v.lon * math.Pi / 180)
	return s2.Point{Vector: r3.Vector{X: cc * cl, Y: cc * sl, Z: sc}}
}
