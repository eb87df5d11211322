package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// TestMissionRecordsOfAPeriodUseTheirPartialIndex: a report's query for the restrictions
// and damage of a day is served by the partial index of its kind family, not by reading every
// observation, and returns exactly the family's observations of the period.
func TestMissionRecordsOfAPeriodUseTheirPartialIndex(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	var batch []truce.Judged
	for i, kind := range []string{"access.restriction", "air.uav", "damage.infrastructure", "access.restriction", "presence.vehicle"} {
		o := observation(i)
		o.Kind = kind
		o.Time = t0.Add(time.Duration(i) * time.Hour)
		batch = append(batch, truce.Judged{Observation: o})
	}
	ingest(t, db, batch)
	for family, want := range map[string]int{"access.*": 2, "damage.*": 1, "air.*": 1} {
		var w where
		w.add("seq > ?", 0)
		w.times(t0, t0.Add(5*time.Hour))
		w.kind(family)
		plan := explain(t, db.read, `SELECT `+observationColumns+` FROM observations`+w.String()+` ORDER BY seq LIMIT ?`, append(w.args, 1001)...)
		index := "observations_" + strings.TrimSuffix(family, ".*")
		if uses := strings.Contains(plan, index); uses != (family != "air.*") {
			t.Errorf("%s: plan %q; uses %s: %v", family, plan, index, uses)
		}
		got, _, err := db.Observations(ctx, truce.ObservationFilter{Kind: family, From: t0, To: t0.Add(5 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Errorf("%s: %d observations, want %d", family, len(got), want)
		}
		for _, o := range got {
			if !truce.KindMatches(family, o.Kind) {
				t.Errorf("%s: got %s", family, o.Kind)
			}
		}
	}
	keys := []truce.ObservationKey{
		{Source: batch[2].Observation.Source, ID: batch[2].Observation.ID},
		{Source: "nobody", ID: "x"},
		{Source: batch[0].Observation.Source, ID: batch[0].Observation.ID},
	}
	got, err := db.ObservationsByKey(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != batch[2].Observation.ID || got[1].ID != batch[0].Observation.ID {
		t.Errorf("by key: %+v", got)
	}
}

func explain(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "; ")
	}
	return b.String()
}

func TestPublishedReportsKeepEveryVersion(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	if _, err := db.PublishedReport(ctx, truce.ReportDaily, "2026-05-01"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("before publication: %v, want not found", err)
	}
	var hooked []int
	db.SetPublishHook(func(ctx context.Context, tx *sql.Tx, r *truce.PublishedReport) error {
		hooked = append(hooked, r.Version)
		return nil
	})
	for i, body := range []string{"first", "corrected"} {
		v, err := db.PublishReport(ctx, &truce.PublishedReport{Kind: truce.ReportDaily, Name: "2026-05-01", By: "analyst", JSON: []byte(`{"v":"` + body + `"}`), HTML: []byte("<p>" + body)})
		if err != nil {
			t.Fatal(err)
		}
		if v != i+1 {
			t.Errorf("version %d, want %d", v, i+1)
		}
	}
	r, err := db.PublishedReport(ctx, truce.ReportDaily, "2026-05-01")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 2 || string(r.HTML) != "<p>corrected" || r.By != "analyst" || r.Published.IsZero() {
		t.Errorf("latest: %+v %s", r, r.HTML)
	}
	if len(hooked) != 2 {
		t.Errorf("the hook saw %v", hooked)
	}
	db.SetPublishHook(func(ctx context.Context, tx *sql.Tx, r *truce.PublishedReport) error { return sql.ErrConnDone })
	if _, err := db.PublishReport(ctx, &truce.PublishedReport{Kind: truce.ReportDaily, Name: "2026-05-01", JSON: []byte("{}"), HTML: []byte("x")}); err == nil {
		t.Fatal("a publication whose hook failed was kept")
	}
	if r, _ := db.PublishedReport(ctx, truce.ReportDaily, "2026-05-01"); r.Version != 2 {
		t.Errorf("after a failed publication the latest is version %d", r.Version)
	}
	if _, err := db.PublishReport(ctx, &truce.PublishedReport{Kind: truce.ReportDaily, Name: "2026-05-02"}); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("an empty report: %v", err)
	}
}
