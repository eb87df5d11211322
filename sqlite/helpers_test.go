package sqlite

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// open opens a store in a new file in a temporary folder and closes it when the test ends.
func open(t testing.TB) *DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "truce.db"))
}

func openAt(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var t0 = time.Date(2026, 11, 28, 9, 15, 0, 0, time.UTC)

// parties, zones and rules the generated data cycles through.
var (
	parties = []string{"east", "west", ""}
	zones   = []string{"dmz", "band-50km", "corridor"}
	rules   = []string{"dmz-presence", "heavy-weapons", "ceasefire-fire"}
	sources = []string{"patrol-7", "acoustic-2", "ais"}
)

// observation returns a plausible observation number i: a report near a line of contact in
// Cyprus, with attributes, one photo as evidence and the bytes it came from.
func observation(i int) *truce.Observation {
	return &truce.Observation{
		ID:       fmt.Sprintf("obs-%07d", i),
		Source:   sources[i%len(sources)],
		Time:     t0.Add(time.Duration(i) * time.Second),
		Kind:     truce.Kinds[i%len(truce.Kinds)],
		Lat:      35.0 + float64(i%1000)*1e-3,
		Lon:      33.0 + float64(i%997)*1e-3,
		CEm:      float64(i % 50),
		Party:    parties[(i/3)%len(parties)],
		Attrs:    map[string]any{"count_best": float64(i % 7), "caliber_mm": 122.0, "weapon": "artillery"},
		Evidence: []string{fmt.Sprintf("%064x", i)},
		Raw:      []byte(fmt.Sprintf(`{"id":"obs-%07d","source":%q}`, i, sources[i%len(sources)])),
	}
}

// finding returns the k-th finding judged from o.
func finding(o *truce.Observation, k int) truce.Finding {
	n := len(o.ID) + k
	return truce.Finding{
		ID:          fmt.Sprintf("%s/%s/%s", o.Source, o.ID, rules[k%len(rules)]),
		Rule:        rules[k%len(rules)],
		Article:     fmt.Sprintf("2(%d)", k+1),
		Title:       "Presence in the demilitarised zone",
		Observation: o.ID,
		Source:      o.Source,
		Kind:        o.Kind,
		Time:        o.Time,
		Lat:         o.Lat,
		Lon:         o.Lon,
		Zone:        zones[(n+int(o.Lat*1000))%len(zones)],
		Party:       o.Party,
		Attribution: "observed",
		Severity:    "major",
		Confidence:  0.9,
		Status:      []string{truce.StatusInside, truce.StatusPossible}[k%2],
		Explanation: fmt.Sprintf("%s 1.2 km inside DMZ — Art. 2(%d)", o.Kind, k+1),
		Agreement:   "sha256:4f1c",
	}
}

// judged returns observations from..from+n-1, the i-th with i%3 findings (0, 1 or 2: one
// finding per observation on average).
func judged(from, n int) []truce.Judged {
	out := make([]truce.Judged, n)
	for j := range out {
		i := from + j
		o := observation(i)
		out[j] = truce.Judged{Observation: o}
		for k := 0; k < i%3; k++ {
			out[j].Findings = append(out[j].Findings, finding(o, k))
		}
	}
	return out
}

// ingest stores batches and fails the test on an error.
func ingest(t testing.TB, db *DB, batch []truce.Judged) ([]bool, []int64) {
	t.Helper()
	dup, seq, err := db.Ingest(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(dup) != len(batch) || len(seq) != len(batch) {
		t.Fatalf("Ingest returned %d dup and %d seq for a batch of %d", len(dup), len(seq), len(batch))
	}
	return dup, seq
}

// equalObservation fails the test unless got is want as the store keeps it: every field
// equal, times equal as instants.
func equalObservation(t testing.TB, got, want *truce.Observation) {
	t.Helper()
	if got == nil {
		t.Fatalf("observation %q: nil", want.ID)
	}
	g, w := *got, *want
	if !g.Time.Equal(w.Time) {
		t.Errorf("observation %q: time %v, want %v", w.ID, g.Time, w.Time)
	}
	g.Time, w.Time = time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("observation %q:\n got %#v\nwant %#v", w.ID, g, w)
	}
}

// equalFindings fails the test unless got and want hold the same findings in the same order.
func equalFindings(t testing.TB, got, want []truce.Finding) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d findings, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Time.Equal(w.Time) {
			t.Errorf("finding %q: time %v, want %v", w.ID, g.Time, w.Time)
		}
		g.Time, w.Time = time.Time{}, time.Time{}
		if w.Review == "" {
			w.Review = truce.ReviewDetected // every finding is stored as detected
		}
		if g != w {
			t.Errorf("finding %d:\n got %#v\nwant %#v", i, g, w)
		}
	}
}

// count returns the number of rows in table.
func count(t testing.TB, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.read.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func nan() float64 { return math.NaN() }
