package fusion_test

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/geodesic"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/fusion"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/sim"
)

// loadJudge compiles the notional-east example once per test binary.
var loadJudge = func() func(t testing.TB) *rules.Judge {
	var j *rules.Judge
	return func(t testing.TB) *rules.Judge {
		t.Helper()
		if j != nil {
			return j
		}
		a, err := agreement.Load("../examples/notional-east")
		if err != nil {
			t.Fatal(err)
		}
		if j, err = rules.Compile(a); err != nil {
			t.Fatal(err)
		}
		return j
	}
}()

// scoreboard is what a scenario's fusion is measured by against its truth.
type scoreboard struct {
	name                       string
	observations, incidents    int
	precision, recall          float64
	located                    []float64 // localisation errors, metres
	bounds                     []float64 // the Cramér–Rao bound of each, metres
	fires, right, wrong, undec int
	originsLocated, timed      int
}

// runScenario fuses a simulated scenario and scores it against its ground truth.
func runScenario(t *testing.T, name string, cfg sim.Config, launches bool) scoreboard {
	t.Helper()
	judge := loadJudge(t)
	s, err := sim.New(judge, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sb := scoreboard{name: name}
	var closed []*fusion.Incident
	fu := fusion.New(judge.Agreement(), judge.Engine(), fusion.Config{OnClose: func(inc *fusion.Incident) {
		closed = append(closed, inc)
	}})
	truthOf := map[string]string{} // observation key → the truth it belongs to
	events := map[string]*sim.Event{}
	violations := map[string]*sim.Violation{}
	var findings []truce.Finding
	for o, l := range feed(s, launches) {
		if o.Kind == "sea.vessel" {
			continue
		}
		findings = judge.Judge(&o, findings[:0])
		if _, err := fu.Add(o, slices.Clone(findings)); err != nil {
			t.Fatalf("%s: add %s: %v", name, o.ID, err)
		}
		key := o.Source + "/" + o.ID
		switch {
		case l.Event != nil && slices.Contains(l.Event.Launches, o.ID):
			// The launch and the impact are two sounds at two places: two incidents.
			truthOf[key] = "launch/" + l.Event.ID
			events[l.Event.ID] = l.Event
		case l.Event != nil:
			truthOf[key] = "event/" + l.Event.ID
			events[l.Event.ID] = l.Event
		case l.Injected != nil:
			truthOf[key] = "violation/" + l.Injected.ID
			violations[l.Injected.ID] = l.Injected
		default:
			truthOf[key] = "own/" + key
		}
		sb.observations++
	}
	fu.Flush() // hands the rest to OnClose
	sb.incidents = len(closed)

	// Pairwise precision and recall of grouping: a pair of observations is grouped
	// correctly when fusion and the truth both put them together.
	incidentOf := map[string]*fusion.Incident{}
	predicted, truePairs, both := 0, 0, 0
	for _, inc := range closed {
		n := len(inc.Members)
		predicted += n * (n - 1) / 2
		cells := map[string]int{}
		for _, m := range inc.Members {
			incidentOf[m.Key()] = inc
			cells[truthOf[m.Key()]]++
		}
		for _, c := range cells {
			both += c * (c - 1) / 2
		}
	}
	sizes := map[string]int{}
	for _, tr := range truthOf {
		sizes[tr]++
	}
	for _, c := range sizes {
		truePairs += c * (c - 1) / 2
	}
	sb.precision, sb.recall = ratio(both, predicted), ratio(both, truePairs)

	// majority is the incident holding most of a truth's reports.
	majority := func(keys []string) *fusion.Incident {
		count := map[*fusion.Incident]int{}
		var best *fusion.Incident
		for _, k := range keys {
			inc := incidentOf[k]
			count[inc]++
			if best == nil || count[inc] > count[best] {
				best = inc
			}
		}
		return best
	}
	judgeFire := func(inc *fusion.Incident, party string) {
		sb.fires++
		if inc.Origin != nil {
			sb.originsLocated++
		}
		switch inc.Attribution.Party {
		case party:
			sb.right++
		case truce.PartyUndetermined, "":
			sb.undec++
		default:
			sb.wrong++
			t.Logf("%s: wrongly attributed %s to %s (truth %s): %s", name, inc.ID, inc.Attribution.Party, party, inc.Attribution.Explanation)
			for _, m := range inc.Members {
				t.Logf("   %s %s %s %v %v %v %s", m.Key(), m.Observation.Kind, m.Observation.Time, m.Observation.Lat, m.Observation.Lon, m.Observation.Attrs, truthOf[m.Key()])
			}
		}
	}
	ids := make([]string, 0, len(events))
	for id := range events {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		e := events[id]
		keys := make([]string, len(e.Reports))
		keys = keys[:0]
		for _, r := range e.Reports {
			if k := sourceOf(r) + "/" + r; incidentOf[k] != nil {
				keys = append(keys, k)
			}
		}
		// Responsibility is judged on the launch where sensors heard it (sim's
		// Config.Launches), as an analyst would look there first.
		var launchKeys []string
		for _, r := range e.Launches {
			if k := sourceOf(r) + "/" + r; incidentOf[k] != nil {
				launchKeys = append(launchKeys, k)
			}
		}
		if len(keys) == 0 && len(launchKeys) == 0 {
			continue // no sensor heard the launch
		}
		if len(launchKeys) > 0 {
			judgeFire(majority(launchKeys), e.Party)
		}
		if len(keys) == 0 {
			continue
		}
		heardLat, heardLon, want := e.HeardLat, e.HeardLon, targetOf(e)
		if launches && e.Kind == "fire.explosion" {
			heardLat, heardLon, want = e.OriginLat, e.OriginLon, fusion.TargetOrigin
		}
		inc := majority(keys)
		if len(launchKeys) == 0 {
			judgeFire(inc, e.Party)
		}
		if debugSplit {
			seen := map[*fusion.Incident]bool{}
			for _, k := range keys {
				seen[incidentOf[k]] = true
			}
			if len(seen) > 1 {
				t.Logf("%s: event %s %s split over %d incidents", name, e.ID, e.Kind, len(seen))
				for x := range seen {
					for _, m := range x.Members {
						t.Logf("    %s %s %s %.6f %.6f %v %v %s", x.ID, m.Key(), m.Observation.Time.Format("15:04:05.000"), m.Observation.Lat, m.Observation.Lon, m.Observation.Attrs["bearing_deg"], m.Observation.Attrs["bearing_sd_deg"], truthOf[m.Key()])
					}
				}
			}
		}
		if len(keys) < 2 || inc.Position == nil || inc.Position.Bearings < 2 {
			continue
		}
		if inc.Position.Timed {
			// Located with arrival times where bearings alone do not cross: the bearings'
			// bound does not apply.
			sb.timed++
			continue
		}
		var sensors []fusion.Sensor
		for _, m := range inc.Members {
			o := m.Observation
			sd, _ := o.Attrs["bearing_sd_deg"].(float64)
			if sd > 0 && truthOf[m.Key()] == "event/"+id {
				sensors = append(sensors, fusion.Sensor{Lat: o.Lat, Lon: o.Lon, SDDeg: sd})
			}
		}
		bound, ok := fusion.CramerRaoBound(heardLat, heardLon, sensors)
		if !ok {
			continue
		}
		sb.located = append(sb.located, fusion.DistanceM(inc.Position.Lat, inc.Position.Lon, heardLat, heardLon))
		if inc.Position.Target != want {
			t.Errorf("%s: event %s located the %v, but it was heard at its %v", name, e.ID, inc.Position.Target, want)
		}
		sb.bounds = append(sb.bounds, bound)
	}
	for _, v := range violations {
		if v.OriginLat == nil || !strings.HasPrefix(kindOf(closed, v), "fire.") {
			continue
		}
		keys := make([]string, len(v.Observations))
		for i, r := range v.Observations {
			keys[i] = sourceOf(r) + "/" + r
		}
		judgeFire(majority(keys), v.Party)
	}
	return sb
}

// debugSplit logs the reports of every event fusion split, when a change needs explaining.
var debugSplit = false

// feed yields the scenario's observations; with launches, the sensors that heard an
// explosion report instead the bearing of its launch (bearing_of: origin) as a sensor that
// hears the gun would, drawn with the sensor's own noise, at the time the sound of the launch
// reaches it, and the day is put back in time order. Package sim's sensors hear only the
// impact; this makes the origin observable to test attribution from bearings.
func feed(s *sim.Scenario, launches bool) iter.Seq2[truce.Observation, sim.Label] {
	if !launches {
		return s.Observations()
	}
	type pair struct {
		o truce.Observation
		l sim.Label
	}
	var day []pair
	rng := rand.New(rand.NewPCG(uint64(s.Config().Seed), 7))
	for o, l := range s.Observations() {
		if e := l.Event; e != nil && e.Kind == "fire.explosion" {
			d, az := geodesicInverse(o.Lat, o.Lon, e.OriginLat, e.OriginLon)
			if d > 25000 {
				continue
			}
			sd := o.Attrs["bearing_sd_deg"].(float64)
			o.Attrs["bearing_deg"] = math.Round(math.Mod(az+rng.NormFloat64()*sd+720, 360)*10) / 10
			o.Attrs["bearing_of"] = "origin"
			o.Time = e.Time.Add(time.Duration(d / fusion.SpeedOfSound * float64(time.Second))).Round(time.Millisecond)
		}
		day = append(day, pair{o, l})
	}
	slices.SortStableFunc(day, func(a, b pair) int { return a.o.Time.Compare(b.o.Time) })
	return func(yield func(truce.Observation, sim.Label) bool) {
		for _, p := range day {
			if !yield(p.o, p.l) {
				return
			}
		}
	}
}

func geodesicInverse(lat1, lon1, lat2, lon2 float64) (m, az float64) {
	geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2, &m, &az, nil)
	return m, az
}

