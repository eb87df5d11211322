package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// incidentOf makes an incident of the observations in js, as fusion would hand it over.
func incidentOf(id string, party string, js ...truce.Judged) truce.Incident {
	inc := truce.Incident{ID: id, Kind: js[0].Observation.Kind, Class: js[0].Observation.Kind, Start: js[0].Observation.Time,
		End: js[len(js)-1].Observation.Time, Party: party, Sources: len(js), Confidence: 0.6, Open: true,
		Position: &truce.IncidentFix{Lat: js[0].Observation.Lat, Lon: js[0].Observation.Lon, SemiMajorM: 100, SemiMinorM: 50}}
	for _, j := range js {
		o := j.Observation
		inc.Members = append(inc.Members, truce.IncidentMember{Source: o.Source, ID: o.ID, Kind: o.Kind, Time: o.Time,
			Lat: o.Lat, Lon: o.Lon, CEm: o.CEm})
	}
	return inc
}

func memberKeysOf(inc *truce.Incident) []string {
	var keys []string
	for _, m := range inc.Members {
		keys = append(keys, m.Key())
	}
	return keys
}

func putIncidents(t testing.TB, db *DB, through int64, incs ...truce.Incident) {
	t.Helper()
	if err := db.PutIncidents(context.Background(), incs, through); err != nil {
		t.Fatal(err)
	}
}

func getIncident(t testing.TB, db *DB, id string) *truce.Incident {
	t.Helper()
	inc, err := db.Incident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func TestIncidentRoundTripWithMembersAndTheirFindings(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	js := judged(0, 6)
	ingest(t, db, js)
	a := incidentOf("incident-a", "east", js[1], js[2], js[4])
	a.Origin = &truce.IncidentFix{Target: "origin", Lat: 35.1, Lon: 33.2, SemiMajorM: 900, SemiMinorM: 300, AzimuthDeg: 40, Bearings: 3}
	a.Explanation = "origin 7.1 km on Party East's side"
	putIncidents(t, db, 6, a)

	got := getIncident(t, db, "incident-a")
	if got.Version != 1 || got.Updated.IsZero() || got.Party != "east" || got.Explanation != a.Explanation || *got.Origin != *a.Origin {
		t.Errorf("stored incident: %+v", got)
	}
	if !slices.Equal(memberKeysOf(got), memberKeysOf(&a)) {
		t.Errorf("members %v, want %v", memberKeysOf(got), memberKeysOf(&a))
	}
	// Each member's findings are those stored for its observation; the incident lists them all.
	var want []string
	for i, j := range []truce.Judged{js[1], js[2], js[4]} {
		var ids []string
		for _, f := range j.Findings {
			ids = append(ids, f.ID)
		}
		if !slices.Equal(got.Members[i].Findings, ids) {
			t.Errorf("member %d findings %v, want %v", i, got.Members[i].Findings, ids)
		}
		if !got.Members[i].Time.Equal(j.Observation.Time) || got.Members[i].Lat != j.Observation.Lat {
			t.Errorf("member %d: %+v", i, got.Members[i])
		}
		want = append(want, ids...)
	}
	if len(want) == 0 || !slices.Equal(got.Findings, want) {
		t.Errorf("findings %v, want %v", got.Findings, want)
	}
	if n, err := db.FusedThrough(ctx); err != nil || n != 6 {
		t.Errorf("fused through %d, %v; want 6", n, err)
	}

	// The same incident again changes nothing; a change raises the version by one.
	putIncidents(t, db, 6, a)
	if got := getIncident(t, db, "incident-a"); got.Version != 1 {
		t.Errorf("unchanged incident: version %d, want 1", got.Version)
	}
	a.Members = append(a.Members, incidentOf("x", "", js[5]).Members[0])
	a.End = js[5].Observation.Time
	putIncidents(t, db, 7, a)
	if got := getIncident(t, db, "incident-a"); got.Version != 2 || len(got.Members) != 4 || !got.End.Equal(a.End) {
		t.Errorf("after a member joined: version %d, %d members, end %v", got.Version, len(got.Members), got.End)
	}
	a.Open = false
	given := []truce.Incident{a}
	putIncidents(t, db, 7, given...)
	if got := getIncident(t, db, "incident-a"); got.Version != 3 || got.Open || given[0].Version != 3 || !given[0].Updated.Equal(got.Updated) {
		t.Errorf("after closing: version %d, open %v; the incident given has version %d", got.Version, got.Open, given[0].Version)
	}
	putIncidents(t, db, 7, given...)
	if given[0].Version != 3 {
		t.Errorf("an unchanged incident given back version %d, want 3", given[0].Version)
	}
	// FusedThrough never goes back.
	putIncidents(t, db, 3)
	if n, _ := db.FusedThrough(ctx); n != 7 {
		t.Errorf("fused through %d after an older mark, want 7", n)
	}
	if _, err := db.Incident(ctx, "incident-none"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("an unknown incident: %v", err)
	}
	if err := db.PutIncidents(ctx, []truce.Incident{{ID: "empty"}}, 7); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("an incident without members: %v", err)
	}
}

