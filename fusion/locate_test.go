package fusion

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tidwall/geodesic"
)

// Sensors around a source near the notional line of contact, at ranges an acoustic array
// hears.
const srcLat, srcLon = 47.9, 37.2

func destination(lat, lon, az, m float64) (float64, float64) {
	var lat2, lon2 float64
	geodesic.WGS84.Direct(lat, lon, az, m, &lat2, &lon2, nil)
	return lat2, lon2
}

func inverse(lat1, lon1, lat2, lon2 float64) (m, az float64) {
	geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2, &m, &az, nil)
	return m, az
}

// sensorsAround places n sensors at the given azimuths (seen from the source) and ranges.
func sensorsAround(azs, ranges []float64) []Sensor {
	var out []Sensor
	for i, az := range azs {
		lat, lon := destination(srcLat, srcLon, az, ranges[i%len(ranges)])
		out = append(out, Sensor{Lat: lat, Lon: lon, SDDeg: 3})
	}
	return out
}

// bearings is what the sensors report of a source at lat, lon, with Gaussian noise from rng
// (none when rng is nil).
func bearings(sensors []Sensor, lat, lon float64, rng *rand.Rand) []measurement {
	var ms []measurement
	for i, s := range sensors {
		d, az := inverse(s.Lat, s.Lon, lat, lon)
		if rng != nil {
			az += rng.NormFloat64() * s.SDDeg
		}
		ms = append(ms, measurement{key: string(rune('a' + i)), bearing: true, lat: s.Lat, lon: s.Lon,
			az: wrap(az * deg), sd: s.SDDeg * deg, t: 1e9 + d/SpeedOfSound, target: TargetOrigin})
	}
	return ms
}

func TestAzimuthAgreesWithGeodesic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	for range 2000 {
		lat, lon := 44+rng.Float64()*8, 30+rng.Float64()*10
		lat2, lon2 := destination(lat, lon, rng.Float64()*360, 500+rng.Float64()*30000)
		_, want := inverse(lat, lon, lat2, lon2)
		got := azimuth(lat, lon, lat2, lon2) / deg
		worst = math.Max(worst, math.Abs(wrap((got-want)*deg)/deg))
	}
	if worst > 0.01 {
		t.Errorf("spherical azimuth differs from the geodesic by up to %.4f°; want under 0.01°", worst)
	}
}

func TestExactBearingsLocateTheSource(t *testing.T) {
	tests := []struct {
		name   string
		azs    []float64
		ranges []float64
	}{
		{"two sensors at right angles", []float64{0, 90}, []float64{10000}},
		{"three sensors on one side", []float64{200, 240, 280}, []float64{8000, 15000, 22000}},
		{"five sensors around", []float64{10, 80, 150, 220, 300}, []float64{5000, 25000}},
		{"two sensors nearly in line", []float64{170, 190}, []float64{20000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := locate(bearings(sensorsAround(tt.azs, tt.ranges), srcLat, srcLon, nil), 0)
			if err != nil {
				t.Fatal(err)
			}
			if d := distanceM(f.Lat, f.Lon, srcLat, srcLon); d > 1 {
				t.Errorf("located %.1f m from the source; want under 1 m", d)
			}
			if f.Bearings != len(tt.azs) || f.Outliers != nil || f.Inflated {
				t.Errorf("fix %+v: want every bearing used, none rejected", f)
			}
		})
	}
}

// The 95% ellipse must hold the source in about 95% of trials, and the spread of the
// fixes must be what the covariance says (the Cramér–Rao bound for these sensors).
func TestEllipseHoldsTheSourceNinetyFivePercentOfTheTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sensors := sensorsAround([]float64{190, 250, 320}, []float64{6000, 12000, 9000})
	bound, ok := CramerRaoBound(srcLat, srcLon, sensors)
	if !ok {
		t.Fatal("no bound")
	}
	const trials = 3000
	inside, sq := 0, 0.0
	for range trials {
		f, err := locate(bearings(sensors, srcLat, srcLon, rng), 0)
		if err != nil {
			t.Fatal(err)
		}
		pl := newPlane(f.Lat, f.Lon)
		e, n := pl.xy(srcLat, srcLon)
		det := f.CovEE*f.CovNN - f.CovEN*f.CovEN
		m2 := (f.CovNN*e*e - 2*f.CovEN*e*n + f.CovEE*n*n) / det
		if m2 <= chi2Ellipse95 {
			inside++
		}
		sq += e*e + n*n
	}
	share := float64(inside) / trials
	if share < 0.93 || share > 0.97 {
		t.Errorf("the 95%% ellipse held the source in %.1f%% of trials; want 93–97%%", 100*share)
	}
	if r := math.Sqrt(sq/trials) / bound; r < 0.9 || r > 1.15 {
		t.Errorf("RMS error is %.2f times the Cramér–Rao bound (%.0f m); want 0.9–1.15", r, bound)
	}
}

