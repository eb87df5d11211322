package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// TestSourcesCountWhatEachSourceHadStored ingests from two sources, with a duplicate, and
// checks each source's count and span of times, also after reopening.
func TestSourcesCountWhatEachSourceHadStored(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 6, 0, 0, 0, time.UTC)
	mk := func(source, id string, at time.Time) truce.Judged {
		return truce.Judged{Observation: &truce.Observation{ID: id, Source: source, Time: at, Kind: "fire.flash", Lat: 47, Lon: 36}}
	}
	batch := []truce.Judged{mk("patrol-1", "a", t0.Add(time.Hour)), mk("patrol-1", "b", t0), mk("sensor-3", "a", t0.Add(2*time.Hour))}
	if _, _, err := db.Ingest(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Ingest(ctx, []truce.Judged{mk("patrol-1", "a", t0.Add(time.Hour)), mk("patrol-1", "c", t0.Add(3*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	check := func(db *DB) {
		got, err := db.Sources(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []truce.Source{
			{Name: "patrol-1", First: t0, Last: t0.Add(3 * time.Hour), Observations: 3},
			{Name: "sensor-3", First: t0.Add(2 * time.Hour), Last: t0.Add(2 * time.Hour), Observations: 1},
		}
		if len(got) != len(want) {
			t.Fatalf("sources %+v", got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("source %d = %+v, want %+v", i, got[i], want[i])
			}
		}
	}
	check(db)
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	check(again)
}