func TestIncidentsFilterAndPage(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	js := judged(0, 40)
	ingest(t, db, js)
	var incs []truce.Incident
	for i := 0; i < 20; i++ {
		party := []string{"east", "west", truce.PartyUndetermined, ""}[i%4]
		inc := incidentOf("incident-"+string(rune('a'+i)), party, js[2*i], js[2*i+1])
		if i%5 == 0 {
			inc.Position = nil // not located
		}
		incs = append(incs, inc)
	}
	putIncidents(t, db, 40, incs...)
	// Verify a finding of one member of incident-c (index 2).
	fid := js[5].Findings[0].ID
	for _, who := range []string{"a1", "a2"} {
		if _, err := db.Review(ctx, fid, truce.ActionVerify, who, "seen", 2); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(f truce.IncidentFilter) []string {
		t.Helper()
		list, _, err := db.Incidents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, inc := range list {
			out = append(out, inc.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    truce.IncidentFilter
		want []string
	}{
		{"party", truce.IncidentFilter{Party: "west"}, []string{"incident-b", "incident-f", "incident-j", "incident-n", "incident-r"}},
		{"attributed", truce.IncidentFilter{Attribution: truce.AttributedToParty, Limit: 3}, []string{"incident-a", "incident-b", "incident-e"}},
		{"undetermined", truce.IncidentFilter{Attribution: truce.AttributedUnknown}, []string{"incident-c", "incident-g", "incident-k", "incident-o", "incident-s"}},
		{"none", truce.IncidentFilter{Attribution: truce.AttributedNone, Limit: 2}, []string{"incident-d", "incident-h"}},
		{"verified", truce.IncidentFilter{Verified: true}, []string{"incident-c"}},
		// incident-b spans observations 2 and 3, at t0+2s and t0+3s.
		{"time span meets", truce.IncidentFilter{From: t0.Add(3 * time.Second), To: t0.Add(5 * time.Second)}, []string{"incident-b", "incident-c"}},
		// Incidents without a position (a, f, k, p) are in no box.
		{"bbox", truce.IncidentFilter{BBox: &truce.BBox{MinLon: 33, MinLat: 35, MaxLon: 33.0045, MaxLat: 35.0045}}, []string{"incident-b", "incident-c"}},
	}
	var sameKind []string
	for _, inc := range incs {
		if inc.Kind == js[2].Observation.Kind {
			sameKind = append(sameKind, inc.ID)
		}
	}
	tests = append(tests, struct {
		name string
		f    truce.IncidentFilter
		want []string
	}{"kind", truce.IncidentFilter{Kind: js[2].Observation.Kind}, sameKind})
	if len(sameKind) < 2 || len(sameKind) == len(incs) {
		t.Fatalf("the kind filter test needs some incidents of the kind and some not: %v", sameKind)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// Pages of 7 walk all 20 in order, whatever is stored meanwhile.
	var walked []string
	cursor := ""
	for page := 0; ; page++ {
		list, next, err := db.Incidents(ctx, truce.IncidentFilter{Limit: 7, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, inc := range list {
			walked = append(walked, inc.ID)
		}
		if page == 0 {
			putIncidents(t, db, 40, incidentOf("incident-late", "", js[0])) // moves js[0] out of incident-a
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(walked) != 21 || walked[0] != "incident-a" || walked[20] != "incident-late" {
		t.Errorf("walked %v", walked)
	}
	if got := getIncident(t, db, "incident-a"); len(got.Members) != 1 {
		t.Errorf("incident-a after its first member moved: %v", memberKeysOf(got))
	}
	if _, _, err := db.Incidents(ctx, truce.IncidentFilter{Cursor: encodeCursor(findingCursor, 3)}); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("a findings cursor: %v", err)
	}
	if _, _, err := db.Incidents(ctx, truce.IncidentFilter{Attribution: "maybe"}); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("an unknown attribution: %v", err)
	}
}

func TestIncidentsSurviveReopening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	js := judged(0, 4)
	ingest(t, db, js)
	putIncidents(t, db, 4, incidentOf("incident-a", "east", js[0], js[1]), incidentOf("incident-b", "", js[2], js[3]))
	before := getIncident(t, db, "incident-a")
	db.Close()

	db = openAt(t, path)
	after := getIncident(t, db, "incident-a")
	if after.Version != before.Version || !slices.Equal(memberKeysOf(after), memberKeysOf(before)) || !after.Updated.Equal(before.Updated) {
		t.Errorf("after reopening %+v, before %+v", after, before)
	}
	if n, _ := db.FusedThrough(context.Background()); n != 4 {
		t.Errorf("fused through %d after reopening, want 4", n)
	}
	open, _, err := db.Incidents(context.Background(), truce.IncidentFilter{Open: true})
	if err != nil || len(open) != 2 {
		t.Errorf("open incidents after reopening: %d, %v", len(open), err)
	}
	reports, err := db.IncidentReports(context.Background(), "incident-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 2 || reports[0].Observation.ID != js[0].Observation.ID || reports[1].Observation.ID != js[1].Observation.ID {
		t.Fatalf("reports %+v", reports)
	}
	equalObservation(t, reports[1].Observation, js[1].Observation)
	equalFindings(t, reports[1].Findings, js[1].Findings)
}

func TestMergeAndSplitKeepHistoryAndAreLogged(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	js := judged(0, 6)
	ingest(t, db, js)
	putIncidents(t, db, 6, incidentOf("incident-a", "", js[0], js[1]), incidentOf("incident-b", "", js[2]), incidentOf("incident-c", "", js[3], js[4], js[5]))
	var logged []truce.IncidentAction
	db.SetIncidentHook(func(ctx context.Context, tx *sql.Tx, a truce.IncidentAction) error {
		logged = append(logged, a)
		return nil
	})

	merged := incidentOf("incident-a", "east", js[0], js[1], js[2])
	got, err := db.MergeIncidents(ctx, []string{"incident-b", "incident-a"}, merged, "analyst-1", "one shelling heard twice")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "incident-a" || !got.Fixed || got.Version != 2 || len(got.Members) != 3 || got.Party != "east" {
		t.Errorf("merged: %+v", got)
	}
	_, err = db.Incident(ctx, "incident-b")
	if truce.ErrorCode(err) != truce.ENOTFOUND || !strings.Contains(err.Error(), `merged into "incident-a"`) {
		t.Errorf("the incident merged away: %v", err)
	}

	rest := incidentOf("incident-c", "", js[3])
	split := incidentOf("incident-d", "", js[4], js[5])
	got, err = db.SplitIncident(ctx, "incident-c", []string{split.Members[1].Key(), split.Members[0].Key()}, rest, split, "analyst-2", "two salvos")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "incident-d" || !got.Fixed || len(got.Members) != 2 || got.Version != 1 {
		t.Errorf("split off: %+v", got)
	}
	if c := getIncident(t, db, "incident-c"); len(c.Members) != 1 || !c.Fixed || c.Version != 2 {
		t.Errorf("what remains: %+v", c)
	}

	history, err := db.IncidentHistory(ctx, "incident-b")
	if err != nil || len(history) != 1 || history[0].Action != truce.IncidentMerge || history[0].Result != "incident-a" ||
		!slices.Equal(history[0].Incidents, []string{"incident-a", "incident-b"}) || history[0].Actor != "analyst-1" || history[0].Reason != "one shelling heard twice" {
		t.Errorf("history of incident-b: %+v, %v", history, err)
	}
	history, err = db.IncidentHistory(ctx, "incident-d")
	if err != nil || len(history) != 1 || history[0].Action != truce.IncidentSplit ||
		!slices.Equal(history[0].Members, []string{js[4].Observation.Source + "/" + js[4].Observation.ID, js[5].Observation.Source + "/" + js[5].Observation.ID}) {
		t.Errorf("history of incident-d: %+v, %v", history, err)
	}
	if len(logged) != 2 || logged[0].Action != truce.IncidentMerge || logged[1].Action != truce.IncidentSplit {
		t.Errorf("logged %+v", logged)
	}
	if _, err := db.IncidentHistory(ctx, "incident-none"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("history of an unknown incident: %v", err)
	}
}

func TestMergeAndSplitRefuseWhatCannotBe(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	js := judged(0, 5)
	ingest(t, db, js)
	a, b := incidentOf("incident-a", "", js[0], js[1]), incidentOf("incident-b", "", js[2], js[3])
	putIncidents(t, db, 5, a, b)
	failed := false
	db.SetIncidentHook(func(context.Context, *sql.Tx, truce.IncidentAction) error { failed = true; return nil })
	key := func(i int) string { return js[i].Observation.Source + "/" + js[i].Observation.ID }
	ab := incidentOf("incident-a", "", js[0], js[1], js[2], js[3])
	tests := []struct {
		name string
		do   func() error
		code string
	}{
		{"merge one incident", func() error {
			_, err := db.MergeIncidents(ctx, []string{"incident-a", "incident-a"}, a, "x", "why")
			return err
		}, truce.EINVALID},
		{"merge without reason", func() error {
			_, err := db.MergeIncidents(ctx, []string{"incident-a", "incident-b"}, ab, "x", " ")
			return err
		}, truce.EINVALID},
		{"merge an unknown incident", func() error {
			_, err := db.MergeIncidents(ctx, []string{"incident-a", "incident-z"}, ab, "x", "why")
			return err
		}, truce.ENOTFOUND},
		{"merge missing a member", func() error {
			_, err := db.MergeIncidents(ctx, []string{"incident-a", "incident-b"}, incidentOf("incident-a", "", js[0], js[1], js[2]), "x", "why")
			return err
		}, truce.EINVALID},
		{"merge into another id", func() error {
			_, err := db.MergeIncidents(ctx, []string{"incident-a", "incident-b"}, incidentOf("incident-q", "", js[0], js[1], js[2], js[3]), "x", "why")
			return err
		}, truce.EINVALID},
		{"split every member", func() error {
			_, err := db.SplitIncident(ctx, "incident-a", []string{key(0), key(1)}, a, incidentOf("incident-n", "", js[0], js[1]), "x", "why")
			return err
		}, truce.EINVALID},
		{"split a member of another incident", func() error {
			_, err := db.SplitIncident(ctx, "incident-a", []string{key(2)}, a, incidentOf("incident-n", "", js[2]), "x", "why")
			return err
		}, truce.EINVALID},
		{"split nothing", func() error {
			_, err := db.SplitIncident(ctx, "incident-a", nil, a, incidentOf("incident-n", "", js[1]), "x", "why")
			return err
		}, truce.EINVALID},
		{"split into an existing incident", func() error {
			_, err := db.SplitIncident(ctx, "incident-a", []string{key(1)}, incidentOf("incident-a", "", js[0]), incidentOf("incident-b", "", js[1]), "x", "why")
			return err
		}, truce.ECONFLICT},
		{"split an unknown incident", func() error {
			_, err := db.SplitIncident(ctx, "incident-z", []string{key(1)}, incidentOf("incident-z", "", js[0]), incidentOf("incident-n", "", js[1]), "x", "why")
			return err
		}, truce.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); truce.ErrorCode(err) != tt.code {
				t.Errorf("got %v, want code %s", err, tt.code)
			}
		})
	}
	if failed || count(t, db, "incident_actions") != 0 {
		t.Errorf("a refused action was recorded")
	}
	if got := getIncident(t, db, "incident-a"); got.Version != 1 || len(got.Members) != 2 {
		t.Errorf("incident-a after refused actions: %+v", got)
	}
}

func TestIncidentListsItsVerifiedFindings(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	js := judged(0, 6)
	ingest(t, db, js)
	putIncidents(t, db, 6, incidentOf("incident-a", "", js[1], js[2], js[4], js[5]))
	fid := js[5].Findings[1].ID
	for _, who := range []string{"a1", "a2"} {
		if _, err := db.Review(ctx, fid, truce.ActionVerify, who, "seen", 2); err != nil {
			t.Fatal(err)
		}
	}
	got := getIncident(t, db, "incident-a")
	if !slices.Equal(got.Verified, []string{fid}) || len(got.Findings) < 3 {
		t.Errorf("findings %v, verified %v; want %s verified", got.Findings, got.Verified, fid)
	}
}
