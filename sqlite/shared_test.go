package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"testing"
)

func TestUpdateCommitsOrRollsBackWhatItWrote(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	if err := db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE ledger_like (n INTEGER PRIMARY KEY)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("signing key unavailable")
	err := db.Update(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_like VALUES (1)`); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Errorf("Update returned %v, want fn's error", err)
	}
	if n := count(t, db, "ledger_like"); n != 0 {
		t.Errorf("a failed Update kept %d rows", n)
	}
	if err := db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO ledger_like VALUES (2)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT n FROM ledger_like`).Scan(&n); err != nil || n != 2 {
		t.Errorf("ReadDB sees %d, %v; want the committed row 2", n, err)
	}
	if _, err := db.ReadDB().ExecContext(ctx, `INSERT INTO ledger_like VALUES (3)`); err == nil {
		t.Error("ReadDB wrote")
	}
}
