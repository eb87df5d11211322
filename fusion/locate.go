package fusion

import (
	"errors"
	"math"
)

// SpeedOfSound is the speed, in metres a second, at which arrival times are read; the speed
// in air varies by a few per cent with temperature and wind, which Config allows for.
const SpeedOfSound = 343.0

// chi2Ellipse95 is the 95% quantile of χ² with two degrees of freedom: a 2-D Gaussian falls
// inside the ellipse of Mahalanobis radius √5.991 with probability 0.95.
const chi2Ellipse95 = 5.991

// Ellipse is a 95% error ellipse: the semi-axes in metres and the azimuth of the major axis in
// degrees clockwise from north, in [0, 180).
type Ellipse struct {
	SemiMajorM float64 `json:"semi_major_m"`
	SemiMinorM float64 `json:"semi_minor_m"`
	AzimuthDeg float64 `json:"azimuth_deg"`
}

// Fix is a located point: its position, its covariance on the local plane (east, north, in
// square metres) and the 95% error ellipse drawn from it.
type Fix struct {
	Target  Target  `json:"target"`
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
	CovEE   float64 `json:"cov_ee"`
	CovEN   float64 `json:"cov_en"`
	CovNN   float64 `json:"cov_nn"`
	Ellipse Ellipse `json:"ellipse"`
	// Bearings and Points count the measurements the fit used; Outliers names the
	// observations whose bearings it rejected.
	Bearings int      `json:"bearings"`
	Points   int      `json:"points"`
	Outliers []string `json:"outliers,omitempty"`
	// ChiSq is the weighted sum of squared residuals and Dof its degrees of freedom; Inflated
	// says the covariance was scaled up by ChiSq/Dof because the measurements disagree.
	ChiSq    float64 `json:"chi_sq"`
	Dof      int     `json:"dof"`
	Inflated bool    `json:"inflated,omitempty"`
	// Timed says arrival times took part in the fit.
	Timed bool `json:"timed,omitempty"`
	// Uncrossed says the bearings alone did not cross, ahead of the sensors, and arrival times
	// placed the point: a source nearly in line with two sensors. The ellipse of such a fix
	// comes from a linearisation far from where it holds, so it is not used to attribute.
	Uncrossed bool `json:"uncrossed,omitempty"`
}

// Errors of localisation.
var (
	errTooFew       = errors.New("too few measurements to locate: need two bearings, or a position")
	errNoCrossing   = errors.New("the bearings do not cross ahead of the sensors")
	errIllPosed     = errors.New("the bearings are parallel or the geometry is degenerate")
	errNotConverged = errors.New("the fit did not converge")
)

// locate fits a position to the measurements (all of one target), rejecting one wrong
// bearing when the rest agree without it. See the package comment for the model.
//
// tsd, when more than zero, is the standard deviation in seconds given to the arrival time of
// every bearing that states none: fusion uses it to test whether reports fit together, where
// the times are what tells a source in line with two sensors from none.
func locate(ms []measurement, tsd float64) (Fix, error) {
	f, err := fit(ms, -1, tsd)
	if err != nil {
		return f, err
	}
	if f.Dof < 1 || f.ChiSq <= chi2Quantile99(f.Dof) {
		return f, nil
	}
	// The measurements disagree. Leave each bearing out in turn; accept a removal only if the
	// rest still has a degree of freedom to confirm the agreement with.
	best, bestI := Fix{}, -1
	if f.Dof >= 2 {
		for i := range ms {
			if !ms[i].bearing {
				continue
			}
			g, err := fit(ms, i, tsd)
			if err != nil {
				continue
			}
			if bestI < 0 || g.ChiSq < best.ChiSq {
				best, bestI = g, i
			}
		}
	}
	if bestI >= 0 && best.ChiSq <= chi2Quantile99(best.Dof) {
		best.Outliers = append(best.Outliers, ms[bestI].key)
		return best, nil
	}
	scale := f.ChiSq / float64(f.Dof)
	f.CovEE, f.CovEN, f.CovNN = f.CovEE*scale, f.CovEN*scale, f.CovNN*scale
	f.Ellipse = ellipseOf(f.CovEE, f.CovEN, f.CovNN)
	f.Inflated = true
	return f, nil
}

