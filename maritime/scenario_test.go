package maritime_test

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/maritime"
	"github.com/truce-project/truce/sim"
)

func loadScenario(tb testing.TB, seed uint64) (*truce.Agreement, *sim.MaritimeScenario) {
	tb.Helper()
	a, err := agreement.Load("../examples/notional-east")
	if err != nil {
		tb.Fatal(err)
	}
	sc, err := sim.Maritime(a, sim.MaritimeConfig{Seed: seed})
	if err != nil {
		tb.Fatal(err)
	}
	return a, sc
}

func blackSeaShore(tb testing.TB) *maritime.Shore {
	tb.Helper()
	b, err := os.ReadFile("testdata/BlackSea_coastline_ne10m.geojson")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := maritime.ReadShoreGeoJSON(b)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func detect(tb testing.TB, a *truce.Agreement, sc *sim.MaritimeScenario) []maritime.Event {
	tb.Helper()
	d, err := maritime.NewDetector(a, blackSeaShore(tb), maritime.Config{Anchorages: sc.Anchorages})
	if err != nil {
		tb.Fatal(err)
	}
	var evs []maritime.Event
	for i := range sc.Observations {
		evs = append(evs, d.Observe(&sc.Observations[i])...)
	}
	return evs
}

func sameVessels(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

func within(t, lo, hi time.Time) bool { return !t.Before(lo) && !t.After(hi) }

// distM is the haversine distance, enough to say whether an event is at the right place.
func distM(lat1, lon1, lat2, lon2 float64) float64 {
	const r, rad = 6371008.8, math.Pi / 180
	s1, s2 := math.Sin((lat2-lat1)*rad/2), math.Sin((lon2-lon1)*rad/2)
	h := s1*s1 + math.Cos(lat1*rad)*math.Cos(lat2*rad)*s2*s2
	return 2 * r * math.Asin(math.Sqrt(h))
}

// matches reports whether event e is the detection of truth w: the same kind and vessels,
// found when the thresholds allow (to within the reporting intervals: AIS every 3 minutes,
// radar every 10) and where it happened.
func matches(e maritime.Event, w sim.MaritimeTruth) bool {
	if e.Kind != w.Kind || !sameVessels(e.Vessels, w.Vessels) {
		return false
	}
	const slack = 15 * time.Minute
	switch w.Kind {
	case maritime.EventDark, maritime.EventJump:
		return e.Start.Equal(w.Start) && e.End.Equal(w.End) &&
			distM(e.Lat, e.Lon, w.Lat, w.Lon) < 100 && distM(e.Lat2, e.Lon2, w.Lat2, w.Lon2) < 100
	case maritime.EventEncounter:
		return within(e.Start, w.Start, w.Start.Add(10*time.Minute)) &&
			within(e.End, e.Start.Add(maritime.DefaultEncounterMin), e.Start.Add(maritime.DefaultEncounterMin+10*time.Minute)) &&
			distM(e.Lat, e.Lon, w.Lat, w.Lon) < 500
	case maritime.EventLoitering:
		return within(e.Start, w.Start, w.Start.Add(10*time.Minute)) &&
			within(e.End, e.Start.Add(maritime.DefaultLoiterMin), e.Start.Add(maritime.DefaultLoiterMin+10*time.Minute)) &&
			distM(e.Lat, e.Lon, w.Lat, w.Lon) < 1000
	case maritime.EventExclusion:
		return e.Zone == w.Zone && within(e.End, w.Start.Add(-slack), w.Start.Add(slack)) &&
			distM(e.Lat, e.Lon, w.Lat, w.Lon) < 5000
	case maritime.EventStandoff:
		return within(e.End, w.Start.Add(-slack), w.Start.Add(slack)) && distM(e.Lat, e.Lon, w.Lat, w.Lon) < 5000
	}
	return false
}

// TestScenarioEventsAreFoundAtTheRightTimeAndPlace runs the detectors over simulated days
// and compares their events with the scenario's truth both ways: every planted event (a
// dark period, an encounter, loitering, a spoofed jump, a warship inside the stand-off zone
// and close to the ships passing it) is found at the right time and place, and every event
// found is in the truth (a marginal stand-off pass may be found or not).
func TestScenarioEventsAreFoundAtTheRightTimeAndPlace(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run("seed"+strconv.FormatUint(seed, 10), func(t *testing.T) {
			a, sc := loadScenario(t, seed)
			evs := detect(t, a, sc)
			kinds := map[string]int{}
			for _, w := range sc.Truth {
				if !w.Marginal {
					kinds[w.Kind]++
				}
			}
			for _, k := range []string{"dark", "jump", "encounter", "loitering", "exclusion", "standoff"} {
				if kinds[k] == 0 {
					t.Errorf("the truth has no %s event", k)
				}
			}
			used := make([]bool, len(evs))
			for _, w := range sc.Truth {
				found := false
				for i, e := range evs {
					if !used[i] && matches(e, w) {
						used[i], found = true, true
						break
					}
				}
				if !found && !w.Marginal {
					t.Errorf("missed %s of %v from %s to %s at %.4f, %.4f", w.Kind, w.Vessels,
						w.Start.Format("15:04"), w.End.Format("15:04"), w.Lat, w.Lon)
				}
			}
			for i, e := range evs {
				if !used[i] {
					t.Errorf("false %s of %v at %s: %s", e.Kind, e.Vessels, e.End.Format("15:04"), e.Explanation)
				}
			}
		})
	}
}

// TestOrdinaryTrafficRaisesNothing feeds the scenario without the vessels of its truth:
// merchant ships on the corridor, warships patrolling well off it, tugs lying together at
// an anchorage.
func TestOrdinaryTrafficRaisesNothing(t *testing.T) {
	a, sc := loadScenario(t, 4)
	planted := map[string]bool{}
	for _, w := range sc.Truth {
		planted[w.Vessels[0]] = true // the vessel that did it, not the ship it came close to
	}
	ordinary := *sc
	ordinary.Observations = nil
	vessels := map[string]bool{}
	for _, o := range sc.Observations {
		id, _, _ := maritime.VesselID(&o)
		if !planted[id] {
			ordinary.Observations = append(ordinary.Observations, o)
			vessels[id] = true
		}
	}
	if len(vessels) < 12 || len(ordinary.Observations) < 5000 {
		t.Fatalf("%d ordinary vessels with %d observations: too few to show anything", len(vessels), len(ordinary.Observations))
	}
	for _, e := range detect(t, a, &ordinary) {
		t.Errorf("ordinary traffic raised %s of %v at %s: %s", e.Kind, e.Vessels, e.End.Format("15:04"), e.Explanation)
	}
}

func TestScenarioIsDeterministic(t *testing.T) {
	_, x := loadScenario(t, 7)
	_, y := loadScenario(t, 7)
	if len(x.Observations) != len(y.Observations) || len(x.Truth) != len(y.Truth) {
		t.Fatalf("two runs of seed 7: %d and %d observations, %d and %d truths", len(x.Observations), len(y.Observations), len(x.Truth), len(y.Truth))
	}
	for i := range x.Observations {
		if p, q := x.Observations[i], y.Observations[i]; p.ID != q.ID || p.Lat != q.Lat || p.Lon != q.Lon || !p.Time.Equal(q.Time) {
			t.Fatalf("observation %d differs: %+v and %+v", i, p, q)
		}
	}
	for i := range x.Observations {
		if err := x.Observations[i].Validate(); err != nil {
			t.Fatalf("observation %s: %v", x.Observations[i].ID, err)
		}
	}
}

// BenchmarkObserve measures the detectors' cost per position over a simulated day and a
// half of the scenario (about 10,000 positions of 20 vessels), with the notional-east
// agreement's zones and the Black Sea shore.
func BenchmarkObserve(b *testing.B) {
	a, sc := loadScenario(b, 1)
	shore := blackSeaShore(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for n < b.N {
		b.StopTimer()
		d, err := maritime.NewDetector(a, shore, maritime.Config{Anchorages: sc.Anchorages})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for i := range sc.Observations {
			if n == b.N {
				break
			}
			d.Observe(&sc.Observations[i])
			n++
		}
	}
}
