package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/report"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/sim"
)

// reviewDay has two analysts review every stored finding of a played scenario as a careful
// desk would, using the truth: the first report of each real violation or fire event is
// verified by both, a second report of the same thing is dismissed as a duplicate, and one
// duplicate in five is left waiting. It returns the review state given to each finding.
func reviewDay(t testing.TB, db truce.Store, p *played) map[string]string {
	t.Helper()
	ctx := context.Background()
	state := map[string]string{}
	for i, f := range p.findings {
		l := p.labels[key(f.Source, f.Observation)]
		first := (l.Injected != nil && l.Injected.Observations[0] == l.ID) || (l.Event != nil && l.Event.Reports[0] == l.ID)
		switch {
		case first:
			for _, analyst := range []string{"analyst-a", "analyst-b"} {
				if _, err := db.Review(ctx, f.ID, truce.ActionVerify, analyst, "confirmed by the patrol's photographs", 2); err != nil {
					t.Fatalf("verify %s: %v", f.ID, err)
				}
			}
			state[f.ID] = truce.ReviewVerified
		case i%5 == 0:
			state[f.ID] = truce.ReviewDetected
		default:
			if _, err := db.Review(ctx, f.ID, truce.ActionDismiss, "analyst-a", "a second report of the same event", 2); err != nil {
				t.Fatalf("dismiss %s: %v", f.ID, err)
			}
			state[f.ID] = truce.ReviewDismissed
		}
	}
	return state
}

