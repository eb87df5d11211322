package ledger

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/mod/sumdb/tlog"
)

// openPostgres returns a database/sql handle on the PostgreSQL database named by
// TRUCE_TEST_POSTGRES, in a schema of its own that is dropped after the test. Without the
// variable the test is skipped, unless CI is set: there it must run.
func openPostgres(t *testing.T) *sql.DB {
	t.Helper()
	dsn := os.Getenv("TRUCE_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TRUCE_TEST_POSTGRES is not set, and CI is: the PostgreSQL tests must run")
		}
		t.Skip("TRUCE_TEST_POSTGRES is not set: no PostgreSQL to test the ledger's SQL on")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	suffix := make([]byte, 6)
	rand.Read(suffix)
	schema := "ledger_test_" + hex.EncodeToString(suffix)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("TRUCE_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", dsn); err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema) // every pooled connection works in the test's schema
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := CreateSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestLedgerOnPostgreSQL runs the ledger's SQL on PostgreSQL: appends in batches, proofs
// checked against the tree of the same records built in memory, checkpoints, and an export
// that verifies.
func TestLedgerOnPostgreSQL(t *testing.T) {
	ctx := context.Background()
	db := openPostgres(t)
	signer, verifier := testKey(t, "truce.example/mission")
	var tb treeBuilder
	n := 0
	// Two batches go through statements prepared once, as the server's writer appends.
	stmts, err := PrepareStatements(ctx, db.PrepareContext)
	if err != nil {
		t.Fatal(err)
	}
	defer stmts.Close()
	for k, batch := range []int{1, 2, 300, 7} {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		recs := records(t, n, batch)
		var first int64
		if k%2 == 0 {
			first, err = Append(ctx, tx, recs...)
		} else {
			enc := make([]Encoded, len(recs))
			for i, r := range recs {
				if enc[i], err = r.Encode(); err != nil {
					t.Fatal(err)
				}
			}
			first, err = stmts.Append(ctx, tx, enc...)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if first != int64(n) {
			t.Fatalf("batch appended at %d, want %d", first, n)
		}
		for _, r := range recs {
			h, _ := r.LeafHash()
			tb.add(h)
		}
		n += batch
		if _, _, err := (&Checkpointer{Signer: signer}).Checkpoint(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	root, err := TreeHash(ctx, db, int64(n))
	if err != nil || root != tb.root() {
		t.Fatalf("tree hash %s (%v), want %s", root, err, tb.root())
	}
	for _, i := range []int64{0, 1, 150, int64(n - 1)} {
		p, err := ProveInclusion(ctx, db, i, int64(n))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Entry(ctx, db, nil, i)
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := r.LeafHash()
		if err := tlog.CheckRecord(p, int64(n), root, i, leaf); err != nil {
			t.Errorf("inclusion of record %d: %v", i, err)
		}
	}
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := Export(ctx, db, nil, signer, dir); err != nil {
		t.Fatal(err)
	}
	v, err := Verify(dir, verifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Checkpoint.Size != int64(n) || len(v.Earlier) != 3 {
		t.Errorf("verified %+v, want size %d and 3 earlier checkpoints", v, n)
	}
}

// TestLedgerOnPostgreSQLMovesAnOlderLog opens, on PostgreSQL, a log written with a row per
// record: CreateSchema moves the records into rows of many, and the log proves what it did.
func TestLedgerOnPostgreSQLMovesAnOlderLog(t *testing.T) {
	ctx := context.Background()
	db := openPostgres(t)
	for _, batch := range []int{1, 300, 7} {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Append(ctx, tx, records(t, int(mustSize(t, db)), batch)...); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	root, err := TreeHash(ctx, db, 308)
	if err != nil {
		t.Fatal(err)
	}
	oldLayout(t, db)
	if err := CreateSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	var old bool
	if err := db.QueryRow(`SELECT to_regclass('ledger_records') IS NOT NULL`).Scan(&old); err != nil || old {
		t.Fatalf("ledger_records is still there (%v, %v)", old, err)
	}
	want := canonical(t, 0, 308)
	got, err := Entries(ctx, db, nil, 0, 308)
	if err != nil || len(got) != len(want) {
		t.Fatalf("%d records after the move (%v), want %d", len(got), err, len(want))
	}
	for i := range got {
		if string(got[i]) != string(want[i]) {
			t.Fatalf("record %d\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	for _, i := range []int64{0, 150, 307} {
		p, err := ProveInclusion(ctx, db, i, 308)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, 308, root, i, tlog.RecordHash(got[i])); err != nil {
			t.Errorf("inclusion of record %d after the move: %v", i, err)
		}
	}
}

func mustSize(t *testing.T, q Querier) int64 {
	t.Helper()
	n, err := Size(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
