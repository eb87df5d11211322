package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	_ "modernc.org/sqlite"

	"github.com/truce-project/truce"
)

// openDB opens a new SQLite file in a temporary folder with the ledger's tables.
func openDB(t testing.TB) *sql.DB {
	t.Helper()
	return openDBFile(t, filepath.Join(t.TempDir(), "truce.db"))
}

func openDBFile(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := CreateSchema(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

var t0 = time.Date(2026, 11, 28, 9, 15, 0, 0, time.UTC)

// observation returns a plausible observation number i: a monitor's sighting near the line of
// contact, with one photo as evidence.
func observation(i int) *truce.Observation {
	return &truce.Observation{
		ID:       fmt.Sprintf("obs-%06d", i),
		Source:   "patrol-7",
		Time:     t0.Add(time.Duration(i) * time.Second),
		Kind:     truce.Kinds[i%len(truce.Kinds)],
		Lat:      35.1 + float64(i%1000)*1e-4,
		Lon:      33.3 + float64(i%777)*1e-4,
		CEm:      25,
		Party:    "east",
		Attrs:    map[string]any{"count_best": float64(i % 7), "caliber_mm": 122.0},
		Evidence: []string{fmt.Sprintf("%064x", i)},
		Raw:      []byte(fmt.Sprintf(`{"id":"obs-%06d"}`, i)),
	}
}

func records(t testing.TB, from, n int) []Record {
	t.Helper()
	out := make([]Record, n)
	for i := range out {
		r, err := ObservationRecord(observation(from+i), t0.Add(time.Duration(from+i)*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	return out
}

// appendN appends n records to db in one transaction and returns the index of the first.
func appendN(t testing.TB, db *sql.DB, n int) int64 {
	t.Helper()
	ctx := context.Background()
	size, err := Size(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	first, err := Append(ctx, tx, records(t, int(size), n)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return first
}

// testKey is the mission's key for tests, made once from a fixed name.
func testKey(t testing.TB, name string) (note.Signer, note.Verifier) {
	t.Helper()
	signer, verifier, _ := testKeyPair(t, name)
	return signer, verifier
}

// testKeyPair also returns the verifier key as text, as log.pub holds it.
func testKeyPair(t testing.TB, name string) (note.Signer, note.Verifier, string) {
	t.Helper()
	signer, vkey, err := LoadOrCreateKey(t.TempDir(), LogKeyFile, name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, v, vkey
}
