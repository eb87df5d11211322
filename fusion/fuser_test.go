package fusion

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/rules"
)

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

var notionalEast = func() func(t testing.TB) *rules.Judge {
	var j *rules.Judge
	return func(t testing.TB) *rules.Judge {
		t.Helper()
		if j == nil {
			a, err := agreement.Load("../examples/notional-east")
			if err != nil {
				t.Fatal(err)
			}
			if j, err = rules.Compile(a); err != nil {
				t.Fatal(err)
			}
		}
		return j
	}
}()

// sighting is a patrol's position report.
func sighting(source, id, kind string, lat, lon, ce float64, at time.Duration) truce.Observation {
	return truce.Observation{ID: id, Source: source, Kind: kind, Lat: lat, Lon: lon, CEm: ce, Time: t0.Add(at),
		Attrs: map[string]any{}}
}

// heard is an acoustic sensor's report of a sound at lat, lon emitted at emitted: the exact
// bearing plus offDeg, at the time the sound arrives.
func heard(sensor string, n int, kind string, s Sensor, lat, lon, offDeg float64, emitted time.Duration) truce.Observation {
	d, az := inverse(s.Lat, s.Lon, lat, lon)
	o := sighting(sensor, fmt.Sprintf("%s-%06d", sensor, n), kind, s.Lat, s.Lon, 5,
		emitted+time.Duration(d/SpeedOfSound*float64(time.Second)).Round(time.Millisecond))
	o.Attrs["bearing_deg"] = math.Round(math.Mod(az+offDeg+360, 360)*10) / 10
	o.Attrs["bearing_sd_deg"] = s.SDDeg
	return o
}

func mustAdd(t *testing.T, f *Fuser, o truce.Observation) *Incident {
	t.Helper()
	inc, err := f.Add(o, nil)
	if err != nil {
		t.Fatalf("add %s: %v", o.ID, err)
	}
	return inc
}

func TestTwoPatrolsReportingOneThingMakeOneIncident(t *testing.T) {
	f := New(nil, nil, Config{})
	a := mustAdd(t, f, sighting("patrol-1", "p1-1", "presence.vehicle", 47.9, 37.2, 300, 0))
	lat, lon := destination(47.9, 37.2, 60, 450)
	b := mustAdd(t, f, sighting("patrol-2", "p2-7", "presence.vehicle", lat, lon, 200, 20*time.Minute))
	if a != b {
		t.Fatalf("two reports whose circles overlap, 20 minutes apart, made incidents %s and %s", a.ID, b.ID)
	}
	if a.ID != IncidentID("patrol-1", "p1-1") || a.Sources != 2 || math.Abs(a.Confidence-0.84) > 1e-9 {
		t.Errorf("incident %s with %d sources, confidence %v; want the first member's id, 2, 0.84", a.ID, a.Sources, a.Confidence)
	}
	// The combined position weighs the more precise report more.
	if d := distanceM(a.Position.Lat, a.Position.Lon, lat, lon); d > 225 {
		t.Errorf("combined position %.0f m from the 200 m report", d)
	}
}

func TestReportsThatCannotBeOneEventStayApart(t *testing.T) {
	far, farLon := destination(47.9, 37.2, 60, 900)
	tests := []struct {
		name   string
		second truce.Observation
	}{
		{"another kind", sighting("patrol-2", "x", "presence.personnel", 47.9, 37.2, 300, time.Minute)},
		{"circles that do not meet", sighting("patrol-2", "x", "presence.vehicle", far, farLon, 300, time.Minute)},
		{"too long after", sighting("patrol-2", "x", "presence.vehicle", 47.9, 37.2, 300, 50*time.Minute)},
		{"the same source again", sighting("patrol-1", "p1-2", "presence.vehicle", 47.9, 37.2, 300, time.Minute)},
		{"a flare is not a shot", sighting("patrol-2", "x", "fire.flare", 47.9, 37.2, 300, time.Minute)},
		{"a position vaguer than the hearing range", sighting("patrol-2", "x", "presence.vehicle", 47.9, 37.2, 100000, time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(nil, nil, Config{})
			first := sighting("patrol-1", "p1-1", "presence.vehicle", 47.9, 37.2, 300, 0)
			if tt.second.Kind == "fire.flare" {
				first.Kind = "fire.burst"
			}
			a := mustAdd(t, f, first)
			if b := mustAdd(t, f, tt.second); a == b {
				t.Errorf("grouped into one incident")
			}
		})
	}
}

