package rules

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/decode"
	"github.com/truce-project/truce/internal/cputime"
)

func compileExample(t testing.TB, name string) *Judge {
	t.Helper()
	a, err := agreement.Load(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	j, err := Compile(a)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return j
}

func readExampleObservations(t testing.TB, name string) []*truce.Observation {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "examples", name, "observations.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*truce.Observation
	err = decode.Read(f, decode.NDJSON, decode.Options{}, func(line int, o *truce.Observation, rerr *decode.RecordError) error {
		if rerr != nil {
			t.Fatalf("example observation: %v", rerr)
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expected reads observations.expected: "id: rule rule ...".
func expected(t *testing.T, name string) map[string][]string {
	f, err := os.Open(filepath.Join("..", "examples", name, "observations.expected"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		id, rules, _ := strings.Cut(line, ":")
		out[id] = strings.Fields(rules)
		slices.Sort(out[id])
	}
	return out
}

// TestExamplesRaiseExactlyTheExpectedRules judges each example's observations and compares the
// rules each one breaks with the file of expectations beside it, and checks that every rule of
// the agreement is exercised.
func TestExamplesRaiseExactlyTheExpectedRules(t *testing.T) {
	for _, name := range []string{"notional-east", "cyprus"} {
		t.Run(name, func(t *testing.T) {
			j := compileExample(t, name)
			want := expected(t, name)
			seen := map[string]bool{}
			for _, o := range readExampleObservations(t, name) {
				var got []string
				for _, f := range j.Judge(o, nil) {
					got = append(got, f.Rule)
					seen[f.Rule] = true
					if f.Agreement != j.Agreement().Hash || f.Explanation == "" || f.Article == "" {
						t.Errorf("%s: incomplete finding %+v", o.ID, f)
					}
				}
				slices.Sort(got)
				w, ok := want[o.ID]
				if !ok {
					t.Errorf("%s: no expectation in observations.expected", o.ID)
				}
				if !slices.Equal(got, w) {
					t.Errorf("%s: broke %v, want %v", o.ID, got, w)
				}
			}
			for _, r := range j.Agreement().Rules {
				if !seen[r.ID] {
					t.Errorf("rule %s is not exercised by the example observations", r.ID)
				}
			}
		})
	}
}

func observation(kind string, lon, lat, ce float64, party string, attrs map[string]any) *truce.Observation {
	return &truce.Observation{ID: "t", Source: "test", Time: time.Date(2026, 5, 2, 8, 0, 0, 0, time.UTC),
		Kind: kind, Lon: lon, Lat: lat, CEm: ce, Party: party, Attrs: attrs}
}

func findingOf(t *testing.T, j *Judge, o *truce.Observation, rule string) *truce.Finding {
	t.Helper()
	for _, f := range j.Judge(o, nil) {
		if f.Rule == rule {
			return &f
		}
	}
	return nil
}

func TestAttribution(t *testing.T) {
	j := compileExample(t, "notional-east")
	// Points in the DMZ along the segment (35.9, 47.60)-(36.8, 47.75), whose left is north.
	north := [2]float64{36.35, 47.70} // about 3.6 km north-west of the line: Party West's side
	south := [2]float64{36.35, 47.64} // about 3.1 km south-east: Party East's side
	cases := []struct {
		name        string
		o           *truce.Observation
		rule        string
		party       string
		explanation string
	}{
		{"observed affiliation wins", observation("presence.vehicle", north[0], north[1], 10, "east", nil), "dmz-presence", "east", "attributed to Party East by observed affiliation"},
		{"no affiliation falls back to side", observation("presence.vehicle", north[0], north[1], 10, "", nil), "dmz-presence", "west", "attributed to Party West by side of the line of contact"},
		{"an affiliation that is no party falls back to side", observation("presence.vehicle", south[0], south[1], 10, "unknown", nil), "dmz-presence", "east", "attributed to Party East by side of the line of contact"},
		{"side rule ignores affiliation", observation("presence.mine", south[0], south[1], 10, "west", nil), "dmz-mines", "east", "on Party East's side of the line of contact"},
		{"uncertainty across the line is undetermined", observation("presence.mine", 36.35, 47.675, 5000, "", nil), "dmz-mines", truce.PartyUndetermined, "responsibility undetermined"},
		{"origin of fire located", observation("fire.explosion", south[0], south[1], 100, "", map[string]any{"origin_lat": 47.80, "origin_lon": 36.35, "origin_ce_m": 500.0}), "ceasefire", "west", "origin of fire, side of the line of contact"},
		{"origin of fire unknown", observation("fire.explosion", south[0], south[1], 100, "", nil), "ceasefire", truce.PartyUndetermined, "the origin of fire has not been located"},
		{"origin too uncertain", observation("fire.explosion", south[0], south[1], 100, "", map[string]any{"origin_lat": 47.675, "origin_lon": 36.35, "origin_ce_m": 9000.0}), "ceasefire", truce.PartyUndetermined, "origin of fire the position is within its uncertainty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := findingOf(t, j, c.o, c.rule)
			if f == nil {
				t.Fatalf("no %s finding; got %+v", c.rule, j.Judge(c.o, nil))
			}
			if f.Party != c.party {
				t.Errorf("party %q, want %q (%s)", f.Party, c.party, f.Explanation)
			}
			if !strings.Contains(f.Explanation, c.explanation) {
				t.Errorf("explanation %q does not say %q", f.Explanation, c.explanation)
			}
		})
	}
}

func TestUncertaintyAcrossTheDMZBoundaryIsPossible(t *testing.T) {
	j := compileExample(t, "notional-east")
	// About 7.4 km north of the line: just inside the 7.5 km DMZ.
	base := observation("presence.vehicle", 36.35, 47.7415, 0, "west", nil)
	exact := findingOf(t, j, base, "dmz-presence")
	if exact == nil || exact.Status != truce.StatusInside || exact.Confidence != 1 {
		t.Fatalf("exact point: %+v", exact)
	}
	fuzzy := *base
	fuzzy.CEm = 1000
	f := findingOf(t, j, &fuzzy, "dmz-presence")
	if f == nil || f.Status != truce.StatusPossible {
		t.Fatalf("uncertain point: %+v", f)
	}
	if f.Confidence <= 0.5 || f.Confidence >= 1 {
		t.Errorf("confidence %v: the centre is inside, so more than half but not all of the circle is", f.Confidence)
	}
	if !strings.Contains(f.Explanation, "possibly inside the demilitarised zone (position ±1.0 km") {
		t.Errorf("explanation %q", f.Explanation)
	}
	outside := *base
	outside.Lat = 47.80 // about 14 km north
	outside.CEm = 1000
	if f := findingOf(t, j, &outside, "dmz-presence"); f != nil {
		t.Errorf("a point well outside gave %+v", f)
	}
}

func TestExplanationReadsAsASentence(t *testing.T) {
	j := compileExample(t, "notional-east")
	f := findingOf(t, j, observation("presence.vehicle", 36.35962, 47.64884, 50, "east", nil), "dmz-presence")
	if f == nil {
		t.Fatal("no finding")
	}
	want := "presence.vehicle 4.5 km inside the demilitarised zone, 3.0 km on Party East's side of the line of contact — Art. 1(1) (No military personnel, vehicles, weapons or fortifications in the demilitarised zone); attributed to Party East by observed affiliation"
	if f.Explanation != want {
		t.Errorf("explanation\n got %s\nwant %s", f.Explanation, want)
	}
	if f.Zone != "dmz" || f.Article != "Art. 1(1)" || f.Severity != "major" || f.ID != FindingID("test", "t", "dmz-presence") {
		t.Errorf("finding %+v", f)
	}
}

func TestConditionOnMissingAttributeDoesNotHold(t *testing.T) {
	j := compileExample(t, "notional-east")
	// Inside the 50 km band, a weapon of unknown calibre.
	o := observation("presence.weapon", 36.82011, 48.04257, 30, "west", map[string]any{"category": "artillery"})
	before := j.ConditionErrors()
	if f := findingOf(t, j, o, "artillery-50"); f != nil {
		t.Errorf("finding without a calibre: %+v", f)
	}
	if j.ConditionErrors() <= before {
		t.Error("the failed evaluation was not counted")
	}
	o.Attrs["caliber_mm"] = 152.0
	if f := findingOf(t, j, o, "artillery-50"); f == nil {
		t.Error("no finding with a calibre of 152 mm")
	}
}

func TestWindowSuspendsOnlyItsRulesTimeAndPlace(t *testing.T) {
	j := compileExample(t, "notional-east")
	at := func(hour int, lon, lat float64) *truce.Observation {
		o := observation("presence.vehicle", lon, lat, 20, "west", nil)
		o.Time = time.Date(2026, 5, 1, hour, 0, 0, 0, time.UTC)
		return o
	}
	cases := []struct {
		name string
		o    *truce.Observation
		want bool // a dmz-presence finding
	}{
		{"in the window", at(8, 37.83918, 48.18035), false},
		{"before it opens", at(5, 37.83918, 48.18035), true},
		{"at its end (exclusive)", at(12, 37.83918, 48.18035), true},
		{"elsewhere in the DMZ meanwhile", at(8, 36.35962, 47.64884), true},
	}
	for _, c := range cases {
		if got := findingOf(t, j, c.o, "dmz-presence") != nil; got != c.want {
			t.Errorf("%s: finding %v, want %v", c.name, got, c.want)
		}
	}
}

func TestLineConditionBeyondAndSide(t *testing.T) {
	a := minimalAgreement(t, `
  - {id: far-west, article: "Art. 9", kinds: [presence.weapon], line: {line: contact, beyond_km: 20, within_km: 60, side: left}, attribution: side}
`)
	j, err := Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	// The minimal line runs north from (35.0, 46.0); left is west. At latitude 47.5 the line is
	// near lon 35.35; one degree of longitude there is about 75 km.
	cases := []struct {
		name string
		lon  float64
		want string // status, or "" for no finding
	}{
		{"10 km west: too near", 35.35 - 10.0/75, ""},
		{"40 km west", 35.35 - 40.0/75, truce.StatusInside},
		{"80 km west: too far", 35.35 - 80.0/75, ""},
		{"40 km east: wrong side", 35.35 + 40.0/75, ""},
	}
	for _, c := range cases {
		f := findingOf(t, j, observation("presence.weapon", c.lon, 47.5, 0, "", nil), "far-west")
		got := ""
		if f != nil {
			got = f.Status
			if f.Party != "a" {
				t.Errorf("%s: party %q, want a", c.name, f.Party)
			}
		}
		if got != c.want {
			t.Errorf("%s: status %q, want %q", c.name, got, c.want)
		}
	}
}

// minimalAgreement loads agreement/testdata/minimal with extra rules appended.
func minimalAgreement(t *testing.T, extraRules string) *truce.Agreement {
	t.Helper()
	fsys := fstest.MapFS{}
	dir := filepath.Join("..", "agreement", "testdata", "minimal")
	for _, name := range []string{"agreement.yaml", "geo/line.geojson", "geo/da-1.geojson"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
	}
	fsys["agreement.yaml"].Data = append(fsys["agreement.yaml"].Data, []byte(extraRules)...)
	a, err := agreement.LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBadConditionsAreReportedWithTheirRule(t *testing.T) {
	cases := []struct{ when, want string }{
		{"attrs.caliber_mm >=", `rule "bad": when: ERROR`},
		{"attrs.caliber_mm + 1", `rule "bad": when: the condition yields`},
		{"nosuchvar == 1", `undeclared reference to 'nosuchvar'`},
	}
	for _, c := range cases {
		a := minimalAgreement(t, "\n  - {id: bad, article: X, kinds: [presence.weapon], when: \""+c.when+"\"}\n")
		_, err := Compile(a)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "agreement.yaml:") {
			t.Errorf("when %q: error %v, want it to contain %q and the file and line", c.when, err, c.want)
		}
	}
}

func TestDiskFractionInside(t *testing.T) {
	cases := []struct{ depth, r, want float64 }{
		{0, 100, 0.5}, {100, 100, 1}, {-100, 100, 0}, {500, 100, 1}, {-500, 100, 0},
		{50, 100, 0.80}, {-50, 100, 0.20}, {10, 0, 1}, {-10, 0, 0},
	}
	for _, c := range cases {
		if got := diskFractionInside(c.depth, c.r); math.Abs(got-c.want) > 0.005 {
			t.Errorf("diskFractionInside(%v, %v) = %v, want %v", c.depth, c.r, got, c.want)
		}
	}
}

// benchObservations is a day's mix for the notional agreement: the example observations (which
// break rules) and reports scattered over the whole theatre (most of which break none), every
// kind represented.
func benchObservations(b *testing.B) []*truce.Observation {
	obs := readExampleObservations(b, "notional-east")
	rng := rand.New(rand.NewPCG(1, 2))
	for len(obs) < 4096 {
		o := *obs[rng.IntN(28)]
		o.Kind = truce.Kinds[rng.IntN(len(truce.Kinds))]
		o.Lon = 30 + rng.Float64()*10
		o.Lat = 44 + rng.Float64()*7
		o.CEm = rng.Float64() * 500
		obs = append(obs, &o)
	}
	return obs
}

// BenchmarkJudgeNotional is the cost of judging one observation against the notional agreement:
// every zone, every line, every rule.
func BenchmarkJudgeNotional(b *testing.B) {
	j := compileExample(b, "notional-east")
	obs := benchObservations(b)
	var buf []truce.Finding
	findings := 0
	b.ReportAllocs()
	stop := cputime.Report(b)
	for i := 0; i < b.N; i++ {
		buf = j.Judge(obs[i%len(obs)], buf[:0])
		findings += len(buf)
	}
	stop()
	b.ReportMetric(float64(findings)/float64(b.N), "findings/op")
}

// BenchmarkJudgeNoFinding judges observations of kinds every rule concerns at places that
// break nothing: the whole locate-and-check path without building a finding.
func BenchmarkJudgeNoFinding(b *testing.B) {
	j := compileExample(b, "notional-east")
	o := observation("presence.weapon", 34.6, 49.3, 50, "west", map[string]any{"category": "artillery", "caliber_mm": 152.0})
	if len(j.Judge(o, nil)) != 0 {
		b.Fatal("the benchmark observation breaks a rule")
	}
	var buf []truce.Finding
	b.ReportAllocs()
	stop := cputime.Report(b)
	for i := 0; i < b.N; i++ {
		buf = j.Judge(o, buf[:0])
	}
	stop()
}

// BenchmarkJudgeWithFinding is an observation that breaks a rule, including the explanation.
func BenchmarkJudgeWithFinding(b *testing.B) {
	j := compileExample(b, "notional-east")
	o := observation("presence.weapon", 36.82011, 48.04257, 30, "west", map[string]any{"category": "artillery", "caliber_mm": 152.0})
	if len(j.Judge(o, nil)) != 1 {
		b.Fatal("the benchmark observation should break one rule")
	}
	var buf []truce.Finding
	b.ReportAllocs()
	stop := cputime.Report(b)
	for i := 0; i < b.N; i++ {
		buf = j.Judge(o, buf[:0])
	}
	stop()
}
