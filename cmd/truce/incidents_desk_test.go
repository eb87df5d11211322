package main

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/fusion"
	"github.com/truce-project/truce/sqlite"
)

// deskOf opens a store in a temporary folder and a desk whose fuser closes incidents an hour
// of observation time after their last report.
func deskOf(t *testing.T) (*incidentDesk, *sqlite.DB) {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "truce.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	desk := &incidentDesk{store: store}
	desk.setFuser(fusion.New(nil, nil, fusion.Config{Horizon: time.Hour, OnClose: desk.onClose}))
	return desk, store
}

// report stores a patrol's sighting and fuses it as the server does.
func report(t *testing.T, desk *incidentDesk, store *sqlite.DB, source string, lat float64, at time.Time) {
	t.Helper()
	o := &truce.Observation{ID: source + "-" + at.Format("150405"), Source: source, Time: at, Kind: "presence.vehicle",
		Lat: lat, Lon: 37.2, CEm: 100, Attrs: map[string]any{}}
	_, seq, err := store.Ingest(context.Background(), []truce.Judged{{Observation: o}})
	if err != nil {
		t.Fatal(err)
	}
	events := []truce.Event{{Seq: seq[0], Observation: o}}
	if err := desk.fuse(context.Background(), events, notFusedHere, func(o *truce.Observation, err error) { t.Fatal(err) }); err != nil {
		t.Fatal(err)
	}
}

// TestAnalystsActOnClosedIncidents: incidents fusion has closed are taken up again from the
// store to be merged or split, stored as the analyst left them, and closed again in time.
func TestAnalystsActOnClosedIncidents(t *testing.T) {
	ctx := context.Background()
	desk, store := deskOf(t)
	t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	report(t, desk, store, "patrol-1", 47.90, t0)
	report(t, desk, store, "patrol-2", 47.90, t0.Add(time.Minute))
	report(t, desk, store, "patrol-3", 47.95, t0.Add(2*time.Minute))
	list, _, err := store.Incidents(ctx, truce.IncidentFilter{})
	if err != nil || len(list) != 2 || len(list[0].Members) != 2 {
		t.Fatalf("incidents %+v, %v", list, err)
	}
	a, b := list[0].ID, list[1].ID
	// Three hours later both have closed.
	report(t, desk, store, "patrol-4", 46.0, t0.Add(3*time.Hour))
	for _, id := range []string{a, b} {
		if inc, err := store.Incident(ctx, id); err != nil || inc.Open {
			t.Fatalf("incident %s three hours on: %+v, %v", id, inc, err)
		}
	}
	merged, err := desk.Merge(ctx, []string{b, a}, "analyst-1", "one vehicle seen twice")
	if err != nil {
		t.Fatal(err)
	}
	if merged.ID != a || len(merged.Members) != 3 || !merged.Merged || !merged.Open {
		t.Errorf("merged: %+v", merged)
	}
	split, err := desk.Split(ctx, a, []string{"patrol-2/patrol-2-090100"}, "analyst-1", "a second vehicle")
	if err != nil {
		t.Fatal(err)
	}
	if len(split.Members) != 1 || split.Members[0].Source != "patrol-2" {
		t.Errorf("split off: %+v", split)
	}
	rest, err := store.Incident(ctx, a)
	if err != nil || len(rest.Members) != 2 || !slices.Equal(rest.KeptApart, []string{"patrol-2/patrol-2-090100"}) {
		t.Fatalf("what remains: %+v, %v", rest, err)
	}
	// Merging one incident or splitting off a report not in it changes nothing.
	if _, err := desk.Merge(ctx, []string{a, a}, "analyst-1", "why"); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("merging one incident: %v", err)
	}
	if _, err := desk.Split(ctx, a, []string{"patrol-9/x"}, "analyst-1", "why"); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("splitting off a stranger: %v", err)
	}
	if _, err := desk.Merge(ctx, []string{a, "incident-none"}, "analyst-1", "why"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("merging an unknown incident: %v", err)
	}
	if got, _ := store.Incident(ctx, a); got.Version != rest.Version {
		t.Errorf("a refused action changed the incident: version %d, was %d", got.Version, rest.Version)
	}
	// Taken up again, they close again once observation time moves on.
	report(t, desk, store, "patrol-5", 46.0, t0.Add(6*time.Hour))
	open, _, err := store.Incidents(ctx, truce.IncidentFilter{Open: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, inc := range open {
		if inc.ID == a || inc.ID == split.ID {
			t.Errorf("incident %s still open hours after its last report", inc.ID)
		}
	}
}
