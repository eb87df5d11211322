package fusion

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
)

// restart makes a Fuser as a server does after a restart: the incidents stored as f had them
// are restored, each with its reports.
func restart(t *testing.T, f *Fuser, cfg Config, incs ...*Incident) *Fuser {
	t.Helper()
	g := New(nil, nil, cfg)
	if f.at != nil {
		g = New(f.at.a, f.at.eng, cfg)
	}
	for _, inc := range incs {
		stored := inc.Truce()
		var reports []truce.Event
		for _, m := range inc.Members {
			o := m.Observation
			reports = append(reports, truce.Event{Observation: &o, Findings: m.Findings})
		}
		r, err := g.Restore(&stored, reports)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != inc.ID || len(r.Members) != len(inc.Members) {
			t.Fatalf("restored %s with %d members from %s with %d", r.ID, len(r.Members), inc.ID, len(inc.Members))
		}
	}
	return g
}

func TestSplitOffReportStaysOutAfterARestart(t *testing.T) {
	f := New(nil, nil, Config{})
	a := sighting("patrol-1", "p1-1", "presence.vehicle", 47.9, 37.2, 300, 0)
	b := sighting("patrol-2", "p2-1", "presence.vehicle", 47.9, 37.2, 300, 5*time.Minute)
	inc := mustAdd(t, f, a)
	mustAdd(t, f, b)
	split, err := f.Split(inc.ID, []string{"p2-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Incident(inc.ID).Truce(); !got.Fixed || !slices.Equal(got.KeptApart, []string{"patrol-2/p2-1"}) {
		t.Fatalf("what remains: fixed %v, kept apart %v", got.Fixed, got.KeptApart)
	}
	g := restart(t, f, Config{}, f.Incident(inc.ID), split)
	// More reports of the place arrive; each joins one of the two, and neither regroups them.
	for i := 3; i < 8; i++ {
		mustAdd(t, g, sighting(fmt.Sprintf("patrol-%d", i), "p-1", "presence.vehicle", 47.9, 37.2, 300, time.Duration(5+i)*time.Minute))
	}
	rest := g.Incident(inc.ID)
	if rest.Member("patrol-2/p2-1") != nil || rest.Member("patrol-1/p1-1") == nil {
		t.Errorf("after a restart the split-off report is back: %v", memberKeys(rest))
	}
	// Even if the split-off incident has closed and its report comes again, it stays out.
	g.Forget(split.ID)
	if got := mustAdd(t, g, b); got == rest {
		t.Error("a split-off report rejoined, after a restart, the incident it was split from")
	}
	if g.Open() != 2 || len(rest.Members) != 6 || len(g.Incident(split.ID).Members) != 1 {
		t.Errorf("%d open; members %v", g.Open(), memberKeys(rest))
	}
}

func TestMergedIncidentStaysMergedAfterARestart(t *testing.T) {
	f := New(nil, nil, Config{})
	a := mustAdd(t, f, sighting("patrol-1", "p1-1", "presence.vehicle", 47.9, 37.2, 100, 0))
	b := mustAdd(t, f, sighting("patrol-2", "p2-1", "presence.vehicle", 47.92, 37.2, 100, 3*time.Minute))
	m, err := f.Merge(a.ID, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Truce(); !got.Fixed || !got.Merged || got.ID != a.ID || len(got.Members) != 2 {
		t.Fatalf("merged: %+v", got)
	}
	g := restart(t, f, Config{}, m)
	// A report at the second place meets only b's circle; it joins the merged incident, as it
	// would have before the restart, and new reports at either place keep it one.
	for i, lat := range []float64{47.92, 47.9, 47.92} {
		got := mustAdd(t, g, sighting(fmt.Sprintf("patrol-%d", i+3), "p-1", "presence.vehicle", lat, 37.2, 100, time.Duration(6+i)*time.Minute))
		if got.ID != a.ID {
			t.Errorf("report %d at %.2f made %s, not the merged %s", i, lat, got.ID, a.ID)
		}
	}
	if g.Open() != 1 || len(g.Incident(a.ID).Members) != 5 {
		t.Errorf("%d open, %d members", g.Open(), len(g.Incident(a.ID).Members))
	}
}

func TestRestoreRefusesAReportOpenElsewhere(t *testing.T) {
	f := New(nil, nil, Config{})
	o := sighting("patrol-1", "p1-1", "presence.vehicle", 47.9, 37.2, 100, 0)
	inc := mustAdd(t, f, o)
	stored := inc.Truce()
	stored.ID = "incident-other"
	if _, err := f.Restore(&stored, []truce.Event{{Observation: &o}}); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Errorf("restoring a report open in another incident: %v", err)
	}
	if _, err := f.Restore(&stored, nil); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("restoring no reports: %v", err)
	}
}