// fit is the weighted least-squares fit of all measurements but ms[skip].
func fit(ms []measurement, skip int, tsd float64) (Fix, error) {
	// timeSD is the arrival time's standard deviation, 0 when it is not used.
	timeSD := func(m *measurement) float64 {
		if m.tsd > 0 {
			return m.tsd
		}
		return tsd
	}
	var f Fix
	ref, timed := -1, false
	nb, np, nt := 0, 0, 0
	for i := range ms {
		if i == skip {
			continue
		}
		if ref < 0 {
			ref = i
		}
		if ms[i].bearing {
			nb++
			if timeSD(&ms[i]) > 0 {
				nt++
			}
		} else {
			np++
		}
	}
	if ref < 0 || (nb < 2 && np == 0) {
		return f, errTooFew
	}
	// Arrival times fix the emission time only when at least two are timed.
	timed = nt >= 2
	pl := newPlane(ms[ref].lat, ms[ref].lon)
	tref := ms[ref].t
	k := 2
	if timed {
		k = 3
	}
	// Start from the weighted mean of the positions, else the pseudo-linear crossing of the
	// lines of bearing.
	var x [3]float64
	if np > 0 {
		var sw float64
		for i := range ms {
			if i == skip || ms[i].bearing {
				continue
			}
			w := 1 / (ms[i].sd * ms[i].sd)
			e, n := pl.xy(ms[i].lat, ms[i].lon)
			x[0] += w * e
			x[1] += w * n
			sw += w
		}
		x[0] /= sw
		x[1] /= sw
	} else {
		var a11, a12, a22, b1, b2 float64
		for i := range ms {
			if i == skip || !ms[i].bearing {
				continue
			}
			e, n := pl.xy(ms[i].lat, ms[i].lon)
			s, c := math.Sincos(ms[i].az)
			// The line through (e, n) along (s, c) has normal (c, −s).
			w := 1 / (ms[i].sd * ms[i].sd)
			a11 += w * c * c
			a12 -= w * c * s
			a22 += w * s * s
			r := c*e - s*n
			b1 += w * c * r
			b2 -= w * s * r
		}
		det := a11*a22 - a12*a12
		switch {
		case math.Abs(det) > 1e-12*(a11+a22)*(a11+a22):
			x[0] = (a22*b1 - a12*b2) / det
			x[1] = (a11*b2 - a12*b1) / det
		case !timed:
			return f, errIllPosed
		}
	}
	// withT0 sets the emission time that best fits position x: the mean of arrival minus
	// travel.
	withT0 := func(x [3]float64) [3]float64 {
		if !timed {
			return x
		}
		var s float64
		for i := range ms {
			if i == skip || !ms[i].bearing || timeSD(&ms[i]) <= 0 {
				continue
			}
			e, n := pl.xy(ms[i].lat, ms[i].lon)
			s += ms[i].t - tref - math.Hypot(x[0]-e, x[1]-n)/SpeedOfSound
		}
		x[2] = s / float64(nt)
		return x
	}
	x = withT0(x)
	var H [3][3]float64
	cost := func(x [3]float64, H *[3][3]float64, g *[3]float64) float64 {
		lat, lon := pl.latLon(x[0], x[1])
		var c float64
		for i := range ms {
			if i == skip {
				continue
			}
			m := &ms[i]
			e, n := pl.xy(m.lat, m.lon)
			if !m.bearing {
				w := 1 / (m.sd * m.sd)
				re, rn := e-x[0], n-x[1]
				c += w * (re*re + rn*rn)
				if H != nil {
					H[0][0] += w
					H[1][1] += w
					g[0] += w * re
					g[1] += w * rn
				}
				continue
			}
			de, dn := x[0]-e, x[1]-n
			d2 := de*de + dn*dn
			if d2 < 1 {
				d2 = 1
			}
			r := wrap(m.az - azimuth(m.lat, m.lon, lat, lon))
			w := 1 / (m.sd * m.sd)
			c += w * r * r
			if H != nil {
				j := [3]float64{dn / d2, -de / d2, 0}
				addOuter(H, g, j, w, r)
			}
			if sd := timeSD(m); timed && sd > 0 {
				d := math.Sqrt(d2)
				rt := m.t - tref - x[2] - d/SpeedOfSound
				wt := 1 / (sd * sd)
				c += wt * rt * rt
				if H != nil {
					j := [3]float64{de / (d * SpeedOfSound), dn / (d * SpeedOfSound), 1}
					addOuter(H, g, j, wt, rt)
				}
			}
		}
		return c
	}
	if np == 0 {
		// Lines of bearing that nearly agree in direction (a source in line with two sensors)
		// cross behind the sensors or far away, where the fit would start on the wrong side.
		// Try starts along each line of bearing too, and keep the cheapest.
		best := cost(x, nil, nil)
		if math.IsNaN(best) {
			best = math.Inf(1)
		}
		for i := range ms {
			if i == skip || !ms[i].bearing {
				continue
			}
			e, n := pl.xy(ms[i].lat, ms[i].lon)
			s, c := math.Sincos(ms[i].az)
			for _, r := range startRangesM {
				y := withT0([3]float64{e + r*s, n + r*c})
				if cy := cost(y, nil, nil); cy < best {
					best, x = cy, y
				}
			}
		}
	}
	converged := false
	var c float64
	for it := 0; it < 30; it++ {
		H = [3][3]float64{}
		var g [3]float64
		c = cost(x, &H, &g)
		dx, ok := solveSym(H, g, k)
		if !ok {
			return f, errIllPosed
		}
		// Halve the step until the cost does not grow: far from the solution the
		// linearisation of an angle can overshoot.
		step := 1.0
		var nx [3]float64
		for try := 0; try < 20; try++ {
			for i := range k {
				nx[i] = x[i] + step*dx[i]
			}
			if cost(nx, nil, nil) <= c*(1+1e-12)+1e-12 {
				break
			}
			step /= 2
		}
		x = nx
		if math.Hypot(step*dx[0], step*dx[1]) < 0.01 {
			converged = true
			break
		}
	}
	if !converged {
		return f, errNotConverged
	}
	H = [3][3]float64{}
	var g [3]float64
	c = cost(x, &H, &g)
	inv, ok := invertSym(H, k)
	if !ok {
		return f, errIllPosed
	}
	lat, lon := pl.latLon(x[0], x[1])
	for i := range ms {
		if i == skip || !ms[i].bearing {
			continue
		}
		if math.Abs(wrap(ms[i].az-azimuth(ms[i].lat, ms[i].lon, lat, lon))) > math.Pi/2 {
			return f, errNoCrossing
		}
	}
	target := ms[ref].target
	for i := range ms {
		if i != skip && ms[i].bearing {
			target = ms[i].target
			break
		}
	}
	f = Fix{Target: target, Lat: lat, Lon: lon, CovEE: inv[0][0], CovEN: inv[0][1], CovNN: inv[1][1],
		Bearings: nb, Points: np, ChiSq: c, Dof: nb + 2*np + nt - k, Timed: timed}
	if !timed {
		f.Dof = nb + 2*np - k
	}
	f.Ellipse = ellipseOf(f.CovEE, f.CovEN, f.CovNN)
	return f, nil
}