func TestOneWrongBearingIsLeftOut(t *testing.T) {
	sensors := sensorsAround([]float64{0, 70, 140, 210, 280}, []float64{8000, 12000})
	ms := bearings(sensors, srcLat, srcLon, rand.New(rand.NewPCG(5, 6)))
	ms[2].az = wrap(ms[2].az + 25*deg) // a reflection, or a mistyped bearing
	f, err := locate(ms, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Outliers) != 1 || f.Outliers[0] != ms[2].key {
		t.Errorf("outliers %v; want [%s]", f.Outliers, ms[2].key)
	}
	if d := distanceM(f.Lat, f.Lon, srcLat, srcLon); d > 3*f.Ellipse.SemiMajorM/2.45 {
		t.Errorf("located %.0f m off with ellipse %v", d, f.Ellipse)
	}
}

func TestThreeDisagreeingBearingsClaimLess(t *testing.T) {
	sensors := sensorsAround([]float64{0, 120, 240}, []float64{10000})
	good, err := locate(bearings(sensors, srcLat, srcLon, nil), 0)
	if err != nil {
		t.Fatal(err)
	}
	ms := bearings(sensors, srcLat, srcLon, nil)
	ms[1].az = wrap(ms[1].az + 20*deg)
	bad, err := locate(ms, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bad.Inflated || bad.Ellipse.SemiMajorM <= 2*good.Ellipse.SemiMajorM {
		t.Errorf("inflated %v, ellipse %.0f m against %.0f m for agreeing bearings; want a larger ellipse",
			bad.Inflated, bad.Ellipse.SemiMajorM, good.Ellipse.SemiMajorM)
	}
}

func TestPreciseArrivalTimesSharpenTheFix(t *testing.T) {
	sensors := sensorsAround([]float64{190, 250, 320}, []float64{6000, 12000, 9000})
	rng := rand.New(rand.NewPCG(7, 8))
	ms := bearings(sensors, srcLat, srcLon, rng)
	plain, err := locate(ms, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		ms[i].tsd = 0.005
		ms[i].t += rng.NormFloat64() * 0.005
	}
	timed, err := locate(ms, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !timed.Timed || timed.Ellipse.SemiMajorM >= plain.Ellipse.SemiMajorM/3 {
		t.Errorf("timed fix ellipse %.0f m, bearings alone %.0f m; want the times to shrink it", timed.Ellipse.SemiMajorM, plain.Ellipse.SemiMajorM)
	}
	if d := distanceM(timed.Lat, timed.Lon, srcLat, srcLon); d > 3*timed.Ellipse.SemiMajorM/2.45 {
		t.Errorf("timed fix %.0f m off, ellipse %.0f m", d, timed.Ellipse.SemiMajorM)
	}
}

func TestBearingsThatCannotLocateAreErrors(t *testing.T) {
	s := sensorsAround([]float64{180, 270}, []float64{10000})
	tests := []struct {
		name string
		ms   []measurement
		want error
	}{
		{"one bearing", bearings(s[:1], srcLat, srcLon, nil), errTooFew},
		{"parallel bearings", func() []measurement {
			ms := bearings(s, srcLat, srcLon, nil)
			ms[1].az = ms[0].az
			return ms
		}(), nil},
		{"bearings that cross behind the sensors", func() []measurement {
			ms := bearings(s, srcLat, srcLon, nil)
			ms[0].az, ms[1].az = wrap(ms[0].az+math.Pi), wrap(ms[1].az+math.Pi)
			return ms
		}(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := locate(tt.ms, 0)
			if err == nil {
				t.Fatalf("located %+v; want an error", f)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v; want %v", err, tt.want)
			}
		})
	}
}

func TestCramerRaoBoundOfTwoSensorsAtRightAngles(t *testing.T) {
	// Each bearing constrains only the direction across it, with σ·d; at right angles the
	// two are independent, so the bound is √2·σ·d.
	s := sensorsAround([]float64{0, 90}, []float64{10000})
	got, ok := CramerRaoBound(srcLat, srcLon, s)
	want := math.Sqrt2 * 3 * deg * 10000
	if !ok || math.Abs(got-want)/want > 0.005 {
		t.Errorf("bound %.1f m; want %.1f m", got, want)
	}
	if _, ok := CramerRaoBound(srcLat, srcLon, s[:1]); ok {
		t.Error("one sensor gave a bound")
	}
}