func TestResentReportReturnsItsIncident(t *testing.T) {
	f := New(nil, nil, Config{})
	o := sighting("patrol-1", "p1-1", "presence.vehicle", 47.9, 37.2, 300, 0)
	a := mustAdd(t, f, o)
	if b := mustAdd(t, f, o); a != b || len(b.Members) != 1 {
		t.Errorf("a re-sent report made %d members", len(b.Members))
	}
}

// Three acoustic sensors and a monitor's estimate of the firing position hear and see one
// burst of machine-gun fire on Party East's side: one incident, located where the burst was,
// and attributed to Party East.
func TestSensorsAndMonitorsOfOneBurstAreOneAttributedIncident(t *testing.T) {
	j := notionalEast(t)
	f := New(j.Agreement(), j.Engine(), Config{})
	lat, lon, _ := sideOfLine(t, j, "east", 2500)
	sensors := []Sensor{}
	for _, az := range []float64{200, 280, 10} {
		slat, slon := destination(lat, lon, az, 6000)
		sensors = append(sensors, Sensor{slat, slon, 3})
	}
	var inc *Incident
	for i, s := range sensors {
		inc = mustAdd(t, f, heard(fmt.Sprintf("acoustic-%d", i+1), 1, "fire.burst", s, lat, lon, []float64{2, -3, 1}[i], 0))
	}
	m := sighting("patrol-4", "p4-9", "fire.burst", 0, 0, 0, 3*time.Minute)
	m.Lat, m.Lon = destination(lat, lon, 45, 150)
	m.CEm = 400
	m.Attrs["position_of"] = "origin"
	if got := mustAdd(t, f, m); got != inc {
		t.Fatalf("the monitor's report made incident %s apart from the sensors' %s", got.ID, inc.ID)
	}
	if len(inc.Members) != 4 || inc.Sources != 4 {
		t.Errorf("%d members from %d sources; want 4 and 4", len(inc.Members), inc.Sources)
	}
	if inc.Origin == nil || inc.Origin.Bearings != 3 || inc.Origin.Points != 1 {
		t.Fatalf("origin %+v; want a fix from 3 bearings and 1 position", inc.Origin)
	}
	if d := distanceM(inc.Origin.Lat, inc.Origin.Lon, lat, lon); d > inc.Origin.Ellipse.SemiMajorM {
		t.Errorf("origin %.0f m from the burst, outside its ellipse %v", d, inc.Origin.Ellipse)
	}
	if inc.Attribution.Party != "east" || !strings.Contains(inc.Attribution.Explanation, "entirely on Party East's side") {
		t.Errorf("attribution %+v; want Party East", inc.Attribution)
	}
}

// An explosion is heard where the shell lands: its bearings locate the impact, which says
// nothing of who fired.
func TestExplosionsLocateTheImpactAndLeaveTheOriginUndetermined(t *testing.T) {
	j := notionalEast(t)
	f := New(j.Agreement(), j.Engine(), Config{})
	lat, lon, _ := sideOfLine(t, j, "west", 4000)
	var inc *Incident
	for i, az := range []float64{100, 200, 330} {
		slat, slon := destination(lat, lon, az, 12000)
		inc = mustAdd(t, f, heard(fmt.Sprintf("acoustic-%d", i+1), 1, "fire.explosion", Sensor{slat, slon, 4}, lat, lon, 0, 0))
	}
	if len(inc.Members) != 3 || inc.Position == nil || inc.Position.Target != TargetImpact {
		t.Fatalf("incident of %d members, position %+v; want the impact from 3 bearings", len(inc.Members), inc.Position)
	}
	if inc.Origin != nil || inc.Attribution.Party != truce.PartyUndetermined ||
		!strings.Contains(inc.Attribution.Explanation, "impact") {
		t.Errorf("origin %+v, attribution %+v; want no origin and undetermined because only the impact is located", inc.Origin, inc.Attribution)
	}
}

