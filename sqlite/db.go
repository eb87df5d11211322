package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/truce-project/truce"
)

// DB is a truce.Store kept in one SQLite file. Its methods may be called from many
// goroutines at once.
type DB struct {
	path string

	// write has exactly one connection: every write goes through it, in turn.
	write *sql.DB
	// read is a pool of read-only connections.
	read *sql.DB

	// ingest holds the statements Ingest uses, prepared once on the write connection.
	ingest *ingestStmts

	// hook, when set, runs inside each Ingest transaction (see SetIngestHook).
	hookMu       sync.RWMutex
	hook         IngestHook
	reviewHook   ReviewHook
	incidentHook IncidentHook
	// publishHook, when set, runs inside each PublishReport transaction.
	publishHook PublishHook
	// responseHook, when set, runs inside each step of the liaison channel.
	responseHook ResponseHook

	// now is the clock, a field so that tests can fix it.
	now func() time.Time

	// stopCheckpoints ends the background checkpoints of the write-ahead log.
	stopCheckpoints func()
}

var _ truce.Store = (*DB)(nil)

// pageSize is the page size of new files, in bytes. In BenchmarkIngest 16 KiB pages cost
// about a sixth less CPU per observation than SQLite's default of 4 KiB (fewer pages to
// write to the WAL, one system call each, and fewer b-tree splits); 64 KiB gained little
// more, and makes every read of one row read 64 KiB.
var pageSize = 16384

// busyTimeout is how long a connection waits for a lock held by another process (a backup,
// the verify command) before it fails with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Open opens the store in the SQLite file at path, creating the file if it does not exist and
// bringing its schema up to date. It fails if the file's schema is newer than this program
// knows (ErrSchemaTooNew).
func Open(path string) (*DB, error) {
	// Pragmas are per connection, so they go in the DSN, which the driver applies to every
	// connection it opens. journal_mode=WAL persists in the file; the others do not.
	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", "synchronous(FULL)")
	// Temporary b-trees (a sort for ORDER BY on an unindexed column) stay in memory.
	common.Add("_pragma", "temp_store(MEMORY)")

	w := url.Values{}
	for k, v := range common {
		w[k] = append([]string(nil), v...)
	}
	// The page size takes effect only in a new file, before its first write; the driver
	// applies _pragma entries before _journal_mode, so it comes before WAL makes that write.
	// Large pages mean fewer pages written (a system call each) per batch, fewer b-tree page
	// splits, and a shallower tree; see pageSize.
	w.Add("_pragma", fmt.Sprintf("page_size(%d)", pageSize))
	w.Set("_journal_mode", "WAL")
	// A page cache of 64 MiB keeps the indexes of a large table in memory while a batch is
	// written. The negative value is in KiB.
	w.Add("_pragma", "cache_size(-65536)")
	// BEGIN IMMEDIATE takes the write lock when the transaction begins, so a transaction
	// never fails half-way for want of the lock another process holds.
	w.Set("_txlock", "immediate")

	write, err := sql.Open("sqlite", "file:"+path+"?"+w.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	db := &DB{path: path, write: write, now: time.Now}
	ctx := context.Background()
	if err := db.migrate(ctx, migrations); err != nil {
		write.Close()
		return nil, err
	}

	r := url.Values{}
	for k, v := range common {
		r[k] = append([]string(nil), v...)
	}
	r.Add("_pragma", "query_only(1)")
	read, err := sql.Open("sqlite", "file:"+path+"?"+r.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	db.read = read

	if db.ingest, err = prepareIngest(ctx, write); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if db.stopCheckpoints, err = startCheckpointer(path, common); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: checkpointer: %w", path, err)
	}
	return db, nil
}

// Path is the file the store is kept in.
func (db *DB) Path() string { return db.path }

// Close closes every connection. A store that Ingest has returned from has nothing left to
// write: Close only releases resources.
func (db *DB) Close() error {
	var errs []error
	if db.stopCheckpoints != nil {
		db.stopCheckpoints()
	}
	if db.ingest != nil {
		errs = append(errs, db.ingest.close())
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", db.path, err)
	}
	return nil
}

// internal wraps an unexpected failure of SQLite as an EINTERNAL error that says what was
// being done, keeping the cause in the chain for logs.
func internal(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var te *truce.Error
	if errors.As(err, &te) {
		return err
	}
	return &internalError{msg: fmt.Sprintf(format, args...), cause: err}
}

// internalError is an EINTERNAL *truce.Error whose cause stays reachable with errors.Unwrap,
// so a log shows what SQLite said while users see only the message.
type internalError struct {
	msg   string
	cause error
}

func (e *internalError) Error() string { return "sqlite: " + e.msg + ": " + e.cause.Error() }
func (e *internalError) Unwrap() error { return e.cause }

// As lets errors.As find a *truce.Error with code EINTERNAL, so truce.ErrorCode and
// truce.ErrorMessage treat it like any other store error.
func (e *internalError) As(target any) bool {
	if t, ok := target.(**truce.Error); ok {
		*t = truce.Errorf(truce.EINTERNAL, "sqlite: %s failed", e.msg)
		return true
	}
	return false
}
