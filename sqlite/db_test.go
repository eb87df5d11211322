package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truce-project/truce"
)

func TestOpenSetsWALFullSyncAndForeignKeys(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	for _, c := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"page_size", "16384"},
	} {
		var got string
		if err := db.write.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("write connection: PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
	}
	var sync, queryOnly string
	if err := db.read.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if err := db.read.QueryRowContext(ctx, "PRAGMA query_only").Scan(&queryOnly); err != nil {
		t.Fatal(err)
	}
	if sync != "2" || queryOnly != "1" {
		t.Errorf("read connection: synchronous = %s, query_only = %s; want 2 and 1", sync, queryOnly)
	}
	if _, err := db.read.ExecContext(ctx, `DELETE FROM tokens`); err == nil {
		t.Error("a read connection could write")
	}
}

// appliedMigrations returns the rows of schema_migrations as "version name applied".
func appliedMigrations(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.read.Query(`SELECT version, name, applied FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, version, applied string
		if err := rows.Scan(&version, &name, &applied); err != nil {
			t.Fatal(err)
		}
		out = append(out, version+" "+name+" "+applied)
	}
	return out
}

func TestMigrationsRunOnceAcrossReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	first := appliedMigrations(t, db)
	if len(first) != len(migrations) {
		t.Fatalf("after the first open, schema_migrations has %d rows, want %d", len(first), len(migrations))
	}
	db.Close()
	db = openAt(t, path)
	if again := appliedMigrations(t, db); strings.Join(again, "\n") != strings.Join(first, "\n") {
		t.Errorf("reopening changed schema_migrations:\n%v\nwas\n%v", again, first)
	}
}

func TestMigrateAppliesOnlyTheMissingMigrations(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	extra := append(append([]migration(nil), migrations...),
		migration{version: len(migrations) + 1, name: "notes", stmts: []string{`CREATE TABLE notes (n INTEGER)`}})
	if err := db.migrate(ctx, extra); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.Exec(`INSERT INTO notes VALUES (1)`); err != nil {
		t.Fatalf("the new migration's table is missing: %v", err)
	}
	// Were migration 1 run again, CREATE TABLE observations would fail.
	if err := db.migrate(ctx, extra); err != nil {
		t.Fatalf("migrating an up-to-date schema: %v", err)
	}
	if got := appliedMigrations(t, db); len(got) != len(extra) {
		t.Errorf("schema_migrations has %d rows, want %d", len(got), len(extra))
	}
}

func TestAFailedMigrationLeavesTheSchemaAsItWas(t *testing.T) {
	db := open(t)
	bad := append(append([]migration(nil), migrations...), migration{
		version: len(migrations) + 1, name: "half",
		stmts: []string{`CREATE TABLE half (n INTEGER)`, `CREATE TABLE broken (`},
	})
	err := db.migrate(context.Background(), bad)
	want := fmt.Sprintf("migration %d (half)", len(migrations)+1)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("migrate with a broken statement: %v, want an error naming %s", err, want)
	}
	if _, err := db.write.Exec(`SELECT * FROM half`); err == nil {
		t.Error("the failed migration's first statement was kept")
	}
	if got := appliedMigrations(t, db); len(got) != len(migrations) {
		t.Errorf("schema_migrations has %d rows, want %d", len(got), len(migrations))
	}
}

func TestMigrationsMustBeNumberedInOrder(t *testing.T) {
	db := open(t)
	err := db.migrate(context.Background(), []migration{migrations[0], {version: 3, name: "skip"}})
	if err == nil || !strings.Contains(err.Error(), "version 3, want 2") {
		t.Errorf("migrate with a gap: %v", err)
	}
}

func TestOpenRefusesASchemaNewerThanItKnows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.Exec(`INSERT INTO schema_migrations (version, name, applied) VALUES (99, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a file at schema version 99")
	}
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("Open: %v; want ErrSchemaTooNew naming version 99", err)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	ctx := context.Background()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	batch := judged(0, 300)
	ingest(t, db, batch)
	tok := &truce.Token{Name: "patrol tablet", Role: truce.RoleMonitor}
	secret, err := db.CreateToken(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, truce.AuditEntry{Time: t0, TokenID: tok.ID, Role: tok.Role, Action: "token.create", Outcome: "allowed"}); err != nil {
		t.Fatal(err)
	}
	beforeEvents, err := db.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openAt(t, path)
	events, err := db.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(batch) || len(events) != len(beforeEvents) {
		t.Fatalf("after reopening: %d events, want %d", len(events), len(batch))
	}
	for i, e := range events {
		equalObservation(t, e.Observation, batch[i].Observation)
		equalFindings(t, e.Findings, batch[i].Findings)
	}
	got, err := db.Authenticate(ctx, secret)
	if err != nil || got.ID != tok.ID {
		t.Errorf("after reopening, Authenticate: %v, %v", got, err)
	}
	log, err := db.AuditLog(ctx, 10)
	if err != nil || len(log) != 1 || log[0].Action != "token.create" {
		t.Errorf("after reopening, AuditLog: %v, %v", log, err)
	}
}

func TestAFindingMustBelongToAStoredObservation(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	ingest(t, db, judged(0, 3))
	err := db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO findings (id, seq, rule, article, title, observation, source, kind, time,
			lat, lon, zone, party, attribution, severity, confidence, status, explanation, agreement)
			VALUES ('orphan', 999, 'r', '1', '', 'o', 's', 'fire.flash', 0, 0, 0, '', '', '', 'minor', 1, 'inside', '', 'h')`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("a finding of seq 999, which no observation has, was committed (%v)", err)
	}
	if n := count(t, db, "findings"); n != 3 {
		t.Errorf("%d findings, want the 3 stored before", n)
	}
}

func TestOpenNamesTheFileItCannotUse(t *testing.T) {
	dir := t.TempDir()
	notADatabase := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notADatabase, []byte(strings.Repeat("not a database\n", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{notADatabase, filepath.Join(dir, "missing", "truce.db")} {
		db, err := Open(path)
		if err == nil {
			db.Close()
			t.Errorf("Open(%s) succeeded", path)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("Open(%s): %v does not name the file", path, err)
		}
	}
}
