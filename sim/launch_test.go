package sim_test

import (
	"math"
	"testing"

	"github.com/truce-project/truce/sim"
)

// TestLaunchesAreHeardAtTheFiringPosition: with Config.Launches, sensors and monitors report
// the launch of rounds as bearings to where they were fired from, when its sound reaches
// them, before the round lands; without it, the day has no launch reports.
func TestLaunchesAreHeardAtTheFiringPosition(t *testing.T) {
	j := judgeFor(t, "notional-east")
	for _, launches := range []bool{false, true} {
		s, err := sim.New(j, sim.Config{Hours: 24, Seed: 3, Launches: launches})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		var sumSq float64
		for o, l := range s.Observations() {
			if o.Kind != "fire.projectile" || l.Event == nil {
				continue
			}
			e := l.Event
			n++
			if e.Kind != "fire.explosion" || e.Launched.IsZero() || !e.Launched.Before(e.Time) || o.Time.Before(e.Launched) {
				t.Errorf("%s: launch report at %s of event %s (%s) launched %s, landed %s", o.ID, o.Time, e.ID, e.Kind, e.Launched, e.Time)
			}
			// The sound took the time it takes to come from the origin; a monitor notes the
			// time to within its stated error.
			d := sphericalDistance(o.Lat, o.Lon, e.OriginLat, e.OriginLon)
			tsd, _ := o.Attrs["time_sd_s"].(float64)
			if dt := o.Time.Sub(e.Launched).Seconds() - d/343; math.Abs(dt) > 0.05*d/343+0.01+5*tsd {
				t.Errorf("%s: heard %.1f s after the launch, %.0f m away", o.ID, o.Time.Sub(e.Launched).Seconds(), d)
			}
			if d > 20000*1.01 {
				t.Errorf("%s: a launch heard %.0f m away", o.ID, d)
			}
			bearing, _ := o.Attrs["bearing_deg"].(float64)
			sd, _ := o.Attrs["bearing_sd_deg"].(float64)
			diff := math.Remainder(bearing-sphericalBearing(o.Lat, o.Lon, e.OriginLat, e.OriginLon), 360)
			sumSq += diff * diff / (sd * sd)
		}
		switch {
		case !launches && n > 0:
			t.Errorf("%d launch reports without Config.Launches", n)
		case launches && n < 100:
			t.Errorf("only %d launch reports in a day with Config.Launches", n)
		case launches:
			if rms := math.Sqrt(sumSq / float64(n)); rms < 0.8 || rms > 1.2 {
				t.Errorf("normalised bearing error of launches has RMS %.2f over %d reports", rms, n)
			}
		}
	}
}

func sphericalDistance(lat1, lon1, lat2, lon2 float64) float64 {
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * 6371008.8 * math.Asin(math.Sqrt(a))
}