func TestAcousticReportsOfTwoSoundsStayApart(t *testing.T) {
	f := New(nil, nil, Config{})
	lat, lon := 47.9, 37.2
	s1lat, s1lon := destination(lat, lon, 180, 8000)
	s2lat, s2lon := destination(lat, lon, 270, 8000)
	a := mustAdd(t, f, heard("acoustic-1", 1, "fire.explosion", Sensor{s1lat, s1lon, 3}, lat, lon, 0, 0))
	// The second sensor hears a sound 10 km from the first, a few seconds later.
	olat, olon := destination(lat, lon, 0, 10000)
	b := mustAdd(t, f, heard("acoustic-2", 1, "fire.explosion", Sensor{s2lat, s2lon, 3}, olat, olon, 0, 5*time.Second))
	if a == b {
		t.Error("bearings of two sounds whose arrival times do not fit one source were grouped")
	}
}

func TestSplitOffReportIsNotRegrouped(t *testing.T) {
	f := New(nil, nil, Config{})
	a := sighting("patrol-1", "p1-1", "presence.vehicle", 47.9, 37.2, 300, 0)
	b := sighting("patrol-2", "p2-1", "presence.vehicle", 47.9, 37.2, 300, 5*time.Minute)
	inc := mustAdd(t, f, a)
	mustAdd(t, f, b)
	split, err := f.Split(inc.ID, []string{"p2-1"})
	if err != nil {
		t.Fatal(err)
	}
	if split.ID != IncidentID("patrol-2", "p2-1") || len(split.Members) != 1 || len(f.Incident(inc.ID).Members) != 1 {
		t.Fatalf("split made %s of %d members", split.ID, len(split.Members))
	}
	// Re-sending the split-off report leaves it where the analyst put it.
	if got := mustAdd(t, f, b); got.ID != split.ID {
		t.Errorf("re-sent report is in %s; want %s", got.ID, split.ID)
	}
	// After the split-off incident closes, a re-sent copy still does not rejoin the incident
	// it was split from.
	f2 := New(nil, nil, Config{})
	inc2 := mustAdd(t, f2, a)
	mustAdd(t, f2, b)
	if _, err := f2.Split(inc2.ID, []string{"patrol-2/p2-1"}); err != nil {
		t.Fatal(err)
	}
	f2.forget(f2.Incident(IncidentID("patrol-2", "p2-1")))
	if got := mustAdd(t, f2, b); got == f2.Incident(inc2.ID) {
		t.Error("a split-off report rejoined the incident it was split from")
	}
	// A third patrol's report may still join the original.
	c := sighting("patrol-3", "p3-1", "presence.vehicle", 47.9, 37.2, 300, 10*time.Minute)
	if got := mustAdd(t, f, c); got.ID != inc.ID && got.ID != split.ID {
		t.Errorf("third report made a new incident %s", got.ID)
	}
}

func TestMergedIncidentsStayMergedUnderTheEarlierID(t *testing.T) {
	f := New(nil, nil, Config{})
	a := mustAdd(t, f, sighting("patrol-1", "p1-1", "presence.vehicle", 47.9, 37.2, 100, 0))
	b := mustAdd(t, f, sighting("patrol-2", "p2-1", "presence.vehicle", 47.92, 37.2, 100, 3*time.Minute))
	if a == b {
		t.Fatal("reports 2 km apart with 100 m circles grouped")
	}
	m, err := f.Merge(b.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != a.ID || len(m.Members) != 2 || f.Incident(b.ID) != nil || f.Open() != 1 {
		t.Fatalf("merged into %s with %d members, %d open", m.ID, len(m.Members), f.Open())
	}
	// A later report near either member joins the merged incident, which stays one.
	c := mustAdd(t, f, sighting("patrol-3", "p3-1", "presence.vehicle", 47.92, 37.2, 100, 6*time.Minute))
	if c != m || f.Open() != 1 {
		t.Errorf("later report made %s; %d incidents open", c.ID, f.Open())
	}
	if _, err := f.Merge(a.ID, "incident-none"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("merging with an unknown incident: %v", err)
	}
	if _, err := f.Split(a.ID, []string{"p1-1", "p2-1", "p3-1"}); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("splitting off every member: %v", err)
	}
	if _, err := f.Split(a.ID, []string{"nobody"}); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("splitting off a non-member: %v", err)
	}
}

