package fusion_test

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

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
	originsLocated             int
	slowest                    string
}

// runScenario fuses a simulated scenario and scores it against its ground truth.
func runScenario(t *testing.T, name string, cfg sim.Config) scoreboard {
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
	for o, l := range s.Observations() {
		if o.Kind == "sea.vessel" {
			continue
		}
		findings = judge.Judge(&o, findings[:0])
		if _, err := fu.Add(o, slices.Clone(findings)); err != nil {
			t.Fatalf("%s: add %s: %v", name, o.ID, err)
		}
		key := o.Source + "/" + o.ID
		switch {
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
		for i, r := range e.Reports {
			keys[i] = "" + sourceOf(r) + "/" + r
		}
		inc := majority(keys)
		judgeFire(inc, e.Party)
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
		if len(e.Reports) < 2 || inc.Position == nil || inc.Position.Bearings < 2 {
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
		bound, ok := fusion.CramerRaoBound(e.HeardLat, e.HeardLon, sensors)
		if !ok {
			continue
		}
		sb.located = append(sb.located, fusion.DistanceM(inc.Position.Lat, inc.Position.Lon, e.HeardLat, e.HeardLon))
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

var debugSplit = false

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
		name string
		cfg  sim.Config
	}{
		{"seed 1, default sensors", sim.Config{Hours: 24, Seed: 1}},
		{"seed 2, default sensors", sim.Config{Hours: 24, Seed: 2}},
		{"seed 3, 74 sensors (10 km)", sim.Config{Hours: 24, Seed: 3, Sensors: 74}},
		{"seed 4, 148 sensors (5 km)", sim.Config{Hours: 24, Seed: 4, Sensors: 148}},
		{"seed 5, rate 5", sim.Config{Hours: 24, Seed: 5, Rate: 5}},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-28s %6s %6s %6s %6s | %5s %8s %8s %6s %6s | %5s %6s %6s %6s\n",
		"scenario", "obs", "incid", "prec", "recall", "fixes", "med m", "p95 m", "rmsR", "medR", "fires", "right", "wrong", "undet")
	for _, sc := range scenarios {
		sb := runScenario(t, sc.name, sc.cfg)
		ratios := make([]float64, len(sb.located))
		for i := range sb.located {
			ratios[i] = sb.located[i] / sb.bounds[i]
		}
		fmt.Fprintf(&table, "%-28s %6d %6d %6.4f %6.4f | %5d %8.0f %8.0f %6.2f %6.2f | %5d %5.1f%% %5.2f%% %5.1f%%\n",
			sb.name, sb.observations, sb.incidents, sb.precision, sb.recall,
			len(sb.located), quantile(sb.located, 0.5), quantile(sb.located, 0.95), rms(sb.located)/rms(sb.bounds), quantile(ratios, 0.5),
			sb.fires, 100*ratio(sb.right, sb.fires), 100*ratio(sb.wrong, sb.fires), 100*ratio(sb.undec, sb.fires))
		if sb.precision < 0.95 || sb.recall < 0.95 {
			t.Errorf("%s: grouping precision %.4f, recall %.4f; both must be above 0.95", sb.name, sb.precision, sb.recall)
		}
		if w := ratio(sb.wrong, sb.fires); w >= 0.01 {
			t.Errorf("%s: %.2f%% of fire incidents wrongly attributed; must be under 1%%", sb.name, 100*w)
		}
		if len(sb.located) < 20 {
			t.Errorf("%s: only %d events located", sb.name, len(sb.located))
		} else if r := rms(sb.located) / rms(sb.bounds); r > 1.5 {
			t.Errorf("%s: RMS localisation error is %.2f times the Cramér–Rao bound; want at most 1.5", sb.name, r)
		}
	}
	t.Log(table.String())
}