func addOuter(H *[3][3]float64, g *[3]float64, j [3]float64, w, r float64) {
	for a := range 3 {
		g[a] += w * j[a] * r
		for b := range 3 {
			H[a][b] += w * j[a] * j[b]
		}
	}
}

// solveSym solves the k×k (2 or 3) symmetric system H x = g.
func solveSym(H [3][3]float64, g [3]float64, k int) ([3]float64, bool) {
	inv, ok := invertSym(H, k)
	var x [3]float64
	if !ok {
		return x, false
	}
	for a := range k {
		for b := range k {
			x[a] += inv[a][b] * g[b]
		}
	}
	return x, true
}

// invertSym inverts the leading k×k block (k is 2 or 3) of a symmetric positive definite
// matrix by cofactors.
func invertSym(H [3][3]float64, k int) ([3][3]float64, bool) {
	var inv [3][3]float64
	if k == 2 {
		det := H[0][0]*H[1][1] - H[0][1]*H[1][0]
		if !(det > 1e-18*(H[0][0]*H[1][1])) || H[0][0] <= 0 {
			return inv, false
		}
		inv[0][0], inv[1][1] = H[1][1]/det, H[0][0]/det
		inv[0][1], inv[1][0] = -H[0][1]/det, -H[1][0]/det
		return inv, true
	}
	c00 := H[1][1]*H[2][2] - H[1][2]*H[2][1]
	c01 := H[1][2]*H[2][0] - H[1][0]*H[2][2]
	c02 := H[1][0]*H[2][1] - H[1][1]*H[2][0]
	det := H[0][0]*c00 + H[0][1]*c01 + H[0][2]*c02
	if !(det > 0) {
		return inv, false
	}
	inv[0][0] = c00 / det
	inv[1][0] = c01 / det
	inv[2][0] = c02 / det
	inv[0][1] = (H[0][2]*H[2][1] - H[0][1]*H[2][2]) / det
	inv[1][1] = (H[0][0]*H[2][2] - H[0][2]*H[2][0]) / det
	inv[2][1] = (H[0][1]*H[2][0] - H[0][0]*H[2][1]) / det
	inv[0][2] = (H[0][1]*H[1][2] - H[0][2]*H[1][1]) / det
	inv[1][2] = (H[0][2]*H[1][0] - H[0][0]*H[1][2]) / det
	inv[2][2] = (H[0][0]*H[1][1] - H[0][1]*H[1][0]) / det
	return inv, true
}

// ellipseOf draws the 95% ellipse of a covariance on the east–north plane.
func ellipseOf(ee, en, nn float64) Ellipse {
	mid := (ee + nn) / 2
	rad := math.Hypot((ee-nn)/2, en)
	l1, l2 := mid+rad, math.Max(mid-rad, 0)
	// The major axis makes angle θ with east, anticlockwise; its azimuth is 90° − θ.
	theta := 0.5 * math.Atan2(2*en, ee-nn)
	az := math.Mod(90-theta/deg+360, 180)
	return Ellipse{SemiMajorM: math.Sqrt(chi2Ellipse95 * l1), SemiMinorM: math.Sqrt(chi2Ellipse95 * l2), AzimuthDeg: az}
}

// startRangesM are the ranges along each line of bearing at which a fit may start.
var startRangesM = [...]float64{1000, 3000, 7000, 15000}

// chi2Quantile99 is the 99% quantile of χ² with dof degrees of freedom: exact to three
// figures from a table up to 10, Wilson and Hilferty's approximation beyond.
func chi2Quantile99(dof int) float64 {
	table := [...]float64{0, 6.635, 9.210, 11.345, 13.277, 15.086, 16.812, 18.475, 20.090, 21.666, 23.209}
	if dof < len(table) {
		return table[max(dof, 1)]
	}
	v := float64(dof)
	h := 2 / (9 * v)
	z := 1 - h + 2.3263*math.Sqrt(h)
	return v * z * z * z
}
