package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// incidentChanges reads the whole feed of incident changes.
func incidentChanges(t *testing.T, db *DB) []truce.OpenChange {
	t.Helper()
	all, err := db.OpenIncidentChanges(context.Background(), time.Time{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// TestIncidentChangesFollowWhatMadeThem stores incidents, verifies and reopens their findings,
// merges and splits them, all with a clock that stands still, and reads the feed after each
// step: each step that changes a published incident adds the change it made, with the record
// as the store now has it, and nothing else does. The times of both feeds, findings' and
// incidents', are all different and increase in the order the changes were made.
func TestIncidentChangesFollowWhatMadeThem(t *testing.T) {
	db := open(t)
	db.now = func() time.Time { return t0 }
	ctx := context.Background()
	js := judged(0, 9)
	ingest(t, db, js)
	verify := func(fid string) {
		t.Helper()
		if _, err := db.Review(ctx, fid, truce.ActionVerify, "a1", "seen", 1); err != nil {
			t.Fatal(err)
		}
	}
	var seen int
	// step checks that the feed gained the changes want ("id change") since the last step, each
	// published or updated one with the incident as it is stored, at its version.
	step := func(name string, want ...string) []truce.OpenChange {
		t.Helper()
		all := incidentChanges(t, db)
		fresh := all[seen:]
		seen = len(all)
		var got []string
		for _, c := range fresh {
			got = append(got, c.ID+" "+c.Change)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: changes %q, want %q", name, got, want)
		}
		for _, c := range fresh {
			if c.Change == truce.ChangeWithdrawn {
				if c.Incident != nil {
					t.Errorf("%s: a withdrawal with a record: %+v", name, c)
				}
				continue
			}
			stored := getIncident(t, db, c.ID)
			want, ok := truce.PublicIncident(stored)
			if !ok || c.Incident == nil || c.Version != stored.Version || !slices.Equal(c.Incident.Findings, want.Findings) ||
				c.Incident.Version != want.Version || c.Incident.Reports != want.Reports || !c.Incident.Updated.Equal(want.Updated) {
				t.Errorf("%s: change %+v, record %+v; the store has %+v", name, c, c.Incident, want)
			}
		}
		return fresh
	}
	a := incidentOf("incident-a", "", js[1], js[2])
	b := incidentOf("incident-b", "", js[4])
	putIncidents(t, db, 4, a, b)
	step("nothing verified")

	verify(js[1].Findings[0].ID)
	published := step("a finding of incident-a verified", "incident-a published")
	if published[0].Incident.Version != 2 {
		t.Errorf("incident-a published at version %d, want 2: verifying its finding is a change", published[0].Incident.Version)
	}
	verify(js[8].Findings[1].ID) // of no incident
	step("a finding of no incident verified")

	putIncidents(t, db, 5, incidentOf("incident-a", "", js[1], js[2], js[5]))
	if c := step("a report joins", "incident-a updated"); c[0].Incident.Reports != 3 {
		t.Errorf("after a report joined: %+v", c[0].Incident)
	}
	putIncidents(t, db, 5, incidentOf("incident-a", "", js[1], js[2], js[5]))
	step("stored again unchanged")

	verify(js[5].Findings[1].ID)
	if c := step("a second finding verified", "incident-a updated"); len(c[0].Incident.Findings) != 2 {
		t.Errorf("incident-a with two verified findings lists %v", c[0].Incident.Findings)
	}
	verify(js[4].Findings[0].ID)
	step("the other's finding verified", "incident-b published")
	bVersion := getIncident(t, db, "incident-b").Version

	merged := incidentOf("incident-a", "", js[1], js[2], js[5], js[4])
	if _, err := db.MergeIncidents(ctx, []string{"incident-a", "incident-b"}, merged, "a1", "one vehicle"); err != nil {
		t.Fatal(err)
	}
	c := step("merged", "incident-a updated", "incident-b withdrawn")
	if c[1].Version != bVersion+1 {
		t.Errorf("incident-b withdrawn at version %d, want %d", c[1].Version, bVersion+1)
	}

	key := js[4].Observation.Source + "/" + js[4].Observation.ID
	if _, err := db.SplitIncident(ctx, "incident-a", []string{key}, incidentOf("incident-a", "", js[1], js[2], js[5]),
		incidentOf("incident-b", "", js[4]), "a1", "two vehicles"); err != nil {
		t.Fatal(err)
	}
	c = step("split", "incident-a updated", "incident-b published")
	if c[1].Version != bVersion+2 {
		t.Errorf("incident-b, split off again, published at version %d, want %d: its id goes on from its withdrawal", c[1].Version, bVersion+2)
	}

	if _, err := db.Review(ctx, js[4].Findings[0].ID, truce.ActionReopen, "a1", "contested", 1); err != nil {
		t.Fatal(err)
	}
	c = step("its only verified finding reopened", "incident-b withdrawn")
	if c[0].Version != bVersion+3 {
		t.Errorf("incident-b withdrawn at version %d, want %d", c[0].Version, bVersion+3)
	}

	// One clock for both feeds: every change has a time of its own.
	findings, err := db.OpenChanges(ctx, time.Time{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	times := map[int64]string{}
	for _, c := range append(findings, incidentChanges(t, db)...) {
		k := c.Time.UnixNano()
		if other, ok := times[k]; ok {
			t.Errorf("%s %s and %s at the same time %s", c.ID, c.Change, other, c.Time)
		}
		times[k] = c.ID + " " + c.Change
	}
	if len(times) < 12 {
		t.Errorf("%d changes in both feeds; the test shows less than it should", len(times))
	}
}

// TestIncidentsPublishedBeforeTheFeedArePublishedByTheMigration opens a file as it was before
// the incidents' feed, with one incident published and one not, and checks that the migration
// publishes the first, with the incident as it is, and that the feed goes on from there.
func TestIncidentsPublishedBeforeTheFeedArePublishedByTheMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	db := openAt(t, path)
	ctx := context.Background()
	js := judged(0, 6)
	ingest(t, db, js)
	putIncidents(t, db, 6, incidentOf("incident-a", "", js[1], js[2]), incidentOf("incident-b", "", js[4]),
		incidentOf("incident-c", "", js[5]))
	fid := js[1].Findings[0].ID
	if _, err := db.Review(ctx, fid, truce.ActionVerify, "a1", "seen", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Review(ctx, js[5].Findings[0].ID, truce.ActionVerify, "a1", "seen", 1); err != nil {
		t.Fatal(err)
	}
	// incident-c is published and then merged away, as far as the old schema knew, without a
	// trace: it is simply gone.
	if _, err := db.write.Exec(`DELETE FROM incidents WHERE id = 'incident-c'`); err != nil {
		t.Fatal(err)
	}
	var version int
	for i, m := range migrations {
		if m.name == "open incident changes" {
			version = i + 1
		}
	}
	for _, stmt := range []string{`DROP TABLE open_incidents`, `DROP TABLE open_incident_changes`,
		fmt.Sprintf(`DELETE FROM schema_migrations WHERE version >= %d`, version)} {
		if _, err := db.write.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	db = openAt(t, path)
	changes := incidentChanges(t, db)
	stored := getIncident(t, db, "incident-a")
	if len(changes) != 1 || changes[0].ID != "incident-a" || changes[0].Change != truce.ChangePublished ||
		changes[0].Version != stored.Version || changes[0].Incident == nil || !slices.Equal(changes[0].Incident.Findings, []string{fid}) {
		t.Fatalf("changes after the migration: %+v", changes)
	}
	if _, err := db.Review(ctx, fid, truce.ActionReopen, "a1", "contested", 1); err != nil {
		t.Fatal(err)
	}
	changes = incidentChanges(t, db)
	if len(changes) != 2 || changes[1].Change != truce.ChangeWithdrawn || changes[1].Version != stored.Version+1 ||
		!changes[1].Time.After(changes[0].Time) {
		t.Fatalf("changes after a withdrawal: %+v", changes)
	}
	// The first, read again, is now given as withdrawn too: the incident is not published.
	if changes[0].Change != truce.ChangeWithdrawn || changes[0].Incident != nil {
		t.Errorf("the migration's change of a withdrawn incident: %+v", changes[0])
	}
}
