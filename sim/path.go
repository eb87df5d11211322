package sim

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"
)

// path is a polyline that movers follow and samplers draw from, addressed by the distance
// along it in metres. Between vertices it is straight in longitude and latitude, as GeoJSON
// edges are and as the geo engine reads them, so a point at distance s lies on the line the
// agreement drew rather than on a great circle that strays from it on long edges.
type path struct {
	lat, lon []float64
	cum      []float64 // cum[i] is the distance in metres from the start to vertex i
	azi      []float64 // azi[i] is the initial azimuth of the edge from vertex i to i+1
}

func newPath(ls orb.LineString) path {
	var p path
	for _, pt := range ls {
		if n := len(p.lat); n > 0 && p.lat[n-1] == pt[1] && p.lon[n-1] == pt[0] {
			continue
		}
		p.lat = append(p.lat, pt[1])
		p.lon = append(p.lon, pt[0])
	}
	p.cum = make([]float64, len(p.lat))
	p.azi = make([]float64, len(p.lat))
	for i := 1; i < len(p.lat); i++ {
		d, azi := inverse(p.lat[i-1], p.lon[i-1], p.lat[i], p.lon[i])
		p.cum[i] = p.cum[i-1] + d
		p.azi[i-1] = azi
	}
	return p
}

// length is the length of the path in metres.
func (p *path) length() float64 {
	if len(p.cum) == 0 {
		return 0
	}
	return p.cum[len(p.cum)-1]
}

// at returns the point at distance s along the path (clamped to its ends) and the azimuth of
// the path there in degrees clockwise from north.
func (p *path) at(s float64) (lat, lon, azi float64) {
	n := len(p.lat)
	if n == 1 {
		return p.lat[0], p.lon[0], 0
	}
	s = math.Max(0, math.Min(s, p.length()))
	// Binary search for the edge holding s; paths have at most a few thousand vertices.
	lo, hi := 0, n-1
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if p.cum[mid] <= s {
			lo = mid
		} else {
			hi = mid
		}
	}
	f := 0.0
	if edge := p.cum[hi] - p.cum[lo]; edge > 0 {
		f = (s - p.cum[lo]) / edge
	}
	lat = p.lat[lo] + f*(p.lat[hi]-p.lat[lo])
	lon = p.lon[lo] + f*(p.lon[hi]-p.lon[lo])
	return lat, lon, p.azi[lo]
}

// offset returns the point leftM metres to the left of a traveller at lat, lon heading azi
// (to the right when leftM is negative).
func offset(lat, lon, azi, leftM float64) (float64, float64) {
	if leftM >= 0 {
		return destination(lat, lon, azi-90, leftM)
	}
	return destination(lat, lon, azi+90, -leftM)
}

// destination is the point m metres from lat, lon along the geodesic of initial azimuth azi.
func destination(lat, lon, azi, m float64) (float64, float64) {
	var lat2, lon2 float64
	geodesic.WGS84.Direct(lat, lon, azi, m, &lat2, &lon2, nil)
	return lat2, lon2
}

// inverse is the geodesic distance in metres from the first point to the second and the
// initial azimuth in degrees, in [0, 360).
func inverse(lat1, lon1, lat2, lon2 float64) (m, azi float64) {
	geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2, &m, &azi, nil)
	return m, normDeg(azi)
}

// normDeg maps an angle in degrees to [0, 360).
func normDeg(a float64) float64 {
	a = math.Mod(a, 360)
	if a < 0 {
		a += 360
	}
	if a >= 360 { // -tiny + 360 rounds to 360
		a = 0
	}
	return a
}

// round6 rounds degrees to 6 decimals (about 0.1 m), the precision positions are written
// with, so that what the generator judges is exactly what a reader of its output gets.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// round1 rounds to one decimal.
func round1(x float64) float64 { return math.Round(x*10) / 10 }
