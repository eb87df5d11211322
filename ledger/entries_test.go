package ledger

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// canonical returns the canonical encodings of records from to from+n-1 of the test log.
func canonical(t *testing.T, from, n int) [][]byte {
	t.Helper()
	var out [][]byte
	for _, r := range records(t, from, n) {
		c, err := r.MarshalCanonical()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestEntriesReadAcrossRowsAndBatches(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	for _, batch := range []int{1, 2, 300, 5, 64, 65} {
		appendN(t, db, batch)
	}
	const size = 437
	want := canonical(t, 0, size)
	for _, r := range [][2]int64{{0, 1}, {0, size}, {1, 3}, {2, 303}, {15, 16}, {299, 340}, {size - 1, size}, {400, size + 50}, {size, size + 1}, {5, 5}} {
		got, err := Entries(ctx, db, nil, r[0], r[1])
		if err != nil {
			t.Fatalf("records %d to %d: %v", r[0], r[1]-1, err)
		}
		end := min(r[1], size)
		if int64(len(got)) != max(0, end-r[0]) {
			t.Fatalf("records %d to %d: got %d, want %d", r[0], r[1]-1, len(got), max(0, end-r[0]))
		}
		for i, g := range got {
			if string(g) != string(want[r[0]+int64(i)]) {
				t.Fatalf("records %d to %d: record %d\n got %s\nwant %s", r[0], r[1]-1, r[0]+int64(i), g, want[r[0]+int64(i)])
			}
		}
	}
}

// TestRowsHoldManyRecordsWithinTheirLimits holds the rows of ledger_entries to their limits: a
// batch's records fill rows of at most recordsPerRow records and rowBytes bytes, a record
// longer than that has a row of its own, and the rows follow one another with no gap.
func TestRowsHoldManyRecordsWithinTheirLimits(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	appendN(t, db, 1000)
	big, err := NewRecord(KindDecision, "big", t0, map[string]string{"note": strings.Repeat("x", 3*rowBytes)})
	if err != nil {
		t.Fatal(err)
	}
	record, err := NewRecord(KindDecision, "small", t0, map[string]int{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := record.Encode()
	if err != nil {
		t.Fatal(err)
	}
	bigEnc, err := big.Encode()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Records kept as references of a few dozen bytes fill rows to the count, not the bytes.
	small, err := enc.StoredAs([]byte("@observation 123456789 1764392481850955796"))
	if err != nil {
		t.Fatal(err)
	}
	batch := []Encoded{small, bigEnc}
	for range 2 * recordsPerRow {
		batch = append(batch, small)
	}
	if _, err := AppendEncoded(ctx, tx, batch...); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT idx, n, length(data) FROM ledger_entries ORDER BY idx`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var next, count int64
	var full int
	for rows.Next() {
		var idx, n, length int64
		if err := rows.Scan(&idx, &n, &length); err != nil {
			t.Fatal(err)
		}
		if idx != next {
			t.Fatalf("row at %d, want %d", idx, next)
		}
		if n < 1 || n > recordsPerRow || n > 1 && length > rowBytes {
			t.Errorf("row at %d: %d records, %d bytes", idx, n, length)
		}
		if n == recordsPerRow {
			full++
		}
		next += n
		count++
	}
	if next != 1000+int64(len(batch)) {
		t.Errorf("rows hold %d records, want %d", next, 1000+len(batch))
	}
	// 1,000 records of some 450 bytes fill rows of 8,000 bytes: some 60 rows, not 1,000.
	if count > 1000/(rowBytes/500)+10 {
		t.Errorf("%d rows for %d records", count, next)
	}
	if full != 2 {
		t.Errorf("%d rows of %d records, want the two of small records", full, recordsPerRow)
	}
}

func TestAppendEncodedRefusesWhatEncodeDidNotMake(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	good, err := records(t, 0, 1)[0].Encode()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := AppendEncoded(ctx, tx, good, Encoded{}); err == nil || !strings.Contains(err.Error(), "entry 1 of 2") {
		t.Fatalf("error %v, want entry 1 refused", err)
	}
	if n, _ := Size(ctx, tx); n != 0 {
		t.Errorf("size %d after a refused batch", n)
	}
}

// oldLayout rewrites the log in db as the version before rows of many records kept it: a row
// per record in ledger_records (idx, kind, data), and no ledger_entries.
func oldLayout(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	size, err := Size(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := Entries(ctx, db, nil, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE ledger_records (idx INTEGER PRIMARY KEY, kind TEXT NOT NULL, data BYTEA NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		r, err := ParseRecord(l)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO ledger_records VALUES ($1, $2, $3)`, i, r.Kind, l); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`DROP TABLE ledger_entries`); err != nil {
		t.Fatal(err)
	}
}

// TestCreateSchemaMovesTheRecordsOfAnOlderLog opens a log written with a row per record: the
// records move into rows of many, the old table goes, and the log proves and exports as it did
// (the stored hashes are untouched, and hash the same bytes).
func TestCreateSchemaMovesTheRecordsOfAnOlderLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "truce.db")
	db := openDBFile(t, path)
	signer, verifier := testKey(t, "truce.example/mission")
	for _, batch := range []int{1, 300, 7} {
		appendN(t, db, batch)
		if _, _, err := (&Checkpointer{Signer: signer}).Checkpoint(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	want := canonical(t, 0, 308)
	oldLayout(t, db)
	db.Close()

	db = openDBFile(t, path)
	var old int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'ledger_records'`).Scan(&old); err != nil || old != 0 {
		t.Fatalf("ledger_records is still there (%d, %v)", old, err)
	}
	got, err := Entries(ctx, db, nil, 0, 400)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records after the move, want %d", len(got), len(want))
	}
	for i := range got {
		if string(got[i]) != string(want[i]) {
			t.Fatalf("record %d\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	appendN(t, db, 5) // and it grows as any other
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := Export(ctx, db, nil, signer, dir); err != nil {
		t.Fatal(err)
	}
	v, err := Verify(dir, verifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Checkpoint.Size != 313 || len(v.Earlier) != 3 {
		t.Errorf("verified %+v, want size 313 and 3 earlier checkpoints", v)
	}
}

// TestCreateSchemaRefusesToMoveAnOlderLogWithAGap leaves an older log whose records have a gap
// as it was, and names the missing record.
func TestCreateSchemaRefusesToMoveAnOlderLogWithAGap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	db := openDBFile(t, path)
	appendN(t, db, 1500)
	oldLayout(t, db)
	if _, err := db.Exec(`DELETE FROM ledger_records WHERE idx = 1200`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = CreateSchema(context.Background(), db)
	if err == nil || !strings.Contains(err.Error(), "record 1200 is missing from ledger_records") {
		t.Fatalf("error %v, want record 1200 named as missing", err)
	}
	var old, moved int
	db.QueryRow(`SELECT COUNT(*) FROM ledger_records`).Scan(&old)
	db.QueryRow(`SELECT COUNT(*) FROM ledger_entries`).Scan(&moved)
	if old != 1499 || moved != 0 {
		t.Errorf("after the refusal: %d old records, %d rows moved; want %d and 0", old, moved, 1499)
	}
}
