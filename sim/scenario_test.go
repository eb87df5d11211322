package sim_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/sim"
)

var examples = []string{"notional-east", "cyprus"}

var (
	judgesMu sync.Mutex
	judges   = map[string]*rules.Judge{}
)

// judgeFor loads and compiles an example agreement, once per test binary.
func judgeFor(t testing.TB, name string) *rules.Judge {
	t.Helper()
	judgesMu.Lock()
	defer judgesMu.Unlock()
	if j := judges[name]; j != nil {
		return j
	}
	a, err := agreement.Load("../examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	j, err := rules.Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	judges[name] = j
	return j
}

// freshJudge compiles the example again from its files, so that what the tests judge with
// shares nothing with what generated the scenario.
func freshJudge(t testing.TB, name string) *rules.Judge {
	t.Helper()
	a, err := agreement.Load("../examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	j, err := rules.Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// generated is a scenario's output as a reader of its files gets it.
type generated struct {
	ndjson []byte
	truth  []byte
	obs    []truce.Observation
	t      *sim.Truth
}

func generate(t testing.TB, name string, cfg sim.Config) generated {
	t.Helper()
	s, err := sim.New(judgeFor(t, name), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out, tb bytes.Buffer
	tr := sim.NewTruth(s)
	if _, err := sim.WriteNDJSON(&out, s.Observations(), tr.Add); err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteJSON(&tb); err != nil {
		t.Fatal(err)
	}
	g := generated{ndjson: out.Bytes(), truth: tb.Bytes()}
	sc := bufio.NewScanner(bytes.NewReader(g.ndjson))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		var o truce.Observation
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		g.obs = append(g.obs, o)
	}
	if g.t, err = sim.ReadTruth(bytes.NewReader(g.truth)); err != nil {
		t.Fatal(err)
	}
	if len(g.t.Observations) != len(g.obs) {
		t.Fatalf("truth labels %d observations, the output has %d", len(g.t.Observations), len(g.obs))
	}
	return g
}

var day = sim.Config{Hours: 24, Seed: 7}

var (
	daysMu sync.Mutex
	days   = map[string]generated{}
)

// dayOf is a day of the example with the default rates, generated once per test binary.
func dayOf(t *testing.T, name string) generated {
	t.Helper()
	daysMu.Lock()
	defer daysMu.Unlock()
	g, ok := days[name]
	if !ok {
		g = generate(t, name, day)
		days[name] = g
	}
	return g
}

func TestSameSeedGivesIdenticalBytes(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			cfg := sim.Config{Hours: 6, Seed: 42, Start: time.Date(2026, 5, 1, 4, 0, 0, 0, time.UTC)}
			a, b := generate(t, name, cfg), generate(t, name, cfg)
			if !bytes.Equal(a.ndjson, b.ndjson) {
				t.Error("observations differ between two runs with the same seed")
			}
			if !bytes.Equal(a.truth, b.truth) {
				t.Error("truth differs between two runs with the same seed")
			}
			if len(a.obs) == 0 {
				t.Fatal("no observations")
			}
		})
	}
}

func TestDifferentSeedGivesDifferentOutput(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			cfg := sim.Config{Hours: 6, Seed: 42, Start: time.Date(2026, 5, 1, 4, 0, 0, 0, time.UTC)}
			a := generate(t, name, cfg)
			cfg.Seed = 43
			b := generate(t, name, cfg)
			if bytes.Equal(a.ndjson, b.ndjson) {
				t.Error("seeds 42 and 43 gave the same observations")
			}
		})
	}
}