// targetOf is what fusion should locate from an event's reports.
func targetOf(e *sim.Event) fusion.Target {
	if e.Kind == "fire.explosion" && e.HeardLat == e.ImpactLat && e.HeardLon == e.ImpactLon {
		return fusion.TargetImpact
	}
	return fusion.TargetOrigin
}

// sourceOf is the source of a sim observation id: its prefix before the sequence number.
func sourceOf(id string) string { return id[:strings.LastIndexByte(id, '-')] }

func kindOf(closed []*fusion.Incident, v *sim.Violation) string {
	for _, inc := range closed {
		if m := inc.Member(v.Observations[0]); m != nil && m.Key() == sourceOf(v.Observations[0])+"/"+v.Observations[0] {
			return m.Observation.Kind
		}
	}
	return ""
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func rms(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x * x
	}
	return math.Sqrt(s / float64(len(xs)))
}

// TestAccuracyAgainstSimulatedTruth fuses simulated days and holds grouping, localisation and
// attribution to thresholds against the ground truth, printing the figures.
func TestAccuracyAgainstSimulatedTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates several days")
	}
	scenarios := []struct {
		name     string
		cfg      sim.Config
		launches bool
	}{
		{"seed 1, default sensors", sim.Config{Hours: 24, Seed: 1}, false},
		{"seed 2, default sensors", sim.Config{Hours: 24, Seed: 2}, false},
		{"seed 3, 74 sensors (10 km)", sim.Config{Hours: 24, Seed: 3, Sensors: 74}, false},
		{"seed 4, 148 sensors (5 km)", sim.Config{Hours: 24, Seed: 4, Sensors: 148}, false},
		{"seed 5, rate 5", sim.Config{Hours: 24, Seed: 5, Rate: 5}, false},
		{"seed 6, launches heard", sim.Config{Hours: 24, Seed: 6}, true},
		{"seed 7, launches, 74 sensors", sim.Config{Hours: 24, Seed: 7, Sensors: 74}, true},
		{"seed 8, rate 20", sim.Config{Hours: 24, Seed: 8, Rate: 20}, false},
		{"seed 9, sim launches", sim.Config{Hours: 24, Seed: 9, Launches: true}, false},
		{"seed 10, sim launches, 74 sensors", sim.Config{Hours: 24, Seed: 10, Sensors: 74, Launches: true}, false},
		{"seed 11, sim launches, rate 5", sim.Config{Hours: 24, Seed: 11, Rate: 5, Launches: true}, false},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-30s %5s %5s %6s %6s | %5s %5s %6s %6s %5s %5s %5s | %5s %5s %6s %5s %5s\n",
		"scenario", "obs", "incid", "prec", "recall", "fixes", "timed", "med m", "p95 m", "medR", "p95R", "rmsR",
		"fires", "orig", "right", "wrong", "undet")
	for _, sc := range scenarios {
		sb := runScenario(t, sc.name, sc.cfg, sc.launches)
		ratios := make([]float64, len(sb.located))
		for i := range sb.located {
			ratios[i] = sb.located[i] / sb.bounds[i]
		}
		fmt.Fprintf(&table, "%-30s %5d %5d %6.4f %6.4f | %5d %5d %6.0f %6.0f %5.2f %5.2f %5.2f | %5d %5d %5.1f%% %4.2f%% %4.1f%%\n",
			sb.name, sb.observations, sb.incidents, sb.precision, sb.recall,
			len(sb.located), sb.timed, quantile(sb.located, 0.5), quantile(sb.located, 0.95),
			quantile(ratios, 0.5), quantile(ratios, 0.95), rms(ratios),
			sb.fires, sb.originsLocated, 100*ratio(sb.right, sb.fires), 100*ratio(sb.wrong, sb.fires), 100*ratio(sb.undec, sb.fires))
		if sb.precision < 0.95 || sb.recall < 0.95 {
			t.Errorf("%s: grouping precision %.4f, recall %.4f; both must be above 0.95", sb.name, sb.precision, sb.recall)
		}
		if w := ratio(sb.wrong, sb.fires); w >= 0.01 {
			t.Errorf("%s: %.2f%% of fire incidents wrongly attributed; must be under 1%%", sb.name, 100*w)
		}
		// An efficient estimator's error is, on average, the bound: the root mean square of
		// error over bound is about 1. Two bearings give no redundancy, so allow some.
		if len(sb.located) < 50 {
			t.Errorf("%s: only %d events located", sb.name, len(sb.located))
		} else if r := rms(ratios); r > 1.6 || r < 0.6 {
			t.Errorf("%s: RMS of localisation error over the Cramér–Rao bound is %.2f; want 0.6 to 1.6", sb.name, r)
		}
		if (sc.launches || sc.cfg.Launches) && ratio(sb.right, sb.fires) < 0.2 {
			t.Errorf("%s: only %.1f%% of fire attributed correctly with launches heard", sb.name, 100*ratio(sb.right, sb.fires))
		}
	}
	t.Log(table.String())
}
