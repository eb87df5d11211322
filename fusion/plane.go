package fusion

import "math"

// WGS84 ellipsoid.
const (
	wgs84A  = 6378137.0
	wgs84E2 = 6.69437999014e-3
	deg     = math.Pi / 180
)

// plane is a local tangent plane at a reference point: east and north in metres. Over the tens
// of kilometres an acoustic sensor hears, its scale is right to a few parts in ten thousand;
// it parametrises positions while the fits measure angles on the ellipsoid itself.
type plane struct {
	lat0, lon0 float64
	kE, kN     float64 // metres per degree of longitude and of latitude at the reference
}

func newPlane(lat, lon float64) plane {
	s := math.Sin(lat * deg)
	w := math.Sqrt(1 - wgs84E2*s*s)
	n := wgs84A / w                           // prime vertical radius
	m := wgs84A * (1 - wgs84E2) / (w * w * w) // meridian radius
	// Within a metre of a pole a degree of longitude is kept at a millimetre, not zero.
	return plane{lat0: lat, lon0: lon, kE: math.Max(n*math.Cos(lat*deg)*deg, 1e-3), kN: m * deg}
}

// xy maps lat, lon to east and north metres.
func (p plane) xy(lat, lon float64) (e, n float64) {
	dl := lon - p.lon0
	if dl > 180 {
		dl -= 360
	} else if dl < -180 {
		dl += 360
	}
	return dl * p.kE, (lat - p.lat0) * p.kN
}

// latLon maps east and north metres back to lat, lon.
func (p plane) latLon(e, n float64) (lat, lon float64) {
	lat = p.lat0 + n/p.kN
	lon = p.lon0 + e/p.kE
	if lon > 180 {
		lon -= 360
	} else if lon < -180 {
		lon += 360
	}
	return lat, lon
}

// azimuth is the initial azimuth in radians, clockwise from true north, of the geodesic from
// (lat1, lon1) to (lat2, lon2) on WGS84, by Gauss's mid-latitude formulae: the azimuth at the
// midpoint from the ellipsoid's radii of curvature there, less half the convergence of the
// meridians between the ends. Over tens of kilometres it is within a few thousandths of a
// degree of the exact geodesic (TestAzimuthAgreesWithGeodesic), far inside the best sensor's
// noise, at a fraction of the cost.
func azimuth(lat1, lon1, lat2, lon2 float64) float64 {
	pm := (lat1 + lat2) / 2 * deg
	dl := lon2 - lon1
	if dl > 180 {
		dl -= 360
	} else if dl < -180 {
		dl += 360
	}
	dl *= deg
	s, c := math.Sincos(pm)
	w2 := 1 - wgs84E2*s*s
	// N/M = w²/(1 − e²): only the ratio of the radii matters for the direction.
	mid := math.Atan2(dl*c*w2/(1-wgs84E2), (lat2-lat1)*deg)
	return mid - dl*s/2
}

// wrap maps an angle in radians to (−π, π].
func wrap(a float64) float64 {
	a = math.Mod(a, 2*math.Pi)
	if a > math.Pi {
		a -= 2 * math.Pi
	} else if a <= -math.Pi {
		a += 2 * math.Pi
	}
	return a
}
