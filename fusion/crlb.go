package fusion

import "math"

// Sensor is a reporter of bearings: where it stands and the standard deviation of its
// bearings in degrees.
type Sensor struct {
	Lat, Lon float64
	SDDeg    float64
}

// CramerRaoBound is the smallest root-mean-square position error, in metres, that any
// unbiased estimator can reach from one bearing per sensor on a source at lat, lon: the square
// root of the trace of the inverse Fisher information J = Σ u_i u_iᵀ / (σ_i² d_i²), with u_i
// the unit vector across sensor i's line of sight and d_i its range. It reports false when the
// geometry cannot locate the source (fewer than two sensors, or all in line with it).
func CramerRaoBound(lat, lon float64, sensors []Sensor) (float64, bool) {
	pl := newPlane(lat, lon)
	var j11, j12, j22 float64
	for _, s := range sensors {
		e, n := pl.xy(s.Lat, s.Lon)
		de, dn := -e, -n // from the sensor to the source
		d2 := de*de + dn*dn
		if d2 < 1 || s.SDDeg <= 0 {
			continue
		}
		sd := s.SDDeg * deg
		w := 1 / (sd * sd * d2 * d2) // (u/d)(u/d)ᵀ/σ² with u·d = (dn, −de)
		j11 += w * dn * dn
		j12 -= w * dn * de
		j22 += w * de * de
	}
	det := j11*j22 - j12*j12
	if !(det > 1e-12*(j11+j22)*(j11+j22)) {
		return 0, false
	}
	return math.Sqrt((j11 + j22) / det), true
}