// TestJudgedRulesEqualTruth checks the relation Label promises on every observation of a day,
// judging the NDJSON as read back with a judge compiled afresh.
func TestJudgedRulesEqualTruth(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			g := dayOf(t, name)
			j := freshJudge(t, name)
			byGen := map[string]int{}
			var findings []truce.Finding
			for i := range g.obs {
				o, l := &g.obs[i], g.t.Observations[i]
				if o.ID != l.ID || o.Source != l.Source {
					t.Fatalf("observation %d is %s/%s, its label %s/%s", i+1, o.Source, o.ID, l.Source, l.ID)
				}
				byGen[l.Generator]++
				findings = j.Judge(o, findings[:0])
				var got []string
				for _, r := range j.Agreement().Rules {
					for _, f := range findings {
						if f.Rule == r.ID {
							got = append(got, r.ID)
							break
						}
					}
				}
				if !slices.Equal(got, l.Rules) {
					t.Errorf("%s (%s): judged rules %v, truth %v", o.ID, l.Generator, got, l.Rules)
				}
				if l.Violation != (len(l.Rules) > 0) {
					t.Errorf("%s: violation %v with rules %v", o.ID, l.Violation, l.Rules)
				}
				switch l.Generator {
				case sim.GenPatrol, sim.GenVessel:
					if len(l.Rules) > 0 {
						t.Errorf("%s: ordinary %s observation breaks %v", o.ID, l.Generator, l.Rules)
					}
				case sim.GenInjected:
					if l.InjectedID == "" {
						t.Errorf("%s: injected without a violation record", o.ID)
					}
				case sim.GenAcoustic:
					if l.EventID == "" {
						t.Errorf("%s: acoustic report without an event", o.ID)
					}
				default:
					t.Errorf("%s: unknown generator %q", o.ID, l.Generator)
				}
			}
			for _, gen := range []string{sim.GenPatrol, sim.GenAcoustic, sim.GenInjected} {
				if byGen[gen] == 0 {
					t.Errorf("no %s observations in a day", gen)
				}
			}
			if name == "notional-east" && byGen[sim.GenVessel] == 0 {
				t.Error("no vessel reports on an agreement with a maritime corridor")
			}
		})
	}
}

// TestEveryRuleIsInjectedAndFires checks that a day holds an injected violation of every rule
// of the agreement, and that each fires when its observation is judged: inside the rule's
// place, attributed to the party the truth holds responsible.
func TestEveryRuleIsInjectedAndFires(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			g := dayOf(t, name)
			j := freshJudge(t, name)
			byID := map[string]*truce.Observation{}
			for i := range g.obs {
				byID[g.obs[i].ID] = &g.obs[i]
			}
			fired := map[string]int{}
			for _, v := range g.t.Violations {
				if len(v.Observations) == 0 {
					t.Fatalf("violation %s lists no observations", v.ID)
				}
				for _, id := range v.Observations {
					o := byID[id]
					if o == nil {
						t.Fatalf("violation %s: observation %s is not in the output", v.ID, id)
					}
					// A second patrol may report the same violation up to half an hour later.
					if o.Time.Before(v.Time) || o.Time.After(v.Time.Add(30*time.Minute)) {
						t.Errorf("violation %s at %s, its observation %s at %s", v.ID, v.Time, id, o.Time)
					}
					// Haversine on a sphere differs from the ellipsoid by up to about 0.5%.
					if km := haversineKm(o.Lat, o.Lon, v.Lat, v.Lon); km*1000 > o.CEm*1.006+1 {
						t.Errorf("violation %s: observation %s is %.0f m from the truth, beyond its ce_m %v", v.ID, id, km*1000, o.CEm)
					}
					if v.OriginLat != nil {
						olat, _ := o.Attrs["origin_lat"].(float64)
						olon, _ := o.Attrs["origin_lon"].(float64)
						oce, _ := o.Attrs["origin_ce_m"].(float64)
						if km := haversineKm(olat, olon, *v.OriginLat, *v.OriginLon); km*1000 > oce*1.006+1 {
							t.Errorf("violation %s: reported origin is %.0f m from the true origin, beyond origin_ce_m %v", v.ID, km*1000, oce)
						}
					}
					ok := false
					for _, f := range j.Judge(o, nil) {
						if f.Rule == v.Rule && f.Status == truce.StatusInside && f.Party == v.Party {
							ok = true
						}
					}
					if !ok {
						t.Errorf("violation %s: rule %s does not fire inside, attributed to %q, on %s", v.ID, v.Rule, v.Party, id)
						continue
					}
					fired[v.Rule]++
				}
			}
			for _, r := range j.Agreement().Rules {
				if fired[r.ID] == 0 {
					t.Errorf("rule %s was never injected", r.ID)
				}
			}
			// Each injected observation is listed by the violation its label names.
			byViolation := map[string]*sim.Violation{}
			for _, v := range g.t.Violations {
				byViolation[v.ID] = v
			}
			for _, l := range g.t.Observations {
				if l.Generator != sim.GenInjected {
					continue
				}
				if v := byViolation[l.InjectedID]; v == nil || !slices.Contains(v.Observations, l.ID) {
					t.Errorf("%s: violation %q does not list it", l.ID, l.InjectedID)
				}
			}
		})
	}
}

