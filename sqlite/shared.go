package sqlite

import (
	"context"
	"database/sql"
)

// Update runs fn in a transaction on the store's one write connection and commits what fn
// wrote if it returns nil, or rolls it back if it returns an error. It is for packages that
// keep their own tables in the same file (the ledger's log and checkpoints): their writes
// take turns with Ingest's on that connection instead of waiting on SQLite's file lock.
func (db *DB) Update(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "update: begin")
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return internal(err, "update: commit")
	}
	return nil
}

// ReadDB is the pool of read-only connections to the file, for packages that query their own
// tables in it. A write through it fails.
func (db *DB) ReadDB() *sql.DB { return db.read }