// A day of reports at a thousand places: incidents close a horizon after their last report,
// so the open set stays the size of one horizon's traffic, and every incident is closed once.
func TestHorizonBoundsMemory(t *testing.T) {
	closed := map[string]int{}
	f := New(nil, nil, Config{Horizon: time.Hour, OnClose: func(inc *Incident) { closed[inc.ID]++ }})
	const n = 20000
	peak := 0
	for i := range n {
		lat, lon := 46+float64(i%100)*0.05, 33+float64(i/100%100)*0.05
		mustAdd(t, f, sighting(fmt.Sprintf("patrol-%d", i%7), fmt.Sprint(i), "presence.vehicle", lat, lon, 100, time.Duration(i)*10*time.Second))
		peak = max(peak, f.Open())
	}
	// One hour holds 360 reports; a sweep comes every quarter horizon.
	if peak > 360*5/4+10 {
		t.Errorf("peak of %d open incidents; want about one horizon's 360", peak)
	}
	f.Flush()
	if len(closed) != n || f.Open() != 0 || len(f.byKey) != 0 || len(f.grid) != 0 || len(f.recent) != 0 {
		t.Errorf("closed %d of %d; %d open, %d keys, %d cells left", len(closed), n, f.Open(), len(f.byKey), len(f.grid))
	}
	for id, c := range closed {
		if c != 1 {
			t.Fatalf("%s closed %d times", id, c)
		}
	}
}

func TestMalformedFusionAttributesAreErrorsNamingTheField(t *testing.T) {
	tests := []struct {
		key   string
		value any
		want  string
	}{
		{"bearing_deg", "north", "attrs.bearing_deg"},
		{"bearing_deg", 400.0, "attrs.bearing_deg"},
		{"bearing_deg", math.NaN(), "attrs.bearing_deg"},
		{"bearing_sd_deg", -1.0, "attrs.bearing_sd_deg"},
		{"bearing_of", "sideways", "attrs.bearing_of"},
		{"time_sd_s", 0.0, "attrs.time_sd_s"},
		{"origin_lat", 47.0, "origin_lon"},
		{"origin_ce_m", -5.0, "attrs.origin_ce_m"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			f := New(nil, nil, Config{})
			o := sighting("acoustic-1", "bad-1", "fire.burst", 47.9, 37.2, 5, 0)
			o.Attrs["bearing_deg"] = 10.0
			if tt.key == "origin_ce_m" {
				o.Attrs["origin_lat"], o.Attrs["origin_lon"] = 47.0, 37.0
			}
			o.Attrs[tt.key] = tt.value
			_, err := f.Add(o, nil)
			if err == nil || truce.ErrorCode(err) != truce.EINVALID || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "bad-1") {
				t.Fatalf("error %v; want EINVALID naming bad-1 and %s", err, tt.want)
			}
			// The bad report costs nothing else.
			if inc := mustAdd(t, f, sighting("patrol-1", "good", "fire.burst", 47.9, 37.2, 100, 0)); len(inc.Members) != 1 || f.Open() != 1 {
				t.Errorf("good report after a bad one: %d members, %d open", len(inc.Members), f.Open())
			}
		})
	}
}