func TestDailyReportOfSimulatedDayMatchesTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("plays two and a half simulated days")
	}
	j := notionalEast(t)
	db := openStore(t)
	p := playSim(t, j, db, sim.Config{Start: time.Date(2026, 4, 29, 12, 0, 0, 0, time.UTC), Hours: 60, Seed: 3, Rate: 0.3})
	state := reviewDay(t, db, p)

	now := time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC)
	g, err := report.New(j, db, report.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Daily(context.Background(), "2026-05-01")
	if err != nil {
		t.Fatal(err)
	}

	// The periods, computed here from the mission's local time: (30 April 19:30, 1 May 19:30]
	// and the day before.
	loc := kyiv(t)
	from, to := time.Date(2026, 4, 30, 19, 30, 0, 0, loc), time.Date(2026, 5, 1, 19, 30, 0, 0, loc)
	prevFrom := time.Date(2026, 4, 29, 19, 30, 0, 0, loc)
	in := func(t, a, b time.Time) bool { return t.After(a) && !t.After(b) }
	if !d.Period.From.Equal(from) || !d.Period.To.Equal(to) || !d.Previous.From.Equal(prevFrom) || !d.Previous.To.Equal(from) {
		t.Fatalf("periods %v and %v", d.Period, d.Previous)
	}
	if d.Provisional {
		t.Error("a report generated after its period is marked provisional")
	}

	// Counts of verified findings by type, area and party, tallied from the reviews given.
	type tally map[string]int
	want := map[string][2]tally{}
	for _, dim := range []string{"type", "zone", "party"} {
		want[dim] = [2]tally{{}, {}}
	}
	pending, dismissed := 0, 0
	var annex []string
	for _, f := range p.findings {
		period := -1
		switch {
		case in(f.Time, from, to):
			period = 0
		case in(f.Time, prevFrom, from):
			period = 1
		}
		if period < 0 {
			continue
		}
		if period == 0 {
			switch state[f.ID] {
			case truce.ReviewDismissed:
				dismissed++
			case truce.ReviewDetected:
				pending++
			}
		}
		if state[f.ID] != truce.ReviewVerified {
			continue
		}
		want["type"][period][f.Kind]++
		want["zone"][period][f.Zone]++
		want["party"][period][f.Party]++
		if period == 0 {
			annex = append(annex, f.ID)
		}
	}
	if len(annex) < 20 {
		t.Fatalf("only %d verified findings in the period: the scenario is too quiet to test anything", len(annex))
	}
	for dim, rows := range map[string][]report.Count{"type": d.ByType, "zone": d.ByZone, "party": d.ByParty} {
		got := [2]tally{{}, {}}
		for _, c := range rows {
			if c.Change != c.Count-c.Previous {
				t.Errorf("by %s %q: change %d is not %d - %d", dim, c.Key, c.Change, c.Count, c.Previous)
			}
			if c.Count > 0 {
				got[0][c.Key] = c.Count
			}
			if c.Previous > 0 {
				got[1][c.Key] = c.Previous
			}
		}
		for period, name := range []string{"period", "previous period"} {
			if fmt.Sprint(got[period]) != fmt.Sprint(want[dim][period]) {
				t.Errorf("by %s, %s: report %v, verified findings %v", dim, name, got[period], want[dim][period])
			}
		}
	}
	if d.Summary.Violations != len(annex) || d.Summary.Pending != pending || d.Summary.Dismissed != dismissed {
		t.Errorf("summary %+v; want %d violations, %d pending, %d dismissed", d.Summary, len(annex), pending, dismissed)
	}
	var gotAnnex []string
	for i, e := range d.Annex {
		gotAnnex = append(gotAnnex, e.Finding)
		if i > 0 && e.Time.Before(d.Annex[i-1].Time) {
			t.Errorf("annex entry %d (%s) is before the one above it", i, e.Finding)
		}
	}
	slices.Sort(gotAnnex)
	slices.Sort(annex)
	if !slices.Equal(gotAnnex, annex) {
		t.Errorf("annex holds %d findings, want the %d verified in the period", len(gotAnnex), len(annex))
	}

	// Against the truth: every violation injected in the period is in the annex under its
	// rule and the party the generator chose.
	byID := map[string]report.AnnexEntry{}
	for _, e := range d.Annex {
		byID[e.Finding] = e
	}
	injected := 0
	for _, v := range p.truth.Violations {
		first := v.Observations[0]
		var src string
		for k, l := range p.labels {
			if l.ID == first && l.Injected == v {
				src = strings.TrimSuffix(k, "/"+first)
			}
		}
		if !in(v.Time, from, to) {
			continue
		}
		injected++
		e, ok := byID[rules.FindingID(src, first, v.Rule)]
		switch {
		case !ok:
			t.Errorf("%s (%s by %q at %s) is not in the annex", v.ID, v.Rule, v.Party, v.Time)
		case e.Party != v.Party:
			t.Errorf("%s: the annex attributes it to %q, the truth to %q", v.ID, e.Party, v.Party)
		}
	}
	if injected == 0 {
		t.Fatal("no injected violation in the period")
	}

	// The mission's records: every restriction and every damage to its equipment reported
	// in the period, except reports analysts dismissed.
	var wantMove, wantDamage []string
	for k, o := range p.obs {
		if !in(o.Time, from, to) {
			continue
		}
		all, dis := 0, 0
		for _, f := range p.findings {
			if key(f.Source, f.Observation) == k {
				all++
				if state[f.ID] == truce.ReviewDismissed {
					dis++
				}
			}
		}
		if all > 0 && dis == all {
			continue
		}
		switch {
		case o.Kind == "access.restriction":
			wantMove = append(wantMove, o.ID)
		case strings.HasPrefix(o.Kind, "damage.") && o.Attrs["asset"] != nil:
			wantDamage = append(wantDamage, o.ID)
		}
	}
	var gotMove, gotDamage []string
	for _, r := range d.Movement {
		gotMove = append(gotMove, r.Observation)
		if r.DurationMin <= 0 || r.By == "" {
			t.Errorf("restriction %s: held %v min by %q", r.Observation, r.DurationMin, r.By)
		}
	}
	for _, e := range d.Damage {
		gotDamage = append(gotDamage, e.Observation)
		if e.Asset == "" {
			t.Errorf("damage %s names no asset", e.Observation)
		}
	}
	for _, s := range [][]string{wantMove, wantDamage, gotMove, gotDamage} {
		slices.Sort(s)
	}
	if len(wantMove) == 0 || len(wantDamage) == 0 {
		t.Fatalf("the scenario has %d restrictions and %d damaged assets in the period; choose a seed with both", len(wantMove), len(wantDamage))
	}
	if !slices.Equal(gotMove, wantMove) {
		t.Errorf("freedom of movement: %v, want %v", gotMove, wantMove)
	}
	if !slices.Equal(gotDamage, wantDamage) {
		t.Errorf("equipment damage: %v, want %v", gotDamage, wantDamage)
	}

	// Disengagement areas: the latest verified violation placed inside each, up to the end
	// of the period.
	eng := j.Engine()
	loc2 := eng.NewLocation()
	a := j.Agreement()
	for _, st := range d.Areas {
		zi := a.ZoneIndex(st.Zone)
		if zi < 0 || a.Zones[zi].Kind != truce.ZoneDisengagement {
			t.Fatalf("area %q is not a disengagement zone", st.Zone)
		}
		var last time.Time
		count := 0
		for _, f := range p.findings {
			if state[f.ID] != truce.ReviewVerified || f.Time.After(to) {
				continue
			}
			eng.Locate(f.Lat, f.Lon, 0, loc2)
			if f.Zone != st.Zone && loc2.Zones[zi] != geo.Inside {
				continue
			}
			if f.Time.After(last) {
				last = f.Time
			}
			if in(f.Time, from, to) {
				count++
			}
		}
		if st.Violations != count {
			t.Errorf("%s: %d violations in the period, want %d", st.Zone, st.Violations, count)
		}
		if last.IsZero() {
			if st.LastViolation != nil {
				t.Errorf("%s: last violation %v, want none", st.Zone, st.LastViolation)
			}
			continue
		}
		if st.LastViolation == nil || !st.LastViolation.Equal(last) {
			t.Errorf("%s: last violation %v, want %v", st.Zone, st.LastViolation, last)
		}
		if days := int(to.Sub(last) / (24 * time.Hour)); st.CalmDays != days {
			t.Errorf("%s: %d days of calm, want %d", st.Zone, st.CalmDays, days)
		}
	}
	if len(d.Areas) != 2 {
		t.Errorf("%d disengagement areas, want the agreement's 2", len(d.Areas))
	}

	// The HTML is rendered from the JSON: one annex row per entry, the map, every section.
	page, err := g.DailyHTML(d)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(page, []byte(`<tr data-finding=`)); n != len(d.Annex) {
		t.Errorf("the HTML annex has %d rows, the JSON %d", n, len(d.Annex))
	}
	if n := bytes.Count(page, []byte(`class="finding-dot"`)); n != len(d.Annex) {
		t.Errorf("the map has %d finding markers, the annex %d entries", n, len(d.Annex))
	}
	for _, id := range []string{`id="summary"`, `<svg xmlns="http://www.w3.org/2000/svg" id="map"`, `id="by-type"`, `id="by-zone"`, `id="by-party"`, `id="movement-table"`, `id="damage-table"`, `id="areas-table"`, `id="annex-table"`} {
		if !bytes.Contains(page, []byte(id)) {
			t.Errorf("the HTML has no %s", id)
		}
	}
	for _, external := range []string{"http://", "https://", "src=", "<script", "<link"} {
		if strings.Contains(strings.ReplaceAll(string(page), "http://www.w3.org/2000/svg", ""), external) {
			t.Errorf("the HTML refers to something outside it: %q", external)
		}
	}
	if _, err := json.Marshal(d); err != nil {
		t.Fatal(err)
	}
}