func TestObservationsAreTimeOrderedValidAndUnique(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			g := dayOf(t, name)
			start := sim.DefaultStart
			end := start.Add(24 * time.Hour)
			seen := map[string]bool{}
			for i := range g.obs {
				o := &g.obs[i]
				if err := o.Validate(); err != nil {
					t.Errorf("%s: %v", o.ID, err)
				}
				if i > 0 && o.Time.Before(g.obs[i-1].Time) {
					t.Errorf("%s at %s comes after %s at %s", o.ID, o.Time, g.obs[i-1].ID, g.obs[i-1].Time)
				}
				if o.Time.Before(start) || !o.Time.Before(end) {
					t.Errorf("%s at %s is outside [%s, %s)", o.ID, o.Time, start, end)
				}
				key := o.Source + "\x00" + o.ID
				if seen[key] || seen[o.ID] {
					t.Errorf("%s from %s is not unique", o.ID, o.Source)
				}
				seen[key], seen[o.ID] = true, true
			}
		})
	}
}

// TestBearingsPointFromSensorToEvent checks every acoustic bearing against the direction from
// the sensor to the sound its event made, computed here on a sphere (which at these ranges
// differs from the ellipsoid by far less than the noise): each error is within five of the
// sensor's standard deviations, and the errors in units of their deviation have a root mean
// square near one, as Gaussian noise of the stated deviation must.
func TestBearingsPointFromSensorToEvent(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			g := dayOf(t, name)
			events := map[string]*sim.Event{}
			for _, e := range g.t.Events {
				events[e.ID] = e
			}
			var sumSq float64
			n := 0
			for i, l := range g.t.Observations {
				if l.Generator != sim.GenAcoustic {
					continue
				}
				o := &g.obs[i]
				e := events[l.EventID]
				if e == nil {
					t.Fatalf("%s: event %q is not in the truth", o.ID, l.EventID)
				}
				if !slices.Contains(e.Reports, o.ID) {
					t.Errorf("%s: event %s does not list it", o.ID, e.ID)
				}
				if o.Kind != e.Kind || o.Time.Before(e.Time) {
					t.Errorf("%s: kind %s at %s for event %s of kind %s at %s", o.ID, o.Kind, o.Time, e.ID, e.Kind, e.Time)
				}
				bearing, _ := o.Attrs["bearing_deg"].(float64)
				sd, _ := o.Attrs["bearing_sd_deg"].(float64)
				if sd < 2 || sd > 5 {
					t.Errorf("%s: bearing standard deviation %v is outside [2, 5]", o.ID, sd)
				}
				want := sphericalBearing(o.Lat, o.Lon, e.HeardLat, e.HeardLon)
				diff := math.Remainder(bearing-want, 360)
				if math.Abs(diff) > 5*sd {
					t.Errorf("%s: bearing %.1f, true %.1f: off by %.1f°, more than 5σ (σ=%.1f)", o.ID, bearing, want, diff, sd)
				}
				sumSq += (diff / sd) * (diff / sd)
				n++
			}
			if n < 100 {
				t.Fatalf("only %d acoustic reports in a day", n)
			}
			if rms := math.Sqrt(sumSq / float64(n)); rms < 0.8 || rms > 1.2 {
				t.Errorf("normalised bearing error has RMS %.2f over %d reports; Gaussian noise of the stated σ gives about 1", rms, n)
			}
		})
	}
}

func sphericalBearing(lat1, lon1, lat2, lon2 float64) float64 {
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dl := (lon2 - lon1) * math.Pi / 180
	y := math.Sin(dl) * math.Cos(p2)
	x := math.Cos(p1)*math.Sin(p2) - math.Sin(p1)*math.Cos(p2)*math.Cos(dl)
	return math.Mod(math.Atan2(y, x)*180/math.Pi+360, 360)
}

// TestEventsAreHeardBySeveralSensors checks that fire events give fusion something to do:
// most are heard by two or more sensors, and every report an event lists is in the output.
func TestEventsAreHeardBySeveralSensors(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			g := dayOf(t, name)
			ids := map[string]bool{}
			for _, o := range g.obs {
				ids[o.ID] = true
			}
			several := 0
			for _, e := range g.t.Events {
				if len(e.Reports) >= 2 {
					several++
				}
				for _, id := range e.Reports {
					if !ids[id] {
						t.Errorf("event %s: report %s is not in the output", e.ID, id)
					}
				}
				if e.Party == "" {
					t.Errorf("event %s has no firing party", e.ID)
				}
			}
			if len(g.t.Events) == 0 || several*2 < len(g.t.Events) {
				t.Errorf("%d of %d events heard by two or more sensors; want most", several, len(g.t.Events))
			}
		})
	}
}