func TestIncidentAsTruceHoldsWhatAnAnalystNeeds(t *testing.T) {
	j := notionalEast(t)
	f := New(j.Agreement(), j.Engine(), Config{})
	lat, lon, _ := sideOfLine(t, j, "east", 2500)
	var inc *Incident
	for i, az := range []float64{200, 280, 10} {
		slat, slon := destination(lat, lon, az, 6000)
		o := heard(fmt.Sprintf("acoustic-%d", i+1), 1, "fire.burst", Sensor{slat, slon, 3}, lat, lon, 0, 0)
		var err error
		if inc, err = f.Add(o, j.Judge(&o, nil)); err != nil {
			t.Fatal(err)
		}
	}
	got := inc.Truce()
	if got.ID != inc.ID || got.Kind != "fire.burst" || got.Class != "fire/origin" || len(got.Members) != 3 || !got.Open || got.Fixed {
		t.Errorf("incident %+v", got)
	}
	if got.Origin == nil || got.Origin.Target != "origin" || got.Origin.Bearings != 3 || got.Origin.SemiMajorM < got.Origin.SemiMinorM ||
		got.Origin.SemiMinorM <= 0 || distanceM(got.Origin.Lat, got.Origin.Lon, lat, lon) > got.Origin.SemiMajorM {
		t.Errorf("origin %+v of a burst at %.5f, %.5f", got.Origin, lat, lon)
	}
	if got.Party != "east" || !strings.Contains(got.Explanation, "entirely on Party East's side") || got.Sources != 3 || got.Confidence != inc.Confidence {
		t.Errorf("attribution %q %q, %d sources, confidence %v", got.Party, got.Explanation, got.Sources, got.Confidence)
	}
	m := got.Members[1]
	if m.Source != "acoustic-2" || m.ID != "acoustic-2-000001" || m.Lat != inc.Members[1].Observation.Lat || len(m.Findings) == 0 ||
		m.Findings[0] != inc.Members[1].Findings[0].ID || len(got.Findings) < 3 {
		t.Errorf("member %+v; findings %v", m, got.Findings)
	}
	inc.closed = true
	if inc.Truce().Open {
		t.Error("a closed incident is open")
	}
}

func TestIncidentNotOfFireTakesThePartyItsFindingsAgreeOn(t *testing.T) {
	f := New(nil, nil, Config{})
	finding := func(party string) []truce.Finding { return []truce.Finding{{ID: "f-" + party, Party: party}} }
	a := sighting("patrol-1", "p1-1", "presence.vehicle", 47.9, 37.2, 300, 0)
	b := sighting("patrol-2", "p2-1", "presence.vehicle", 47.9, 37.2, 300, time.Minute)
	c := sighting("patrol-3", "p3-1", "presence.vehicle", 47.9, 37.2, 300, 2*time.Minute)
	inc, _ := f.Add(a, finding("east"))
	f.Add(b, nil)
	if got := inc.Truce(); got.Party != "east" || !strings.Contains(got.Explanation, "1 finding on its reports hold east responsible") {
		t.Errorf("one finding attributing: %q %q", got.Party, got.Explanation)
	}
	f.Add(c, finding("west"))
	if got := inc.Truce(); got.Party != truce.PartyUndetermined {
		t.Errorf("findings disagreeing: %q %q", got.Party, got.Explanation)
	}
	if got := mustAdd(t, New(nil, nil, Config{}), a).Truce(); got.Party != "" {
		t.Errorf("no findings: party %q", got.Party)
	}
}

func memberKeys(inc *Incident) []string {
	var out []string
	for _, m := range inc.Members {
		out = append(out, m.key)
	}
	return out
}