func TestTwoMonitorsInOneVehicleAreOneSource(t *testing.T) {
	f := New(nil, nil, Config{})
	inc := mustAdd(t, f, sighting("monitor-a", "a1", "presence.vehicle", 47.9, 37.2, 50, 0))
	mustAdd(t, f, sighting("monitor-b", "b1", "presence.vehicle", 47.90001, 37.2, 50, 30*time.Second))
	if inc.Sources != 1 || inc.Confidence != 0.6 {
		t.Errorf("%d sources, confidence %v; want 1 and 0.6", inc.Sources, inc.Confidence)
	}
	mustAdd(t, f, sighting("patrol-9", "c1", "presence.vehicle", 47.9005, 37.2, 100, 10*time.Minute))
	if inc.Sources != 2 {
		t.Errorf("%d sources after an independent patrol; want 2", inc.Sources)
	}
}

func TestSameInputGivesSameIncidents(t *testing.T) {
	run := func() string {
		var b strings.Builder
		f := New(nil, nil, Config{OnClose: func(inc *Incident) {
			fmt.Fprintln(&b, inc.ID, len(inc.Members))
		}})
		for i := range 500 {
			lat, lon := 47+float64(i%13)*0.003, 37+float64(i%7)*0.003
			mustAdd(t, f, sighting(fmt.Sprintf("patrol-%d", i%5), fmt.Sprint(i), "presence.vehicle", lat, lon, 300, time.Duration(i)*time.Minute))
		}
		f.Flush()
		return b.String()
	}
	if a, b := run(), run(); a != b {
		t.Error("two runs on the same input closed different incidents")
	}
}

// The origin an incident locates is what the rules need to attribute by origin: the
// attributed findings carry the party, and an observation given the origin's attributes is
// attributed by the judge itself.
func TestOriginAttributesFindingsAndTheJudge(t *testing.T) {
	j := notionalEast(t)
	f := New(j.Agreement(), j.Engine(), Config{})
	lat, lon, _ := sideOfLine(t, j, "west", 6000)
	var inc *Incident
	for i, az := range []float64{120, 200, 300} {
		slat, slon := destination(lat, lon, az, 7000)
		o := heard(fmt.Sprintf("acoustic-%d", i+1), 1, "fire.burst", Sensor{slat, slon, 3}, lat, lon, 0, 0)
		var err error
		if inc, err = f.Add(o, j.Judge(&o, nil)); err != nil {
			t.Fatal(err)
		}
	}
	fs := inc.AttributedFindings()
	if len(fs) == 0 {
		t.Fatal("no findings: the ceasefire rule should fire on every report")
	}
	for _, fd := range fs {
		if fd.Attribution == truce.AttributeOrigin && (fd.Party != "west" || !strings.Contains(fd.Explanation, inc.ID)) {
			t.Errorf("finding %s: party %q, %q", fd.Rule, fd.Party, fd.Explanation)
		}
	}
	o := inc.Members[0].Observation
	if !inc.OriginAttrs(o.Attrs) {
		t.Fatal("no origin attributes")
	}
	for _, fd := range j.Judge(&o, nil) {
		if fd.Attribution == truce.AttributeOrigin && fd.Party != "west" {
			t.Errorf("judge attributed %s to %q with the fused origin: %s", fd.Rule, fd.Party, fd.Explanation)
		}
	}
}

// sideOfLine is a point distM from the line of contact on party's side, near its middle.
func sideOfLine(t *testing.T, j *rules.Judge, party string, distM float64) (lat, lon, azLine float64) {
	t.Helper()
	a := j.Agreement()
	li := a.LineIndex("contact")
	path := a.Lines[li].Path
	k := len(path) / 2
	p, q := path[k], path[k+1]
	mlat, mlon := (p[1]+q[1])/2, (p[0]+q[0])/2
	_, azLine = inverse(p[1], p[0], q[1], q[0])
	off := azLine - 90 // left of the line
	if a.Lines[li].Right == party {
		off = azLine + 90
	}
	lat, lon = destination(mlat, mlon, off, distM)
	loc := j.Engine().NewLocation()
	j.Engine().Locate(lat, lon, 0, loc)
	if want := map[string]geo.Side{a.Lines[li].Left: geo.SideLeft, a.Lines[li].Right: geo.SideRight}[party]; loc.Lines[li].Side != want {
		t.Fatalf("test point is not on %s's side", party)
	}
	return lat, lon, azLine
}
