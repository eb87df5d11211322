package report_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/report"
)

func TestSpotReportOfAnIncidentShowsOnlyWhatItsAudienceMaySee(t *testing.T) {
	j := notionalEast(t)
	db := openStore(t)
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	storeVerified(t, db, j, at)
	// A second report of the same vehicle, not yet reviewed.
	o := &truce.Observation{ID: "second", Source: "patrol-2", Time: at.Add(time.Minute), Kind: "presence.vehicle",
		Lat: 47.6489, Lon: 36.3597, CEm: 50, Party: "east", Attrs: map[string]any{"type": "truck"}}
	fs := j.Judge(o, nil)
	if _, _, err := db.Ingest(ctx, []truce.Judged{{Observation: o, Findings: fs}}); err != nil {
		t.Fatal(err)
	}
	first := "presence.vehicle-" + at.Format(time.RFC3339Nano)
	inc := truce.Incident{ID: "inc-1", Kind: "presence.vehicle", Class: "presence.vehicle", Start: at, End: at.Add(time.Minute),
		Members: []truce.IncidentMember{
			{Source: "patrol-1", ID: first, Kind: "presence.vehicle", Time: at, Lat: 47.64884, Lon: 36.35962},
			{Source: "patrol-2", ID: "second", Kind: "presence.vehicle", Time: at.Add(time.Minute), Lat: 47.6489, Lon: 36.3597},
		}, Party: "east", Sources: 2, Confidence: 0.9, Open: true}
	if err := db.PutIncidents(ctx, []truce.Incident{inc}, 2); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Incident(ctx, "inc-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Findings) != 2 {
		t.Fatalf("the stored incident has findings %v", stored.Findings)
	}
	g, err := report.New(j, db, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	public := report.SpotAudience{Visible: func(f *truce.Finding) bool { return f.Review == truce.ReviewVerified }}
	s, err := g.SpotIncident(ctx, stored, public)
	if err != nil {
		t.Fatal(err)
	}
	if s.Subject != "incident" || len(s.Findings) != 1 || s.Findings[0].Review != truce.ReviewVerified || s.History != nil {
		t.Fatalf("public spot report: %+v", s)
	}
	if s.PartyName != "Party East" || s.Local != "2026-05-01 12:00:00" {
		t.Errorf("party %q, local time %q", s.PartyName, s.Local)
	}
	staff, err := g.SpotIncident(ctx, stored, report.SpotAudience{History: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(staff.Findings) != 2 || len(staff.History[staff.Findings[0].Finding]) != 2 {
		t.Fatalf("staff spot report: %d findings, history %v", len(staff.Findings), staff.History)
	}
	var page bytes.Buffer
	if err := g.RenderSpot(&page, staff); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(page.Bytes(), []byte("<tr data-finding=")); n != 2 {
		t.Errorf("the page lists %d findings, want 2", n)
	}
	if _, err := g.SpotFinding(ctx, fs[0].ID, public); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("an unverified finding for the public: %v, want not found", err)
	}
}
