package sqlite

import (
	"context"
	"database/sql"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
)

// TestTheLogAppendsInTheIngestTransaction wires the ledger as the server does: its tables in
// the store's file, each stored observation and finding appended to the log by the ingest
// hook. The log then grows with what was stored, and not with duplicates or failed batches.
func TestTheLogAppendsInTheIngestTransaction(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	if err := db.Update(ctx, func(tx *sql.Tx) error { return ledger.CreateSchema(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	logHook := func(ctx context.Context, tx *sql.Tx, stored []truce.Event) error {
		var records []ledger.Record
		for _, e := range stored {
			r, err := ledger.ObservationRecord(e.Observation, t0)
			if err != nil {
				return err
			}
			records = append(records, r)
			for i := range e.Findings {
				r, err := ledger.FindingRecord(&e.Findings[i], t0)
				if err != nil {
					return err
				}
				records = append(records, r)
			}
		}
		if len(records) == 0 {
			return nil
		}
		_, err := ledger.Append(ctx, tx, records...)
		return err
	}
	db.SetIngestHook(logHook)
	size := func() int64 {
		n, err := ledger.Size(ctx, db.ReadDB())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	records := func(b []truce.Judged) int64 {
		var n int64
		for _, j := range b {
			n += 1 + int64(len(j.Findings))
		}
		return n
	}

	first := judged(0, 200)
	ingest(t, db, first)
	if got, want := size(), records(first); got != want {
		t.Fatalf("log size %d after the first batch, want %d", got, want)
	}
	// A batch of duplicates and one new observation logs the new one only.
	second := append(judged(0, 50), judged(200, 1)...)
	ingest(t, db, second)
	want := records(first) + records(judged(200, 1))
	if got := size(); got != want {
		t.Fatalf("log size %d after a batch of duplicates, want %d", got, want)
	}
	// A batch that fails logs nothing.
	bad := judged(300, 20)
	bad[19].Findings = []truce.Finding{first[1].Findings[0]}
	if _, _, err := db.Ingest(ctx, bad); err == nil {
		t.Fatal("a batch repeating a finding id was stored")
	}
	if got := size(); got != want {
		t.Errorf("log size %d after a failed batch, want %d", got, want)
	}
	// Nor does a batch whose log append succeeded but which failed after it: the append is
	// rolled back with the batch.
	db.SetIngestHook(func(ctx context.Context, tx *sql.Tx, stored []truce.Event) error {
		if err := logHook(ctx, tx, stored); err != nil {
			return err
		}
		return truce.Errorf(truce.EUNAVAILABLE, "shutting down")
	})
	if _, _, err := db.Ingest(ctx, judged(400, 20)); err == nil {
		t.Fatal("the batch was stored though its hook failed")
	}
	if got := size(); got != want {
		t.Errorf("log size %d after a batch failed after its append, want %d", got, want)
	}
	if n := count(t, db, "observations"); n != 201 {
		t.Errorf("%d observations stored, want 201", n)
	}
}
