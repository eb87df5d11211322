package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// TestFindingsVerifiedBeforeOpenDataArePublishedByTheMigration writes a file at the schema
// before open data, with a finding verified by two analysts, and opens it with this version:
// the finding is published at version 2, its last review's time, with its record.
func TestFindingsVerifiedBeforeOpenDataArePublishedByTheMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	all := migrations
	var before int
	for i, m := range all {
		if m.name == "liaison channel and open data" {
			before = i
		}
	}
	migrations = all[:before]
	db, err := Open(path)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	o := observation(1)
	f := finding(o, 0)
	ingest(t, db, []truce.Judged{{Observation: o, Findings: []truce.Finding{f}}})
	reviewed := t0.Add(time.Hour)
	for i, a := range []string{"analyst-1", "analyst-2"} {
		to := truce.ReviewUnderReview
		if i == 1 {
			to = truce.ReviewVerified
		}
		if _, err := db.write.Exec(`INSERT INTO finding_reviews (finding, time, actor, action, from_state, to_state, reason) VALUES (?, ?, ?, 'verify', 'detected', ?, 'seen')`,
			f.ID, reviewed.Add(time.Duration(i)*time.Minute).UnixNano(), a, to); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.write.Exec(`UPDATE findings SET review = 'verified' WHERE id = ?`, f.ID); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = openAt(t, path)
	changes, err := db.OpenChanges(context.Background(), time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	last := reviewed.Add(time.Minute)
	if len(changes) != 1 || changes[0].ID != f.ID || changes[0].Change != truce.ChangePublished || changes[0].Version != 2 ||
		!changes[0].Time.Equal(last) || changes[0].Finding == nil || changes[0].Finding.Explanation != f.Explanation || !changes[0].Finding.Updated.Equal(last) {
		t.Fatalf("changes after the migration: %+v", changes)
	}
	var published []truce.OpenFinding
	db.OpenFindings(context.Background(), func(o *truce.OpenFinding) error { published = append(published, *o); return nil })
	if len(published) != 1 || published[0] != *changes[0].Finding {
		t.Errorf("published %+v, want the change's record %+v", published, changes[0].Finding)
	}
}

// TestChangeTimesStrictlyIncreaseWhateverTheClock reviews findings with a clock that stands
// still: every change still has a time of its own, so that a copy resuming from the last it
// applied misses none.
func TestChangeTimesStrictlyIncreaseWhateverTheClock(t *testing.T) {
	db := open(t)
	db.now = func() time.Time { return t0 }
	batch := judged(0, 12)
	ingest(t, db, batch)
	var ids []string
	for _, j := range batch {
		for _, f := range j.Findings {
			ids = append(ids, f.ID)
		}
	}
	ctx := context.Background()
	for _, id := range ids {
		if _, err := db.Review(ctx, id, truce.ActionVerify, "a1", "seen", 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Review(ctx, ids[0], truce.ActionReopen, "a1", "contested", 1); err != nil {
		t.Fatal(err)
	}
	all, err := db.OpenChanges(ctx, time.Time{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(ids)+1 || all[len(all)-1].Change != truce.ChangeWithdrawn || all[len(all)-1].Finding != nil {
		t.Fatalf("%d changes, the last %+v; want %d, the last a withdrawal", len(all), all[len(all)-1], len(ids)+1)
	}
	for i := 1; i < len(all); i++ {
		if !all[i].Time.After(all[i-1].Time) {
			t.Fatalf("change %d at %s, not after change %d at %s", i, all[i].Time, i-1, all[i-1].Time)
		}
	}
	// Reading two at a time from the last time seen visits every change.
	seen := map[string]int{}
	var since time.Time
	for {
		page, err := db.OpenChanges(ctx, since, 2)
		if err != nil {
			t.Fatal(err)
		}
		fresh := 0
		for _, c := range page {
			key := c.ID + "/" + c.Change
			if c.Time.After(since) || since.IsZero() {
				seen[key]++
				fresh++
			}
			since = c.Time
		}
		if fresh == 0 {
			break
		}
	}
	if len(seen) != len(ids)+1 {
		t.Errorf("paging visited %d changes, want %d", len(seen), len(ids)+1)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("change %s visited %d times", k, n)
		}
	}
}