// TestMerchantShipsKeepToTheCorridorAtTheirSpeed follows each merchant ship's AIS reports: they
// stay in the corridor, and on a steady course the distance between consecutive reports
// matches the reported speed (through a turn the straight line between them is shorter).
func TestMerchantShipsKeepToTheCorridorAtTheirSpeed(t *testing.T) {
	g := dayOf(t, "notional-east")
	j := freshJudge(t, "notional-east")
	corridor := j.Agreement().ZoneIndex("corridor")
	loc := j.Engine().NewLocation()
	last := map[float64]*truce.Observation{}
	checked := 0
	for i := range g.obs {
		o := &g.obs[i]
		if o.Source != "ais" {
			continue
		}
		j.Engine().Locate(o.Lat, o.Lon, o.CEm, loc)
		if loc.Zones[corridor] == 0 {
			t.Errorf("%s at %.5f, %.5f is outside the corridor", o.ID, o.Lat, o.Lon)
		}
		mmsi := o.Attrs["mmsi"].(float64)
		if p := last[mmsi]; p != nil {
			hours := o.Time.Sub(p.Time).Hours()
			turn := math.Abs(math.Remainder(o.Attrs["course"].(float64)-p.Attrs["course"].(float64), 360))
			if hours < 0.5 && turn < 10 { // not a stay in port, nor a turn
				km := haversineKm(p.Lat, p.Lon, o.Lat, o.Lon)
				knots := km / 1.852 / hours
				if sp := o.Attrs["speed"].(float64); math.Abs(knots-sp) > 1.5 {
					t.Errorf("%s: moved at %.1f kn since its last report, reports %.1f kn", o.ID, knots, sp)
				}
				checked++
			}
		}
		last[mmsi] = o
	}
	if checked < 1000 {
		t.Errorf("only %d consecutive AIS reports checked", checked)
	}
}

func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0088
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	h := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// TestRateScalesTheVolume checks the documented volumes of a day on notional-east.
func TestRateScalesTheVolume(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a busy day")
	}
	tests := []struct {
		rate     float64
		min, max int
	}{
		{0.5, 2000, 4000},
		{1, 4000, 7000},
		{20, 80_000, 120_000},
	}
	j := judgeFor(t, "notional-east")
	for _, tt := range tests {
		s, err := sim.New(j, sim.Config{Hours: 24, Seed: 1, Rate: tt.rate})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for range s.Observations() {
			n++
		}
		if n < tt.min || n > tt.max {
			t.Errorf("rate %v: %d observations in a day, want %d to %d", tt.rate, n, tt.min, tt.max)
		}
	}
}

func TestStoppingEarlyYieldsAPrefix(t *testing.T) {
	j := judgeFor(t, "notional-east")
	s, err := sim.New(j, sim.Config{Hours: 3, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	var all, some []string
	for o := range s.Observations() {
		all = append(all, o.ID)
	}
	for o := range s.Observations() {
		if len(some) == 100 {
			break
		}
		some = append(some, o.ID)
	}
	if len(all) < 100 || !slices.Equal(all[:100], some) {
		t.Errorf("the first 100 of a second run differ from the first run's")
	}
}

func TestBadConfigIsRefusedNamingTheField(t *testing.T) {
	tests := []struct {
		name  string
		cfg   sim.Config
		field string
	}{
		{"no hours", sim.Config{}, "hours"},
		{"negative hours", sim.Config{Hours: -1}, "hours"},
		{"NaN hours", sim.Config{Hours: math.NaN()}, "hours"},
		{"negative rate", sim.Config{Hours: 1, Rate: -2}, "rate"},
		{"absurd rate", sim.Config{Hours: 1, Rate: 1e6}, "rate"},
		{"NaN violations", sim.Config{Hours: 1, ViolationsPerHour: math.NaN()}, "violations"},
	}
	j := judgeFor(t, "notional-east")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sim.New(j, tt.cfg)
			if truce.ErrorCode(err) != truce.EINVALID || !bytes.HasPrefix([]byte(err.Error()), []byte(tt.field)) {
				t.Errorf("got %v, want an invalid error about %s", err, tt.field)
			}
		})
	}
}

func TestAgreementWithNothingToPatrolIsRefused(t *testing.T) {
	a := &truce.Agreement{ID: "empty", Parties: []truce.Party{{ID: "a", Name: "A"}}}
	j, err := rules.Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.New(j, sim.Config{Hours: 1}); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("got %v, want an invalid error", err)
	}
}

func TestNoViolationsWhenDisabled(t *testing.T) {
	g := generate(t, "notional-east", sim.Config{Hours: 12, Seed: 3, ViolationsPerHour: -1})
	for _, l := range g.t.Observations {
		if l.Generator == sim.GenInjected {
			t.Fatalf("%s injected with violations disabled", l.ID)
		}
	}
	if len(g.t.Violations) != 0 {
		t.Errorf("%d violations recorded", len(g.t.Violations))
	}
}
