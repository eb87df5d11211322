package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/golang/geo/s1"
	"github.com/tidwall/geodesic"
)

// TestEstimateErrorBound checks that the fast distance estimate Locate uses stays within a
// third of estimateErrM of the exact geodesic distance, for points from a few metres to 600 km
// from real lines. Decisions rely on the bound: any threshold closer to the estimate than the
// bound is settled with the exact distance, so an estimate outside it could flip a decision.
func TestEstimateErrorBound(t *testing.T) {
	e := mustEngine(t, notionalAgreement(t))
	loc := e.NewLocation()
	r := rand.New(rand.NewPCG(7, 8))
	for li, l := range e.lines[:2] {
		worst, worstD := 0.0, 0.0
		for k := 0; k < 3000; k++ {
			// A point at a chosen distance, in a random direction, from a random vertex.
			v := l.path[r.IntN(len(l.path))]
			s := math.Exp(r.Float64() * math.Log(600e3))
			var lat, lon float64
			geodesic.WGS84.Direct(v.lat, v.lon, r.Float64()*360-180, s, &lat, &lon, nil)
			// A large reach forces the full search so that the estimate is what is tested.
			e.lines[li].reachM = 1e7
			e.Locate(lat, lon, 0, loc)
			est := loc.near[li].estM
			exact := e.exactLineM(li, pointOf(lonLat{lon, lat}), loc)
			ratio := math.Abs(est-exact) / estimateErrM(est)
			if ratio > worst {
				worst, worstD = ratio, exact
			}
		}
		t.Logf("line %s: worst |estimate-exact| / bound = %.3f (at %.0f m)", l.id, worst, worstD)
		if worst > 1.0/3 {
			t.Errorf("line %s: estimate error reaches %.2f of its bound at %.0f m, want at most 1/3", l.id, worst, worstD)
		}
	}
}

// TestConformalSeries checks the series pointOf and scaleAt use for conformal latitude, both
// ways, against the closed form, over every latitude.
func TestConformalSeries(t *testing.T) {
	worstFwd, worstInv := 0.0, 0.0
	for i := 0; i <= 18000; i++ {
		phi := (float64(i)/100 - 90) * math.Pi / 180
		chi := conformalLat(phi)
		sc, cc := conformalSinCos(math.Sincos(phi))
		worstFwd = math.Max(worstFwd, math.Abs(math.Atan2(sc, cc)-chi))
		sp, cp := geodeticSinCos(math.Sincos(chi))
		worstInv = math.Max(worstInv, math.Abs(math.Atan2(sp, cp)-phi))
	}
	t.Logf("largest error: forward %.2g rad, inverse %.2g rad", worstFwd, worstInv)
	if worstFwd > 5e-12 || worstInv > 5e-12 {
		t.Errorf("series error: forward %.2g rad, inverse %.2g rad, want at most 5e-12 (32 µm)", worstFwd, worstInv)
	}
}

// TestFarPointsAgreeWithFullLine checks the contract for points placed against the simplified
// line: beyond every distance the agreement measures, DistanceM is within coarseTolM (plus the
// estimate's bound) of the exact distance to the full line, and the side is the full line's.
// The coastline has no zone, so all but the nearest points take that path.
func TestFarPointsAgreeWithFullLine(t *testing.T) {
	e := mustEngine(t, notionalAgreement(t))
	loc := e.NewLocation()
	r := rand.New(rand.NewPCG(11, 12))
	const coast = 2
	l := &e.lines[coast]
	worst, sides := 0.0, 0
	for k := 0; k < 2000; k++ {
		v := l.path[r.IntN(len(l.path))]
		s := math.Exp(math.Log(1) + r.Float64()*(math.Log(300e3)-math.Log(1)))
		var lat, lon float64
		geodesic.WGS84.Direct(v.lat, v.lon, r.Float64()*360-180, s, &lat, &lon, nil)
		e.Locate(lat, lon, 0, loc)
		st := loc.Lines[coast]
		d, side, _ := e.lineDistanceM(coast, lat, lon)
		diff := math.Abs(st.DistanceM - d)
		worst = math.Max(worst, diff)
		if diff > coarseTolM+coarseArcTolM+estimateErrM(d) {
			t.Errorf("[%.6f, %.6f] %.0f m from the coast: DistanceM %.2f, exact %.2f", lon, lat, d, st.DistanceM, d)
		}
		if st.Side != side {
			sides++
			t.Errorf("[%.6f, %.6f] %.0f m from the coast: side %v, full line says %v", lon, lat, d, st.Side, side)
		}
	}
	t.Logf("largest difference from the full line's exact distance: %.2f m; %d sides differ", worst, sides)
}

func TestChordRadiansMatchesAsin(t *testing.T) {
	for _, a := range []float64{0, 1e-12, 1e-9, 1e-6, 1e-4, 0.001, 0.01, 0.05, 0.0999, 0.1, 0.5, 1, 3} {
		ca := s1.ChordAngleFromAngle(s1.Angle(a))
		got, want := chordRadians(ca), ca.Angle().Radians()
		if math.Abs(got-want) > 1e-15*math.Max(1, want) {
			t.Errorf("angle %g: chordRadians %.17g, asin gives %.17g", a, got, want)
		}
	}
}

func TestScaleTable(t *testing.T) {
	worst := 0.0
	for i := 0; i <= 1000000; i++ {
		z := -1 + 2*float64(i)/1000000
		worst = math.Max(worst, math.Abs(scaleFast(z)/scaleAt(z)-1))
	}
	t.Logf("largest relative error of the interpolated scale: %.2g", worst)
	if worst > 5e-9 {
		t.Errorf("interpolated scale is off by %.2g relative, want at most 5e-9", worst)
	}
}
