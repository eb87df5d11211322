package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/truce-project/truce"
)

// Querier is what the ledger needs of a database: *sql.DB, *sql.Tx and *sql.Conn all have it.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// CreateSchema creates the ledger's tables if they do not exist, and brings the tables of an
// older version up to date (migrateRecords). The SQL is plain enough for SQLite and PostgreSQL
// alike; the one difference is the index column's type: SQLite's "INTEGER PRIMARY KEY" is the
// table's own row id (no second index to maintain on every append), while PostgreSQL's
// INTEGER is 32 bits, so there it is BIGINT.
func CreateSchema(ctx context.Context, q Querier) error {
	index := "INTEGER"
	postgres := isPostgres(ctx, q)
	if postgres {
		index = "BIGINT"
	}
	for _, stmt := range []string{
		// The records the log holds, in log order, recordsPerRow or fewer a row: the row idx
		// holds records idx to idx+n-1, each canonical encoding, or a reference to the row of
		// the store it is built from (Encoded.StoredAs), followed by a newline.
		`CREATE TABLE IF NOT EXISTS ledger_entries (idx ` + index + ` PRIMARY KEY, n INTEGER NOT NULL, data BYTEA NOT NULL)`,
		// tlog's stored hashes, hashesPerRow a row: the row idx holds those at stored hash
		// indexes idx, idx+1, ... (tlog.StoredHashIndex), 32 bytes each.
		`CREATE TABLE IF NOT EXISTS ledger_hashes (idx ` + index + ` PRIMARY KEY, hashes BYTEA NOT NULL)`,
		// The checkpoints the mission signed, one per tree size.
		`CREATE TABLE IF NOT EXISTS ledger_checkpoints (size ` + index + ` PRIMARY KEY, note BYTEA NOT NULL)`,
	} {
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("ledger: create schema: %w", err)
		}
	}
	return migrateRecords(ctx, q, postgres)
}

// isPostgres tells the engine apart by asking for PostgreSQL's version(), which SQLite does
// not have.
func isPostgres(ctx context.Context, q Querier) bool {
	var version string
	err := q.QueryRowContext(ctx, "SELECT version()").Scan(&version)
	return err == nil && strings.HasPrefix(version, "PostgreSQL")
}

// migrateRecords moves the records of a log written before records were kept many a row, one
// row per record in ledger_records (idx, kind, data), into ledger_entries, and drops the old
// table. The records' bytes are copied as they are, so the tree's stored hashes still hash
// them. When q can begin a transaction the move is one, so a failure leaves the old table as
// it was; otherwise it runs in the caller's. A gap in the old records, or a record holding a
// newline (no canonical encoding does), stops it with an error naming the record.
func migrateRecords(ctx context.Context, q Querier, postgres bool) (err error) {
	var exists bool
	if postgres {
		err = q.QueryRowContext(ctx, `SELECT to_regclass('ledger_records') IS NOT NULL`).Scan(&exists)
	} else {
		err = q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_records')`).Scan(&exists)
	}
	if err != nil {
		return fmt.Errorf("ledger: migrate records: %w", err)
	}
	if !exists {
		return nil
	}
	if db, ok := q.(interface {
		BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
	}); ok {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("ledger: migrate records: %w", err)
		}
		defer func() {
			if err != nil {
				tx.Rollback()
			}
		}()
		if err := moveRecords(ctx, tx); err != nil {
			return err
		}
		return tx.Commit()
	}
	return moveRecords(ctx, q)
}

func moveRecords(ctx context.Context, q Querier) error {
	var next int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx + n), 0) FROM ledger_entries`).Scan(&next); err != nil {
		return fmt.Errorf("ledger: migrate records: %w", err)
	}
	// The records are read a page at a time, and cut into rows as Append cuts a batch.
	first, row := next, []byte(nil)
	flush := func() error {
		if next == first {
			return nil
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO ledger_entries (idx, n, data) VALUES ($1, $2, $3)`, first, next-first, row); err != nil {
			return fmt.Errorf("ledger: migrate records %d to %d: %w", first, next-1, err)
		}
		first, row = next, nil
		return nil
	}
	for {
		// A page is read whole before its rows are written: PostgreSQL's driver cannot run a
		// statement on a connection while another's rows are open.
		rows, err := q.QueryContext(ctx, `SELECT idx, data FROM ledger_records WHERE idx >= $1 ORDER BY idx LIMIT 1000`, next)
		if err != nil {
			return fmt.Errorf("ledger: migrate records: %w", err)
		}
		var page [][]byte
		for rows.Next() {
			var idx int64
			var data []byte
			if err := rows.Scan(&idx, &data); err != nil {
				rows.Close()
				return fmt.Errorf("ledger: migrate records: %w", err)
			}
			if want := next + int64(len(page)); idx != want {
				rows.Close()
				return fmt.Errorf("ledger: migrate records: record %d is missing from ledger_records", want)
			}
			page = append(page, data)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("ledger: migrate records: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for _, data := range page {
			if bytes.IndexByte(data, '\n') >= 0 {
				return fmt.Errorf("ledger: migrate records: record %d holds a newline, which no canonical encoding does", next)
			}
			if k := next - first; k == recordsPerRow || k > 0 && len(row)+len(data)+1 > rowBytes {
				if err := flush(); err != nil {
					return err
				}
			}
			row = append(append(row, data...), '\n')
			next++
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `DROP TABLE ledger_records`); err != nil {
		return fmt.Errorf("ledger: migrate records: %w", err)
	}
	return nil
}

// Size returns the number of records in the log.
func Size(ctx context.Context, q Querier) (int64, error) {
	return size(q.QueryRowContext(ctx, sizeSQL))
}

func size(row *sql.Row) (int64, error) {
	var n int64
	err := row.Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ledger: size: %w", err)
	}
	return n, nil
}

// A row of ledger_entries holds up to recordsPerRow records and, unless it holds one, at most
// rowBytes bytes. Each SQLite row costs microseconds to insert whatever its size: a row per
// record was most of what the log cost the single writer once records were encoded outside
// it. Rows of many records make that cost small beside the bytes themselves. The byte limit
// keeps two rows to a 16 KiB page (the store's page size) with no overflow pages, and keeps
// the bytes bound to each row small enough for the SQLite driver's allocator to take from
// its pools (it maps a region of its own for every allocation over 16 KiB); 64 records of
// some 450 bytes, in overflow pages, cost more. Most lines are references to the store's rows
// (Encoded.StoredAs) of 40 to 60 bytes, 128 of which fill most of a row. A reader of one
// record reads one such row. A batch's records go into rows of their own, so no row is ever
// rewritten: a log appended one record at a time has a row per record.
const (
	recordsPerRow = 128
	rowBytes      = 8000
)

// hashesPerRow is how many stored hashes one row of ledger_hashes holds: the row with key k
// holds those at indexes k to k+119, k a multiple of 120, and the last row may hold fewer and
// is rewritten as the log grows. A row per hash made the log cost more than the records it
// logs (each SQLite row costs microseconds whatever its size); a row per 120 is one insert
// for a hundred hashes, and 120 hashes (3,840 bytes) still fit in one 4 KiB database page, so
// reading one hash reads one page. Rows aligned to multiples of 120 let a reader name the row
// that holds a hash, so every read is an exact lookup, however small the batches appended.
const hashesPerRow = 120

// insertChunk is how many rows one INSERT statement writes. SQLite binds numbered parameters
// by name, at a cost that grows with their number, so statements of a few dozen rows were
// faster than longer ones; they keep the round trips few all the same.
const insertChunk = 32

// Append adds records to the end of the log inside tx and returns the index of the first.
// The records and the tree's stored hashes are written in the same transaction, so the log
// and what it logs are committed, or rolled back, together. A record that cannot be encoded
// fails the whole call before anything is written, with an error naming its place in the
// batch. Appends must be serialised (one sequencer): two transactions appending at the same
// index conflict on the primary key, and one of them fails.
func Append(ctx context.Context, tx *sql.Tx, records ...Record) (int64, error) {
	entries := make([]Encoded, len(records))
	for i, r := range records {
		var err error
		if entries[i], err = r.Encode(); err != nil {
			return 0, fmt.Errorf("ledger: append: record %d of %d (%s): %w", i, len(records), r, err)
		}
	}
	return AppendEncoded(ctx, tx, entries...)
}

// AppendEncoded is Append for records already encoded (Record.Encode): the writer's share of
// appending, the tree's new hashes and the inserts.
func AppendEncoded(ctx context.Context, tx *sql.Tx, entries ...Encoded) (int64, error) {
	return appendEncoded(ctx, tx, nil, entries)
}

// appendEncoded appends with the statements prepared in stmts, or, when it is nil, with
// statements made for the call.
func appendEncoded(ctx context.Context, tx *sql.Tx, stmts *Statements, entries []Encoded) (int64, error) {
	var n int64
	var err error
	if stmts != nil {
		n, err = size(tx.StmtContext(ctx, stmts.size).QueryRowContext(ctx))
	} else {
		n, err = Size(ctx, tx)
	}
	if err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		return n, nil
	}
	for i, e := range entries {
		if len(e.line) == 0 {
			return 0, fmt.Errorf("ledger: append: entry %d of %d was not made by Record.Encode", i, len(entries))
		}
	}

	// The stored hashes of the new records follow those already stored, with no gap:
	// StoredHashCount(n) is the index of the first stored hash of record n. They are what
	// tlog.StoredHashes returns for each record in turn (a test holds them to it), computed
	// here from the tree's right edge, which is read once, instead of through a HashReader
	// per record, which allocated and looked up every hash it combined. The same query reads
	// the last row of ledger_hashes when it is not full, for the new hashes to fill it up.
	base := tlog.StoredHashCount(n)
	first := base - base%hashesPerRow
	edgeIndexes := rightEdge(n)
	edgeHashes := make([]tlog.Hash, len(edgeIndexes))
	found := make([]bool, len(edgeIndexes))
	run := make([]byte, 0, (2*len(entries)+64+hashesPerRow)*tlog.HashSize)
	var edgeQuery *sql.Stmt
	if stmts != nil {
		edgeQuery = tx.StmtContext(ctx, stmts.edge)
	}
	err = readHashRowsWith(ctx, tx, edgeQuery, append(rowsOf(edgeIndexes), first), func(key int64, row []byte) {
		cutHashes(key, row, edgeIndexes, edgeHashes, found)
		if key == first && first < base {
			run = append(run, row...)
		}
	})
	if err != nil {
		return 0, fmt.Errorf("ledger: append: %w", err)
	}
	if slices.Contains(found, false) || len(run) != int(base-first)*tlog.HashSize {
		return 0, fmt.Errorf("ledger: append: stored hashes of the tree's right edge (of %d records) are missing", n)
	}
	edge := &treeBuilder{n: n, stack: edgeHashes}
	for _, e := range entries {
		for _, stored := range edge.add(e.leaf) {
			run = append(run, stored[:]...)
		}
	}
	stored := len(run) / tlog.HashSize

	var entryStmts, hashStmts map[int]*sql.Stmt
	if stmts != nil {
		entryStmts, hashStmts = stmts.entries, stmts.hashes
	}
	if err := insertEntries(ctx, tx, "ledger_entries", entryStmts, n, entries); err != nil {
		return 0, fmt.Errorf("ledger: append records: %w", err)
	}
	// The first row replaces the partial row it extends, if there was one.
	err = insertRows(ctx, tx, "ledger_hashes (idx, hashes)", 2, (stored+hashesPerRow-1)/hashesPerRow,
		hashesUpsert, hashStmts, func(i int, args []any) []any {
			lo, hi := i*hashesPerRow, min((i+1)*hashesPerRow, stored)
			return append(args, first+int64(lo), run[lo*tlog.HashSize:hi*tlog.HashSize])
		})
	if err != nil {
		return 0, fmt.Errorf("ledger: append hashes: %w", err)
	}
	return n, nil
}

// insertEntries writes entries into table (idx, n, data) as records n, n+1, ..., in rows of
// at most recordsPerRow records and, unless a row holds one, rowBytes bytes.
func insertEntries(ctx context.Context, tx *sql.Tx, table string, prepared map[int]*sql.Stmt, n int64, entries []Encoded) error {
	// cuts[i] is the first record of row i; the last cut is the end of the batch.
	cuts := []int{0}
	size := 0
	for i, e := range entries {
		if k := i - cuts[len(cuts)-1]; k == recordsPerRow || k > 0 && size+len(e.line) > rowBytes {
			cuts, size = append(cuts, i), 0
		}
		size += len(e.line)
	}
	cuts = append(cuts, len(entries))
	return insertRows(ctx, tx, table+" (idx, n, data)", 3, len(cuts)-1, "", prepared, func(i int, args []any) []any {
		lo, hi := cuts[i], cuts[i+1]
		// The rows of one statement are bound together, so each needs bytes of its own.
		size := 0
		for _, e := range entries[lo:hi] {
			size += len(e.line)
		}
		row := make([]byte, 0, size)
		for _, e := range entries[lo:hi] {
			row = append(row, e.line...)
		}
		return append(args, n+int64(lo), hi-lo, row)
	})
}

// insertRows writes rows rows into table with multi-row INSERT statements of insertChunk rows,
// each followed by suffix. row appends the cols values of row i to args. With prepared (the
// statements of k rows, k a power of two up to insertChunk: Statements) the rows that do not
// fill a statement go in with the smaller ones; without, with a statement made for them.
func insertRows(ctx context.Context, tx *sql.Tx, table string, cols, rows int, suffix string, prepared map[int]*sql.Stmt, row func(i int, args []any) []any) error {
	var full *sql.Stmt
	args := make([]any, 0, cols*insertChunk)
	for start := 0; start < rows; {
		k := min(insertChunk, rows-start)
		if prepared != nil {
			for k&(k-1) != 0 { // the largest power of two not above k
				k &= k - 1
			}
		}
		args = args[:0]
		for i := start; i < start+k; i++ {
			args = row(i, args)
		}
		start += k
		if prepared != nil {
			if _, err := tx.StmtContext(ctx, prepared[k]).ExecContext(ctx, args...); err != nil {
				return err
			}
			continue
		}
		if k == insertChunk {
			if full == nil {
				var err error
				if full, err = tx.PrepareContext(ctx, insertSQL(table, cols, insertChunk)+suffix); err != nil {
					return err
				}
				defer full.Close()
			}
			if _, err := full.ExecContext(ctx, args...); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, insertSQL(table, cols, k)+suffix, args...); err != nil {
			return err
		}
	}
	return nil
}

// insertSQL returns "INSERT INTO table VALUES ($1,$2),($3,$4)...": numbered parameters, which
// both SQLite and PostgreSQL accept.
func insertSQL(table string, cols, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" VALUES ")
	p := 1
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := 0; j < cols; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "$%d", p)
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// rightEdge returns the stored hash indexes of the roots of the complete subtrees of the tree
// of n records, largest first: one for each bit set in n.
func rightEdge(n int64) []int64 {
	var indexes []int64
	var start int64
	for level := 62; level >= 0; level-- {
		if n&(1<<level) != 0 {
			indexes = append(indexes, tlog.StoredHashIndex(level, start>>level))
			start += 1 << level
		}
	}
	return indexes
}

// rowsOf returns the ledger_hashes rows that hold the stored hashes at indexes.
func rowsOf(indexes []int64) []int64 {
	rows := make([]int64, len(indexes))
	for i, x := range indexes {
		rows[i] = x - x%hashesPerRow
	}
	return rows
}

// readHashRows reads the ledger_hashes rows with the given keys (repeats allowed) with one
// query, and calls visit with each row found. The row's bytes are valid only during the call:
// they are the driver's own, not a copy, since a proof needs 32 bytes of each 3,840.
func readHashRows(ctx context.Context, q Querier, keys []int64, visit func(key int64, row []byte)) error {
	return readHashRowsWith(ctx, q, nil, keys, visit)
}

// readHashRowsWith is readHashRows with the prepared query of edgeKeys keys when there is one
// and the keys are no more (repeated to fill its parameters), or a query made for them.
func readHashRowsWith(ctx context.Context, q Querier, prepared *sql.Stmt, keys []int64, visit func(key int64, row []byte)) error {
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var rows *sql.Rows
	var err error
	if prepared != nil && len(keys) <= edgeKeys {
		args := make([]any, edgeKeys)
		for i := range args {
			args[i] = keys[min(i, len(keys)-1)]
		}
		rows, err = prepared.QueryContext(ctx, args...)
	} else {
		args := make([]any, len(keys))
		for i, k := range keys {
			args[i] = k
		}
		rows, err = q.QueryContext(ctx, hashRowsSQL(len(keys)), args...)
	}
	if err != nil {
		return fmt.Errorf("read hashes: %w", err)
	}
	defer rows.Close()
	var k int64
	var row sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&k, &row); err != nil {
			return fmt.Errorf("read hashes: %w", err)
		}
		visit(k, row)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read hashes: %w", err)
	}
	return nil
}

// readHashes reads the stored hashes at indexes, in that order, with one query.
func readHashes(ctx context.Context, q Querier, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	out := make([]tlog.Hash, len(indexes))
	found := make([]bool, len(indexes))
	err := readHashRows(ctx, q, rowsOf(indexes), func(key int64, row []byte) {
		cutHashes(key, row, indexes, out, found)
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	for i, ok := range found {
		if !ok {
			return nil, fmt.Errorf("ledger: stored hash %d is missing", indexes[i])
		}
	}
	return out, nil
}

// cutHashes copies into out[i], and marks found, each stored hash indexes[i] that the row of
// the given key holds.
func cutHashes(key int64, row []byte, indexes []int64, out []tlog.Hash, found []bool) {
	for i, x := range indexes {
		if off := (x - key) * tlog.HashSize; x-x%hashesPerRow == key && off+tlog.HashSize <= int64(len(row)) {
			out[i], found[i] = tlog.Hash(row[off:]), true
		}
	}
}

// HashReader returns a tlog.HashReader over the stored hashes in q. Each ReadHashes call is
// one query.
func HashReader(ctx context.Context, q Querier) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		return readHashes(ctx, q, indexes)
	})
}

// checkSize returns an error unless 0 <= size <= the log's size.
func checkSize(ctx context.Context, q Querier, what string, size int64) error {
	n, err := Size(ctx, q)
	if err != nil {
		return err
	}
	if size < 0 || size > n {
		return truce.Errorf(truce.ENOTFOUND, "ledger: %s %d: the log has %d records", what, size, n)
	}
	return nil
}

// Entry returns record i of the log; r reads the records the log keeps as references (nil
// for a log that keeps none).
func Entry(ctx context.Context, q Querier, r Resolver, i int64) (Record, error) {
	lines, err := Entries(ctx, q, r, i, i+1)
	if err != nil {
		return Record{}, err
	}
	if len(lines) == 0 {
		return Record{}, truce.Errorf(truce.ENOTFOUND, "ledger: record %d does not exist", i)
	}
	rec, err := ParseRecord(lines[0])
	if err != nil {
		return Record{}, fmt.Errorf("ledger: record %d: %w", i, err)
	}
	return rec, nil
}

// Entries returns the canonical encodings of records start to end-1, or of as many of them as
// the log holds, the records kept as references read back through r (nil for a log that
// keeps none). The slices are the caller's.
func Entries(ctx context.Context, q Querier, r Resolver, start, end int64) ([][]byte, error) {
	if start < 0 || end <= start {
		return nil, nil
	}
	// The row holding record start is the last to begin at or before it.
	rows, err := q.QueryContext(ctx, `SELECT idx, n, data FROM ledger_entries
		WHERE idx >= COALESCE((SELECT MAX(idx) FROM ledger_entries WHERE idx <= $1), 0) AND idx < $2 ORDER BY idx`, start, end)
	if err != nil {
		return nil, fmt.Errorf("ledger: records %d to %d: %w", start, end-1, err)
	}
	defer rows.Close()
	var out [][]byte
	next := start
	for rows.Next() {
		var first, n int64
		var data []byte
		if err := rows.Scan(&first, &n, &data); err != nil {
			return nil, fmt.Errorf("ledger: records %d to %d: %w", start, end-1, err)
		}
		if first+n <= next {
			continue
		}
		if first > next {
			return nil, fmt.Errorf("ledger: record %d is missing from the database", next)
		}
		lines, err := splitRow(first, n, data)
		if err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		out = append(out, lines[next-first:min(n, end-first)]...)
		next = first + n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: records %d to %d: %w", start, end-1, err)
	}
	// The references are read after the rows are closed: a Resolver may query the same
	// connection, which PostgreSQL's driver cannot do while rows are open.
	rows.Close()
	if err := resolve(ctx, r, start, out); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return out, nil
}

// splitRow returns the n records of a row of ledger_entries beginning with record first,
// without their newlines, or an error when the row does not hold n newline-ended records.
func splitRow(first, n int64, data []byte) ([][]byte, error) {
	lines := make([][]byte, 0, n)
	for len(data) > 0 {
		end := bytes.IndexByte(data, '\n')
		if end < 0 {
			break
		}
		lines = append(lines, data[:end:end])
		data = data[end+1:]
	}
	if int64(len(lines)) != n || len(data) > 0 {
		return nil, fmt.Errorf("records %d to %d: the row holds %d records where %d were stored", first, first+n-1, len(lines), n)
	}
	return lines, nil
}

// TreeHash returns the root hash of the tree of the first size records.
func TreeHash(ctx context.Context, q Querier, size int64) (tlog.Hash, error) {
	if err := checkSize(ctx, q, "tree size", size); err != nil {
		return tlog.Hash{}, err
	}
	return tlog.TreeHash(size, HashReader(ctx, q))
}

// ProveInclusion returns the proof that record index is in the tree of size records: the
// RFC 6962 audit path, checked by tlog.CheckRecord or any RFC 6962 verifier.
func ProveInclusion(ctx context.Context, q Querier, index, size int64) (tlog.RecordProof, error) {
	if err := checkSize(ctx, q, "tree size", size); err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, truce.Errorf(truce.EINVALID, "ledger: record %d is not in a tree of %d records", index, size)
	}
	return tlog.ProveRecord(size, index, HashReader(ctx, q))
}

// ProveConsistency returns the proof that the tree of from records is a prefix of the tree of
// to records: the RFC 6962 consistency proof, checked by tlog.CheckTree.
func ProveConsistency(ctx context.Context, q Querier, from, to int64) (tlog.TreeProof, error) {
	if err := checkSize(ctx, q, "tree size", to); err != nil {
		return nil, err
	}
	if from < 0 || from > to {
		return nil, truce.Errorf(truce.EINVALID, "ledger: no consistency proof from size %d to size %d", from, to)
	}
	if from == 0 || from == to {
		// Every tree extends the empty tree, and a tree extends itself: nothing to prove.
		return tlog.TreeProof{}, nil
	}
	return tlog.ProveTree(to, from, HashReader(ctx, q))
}

// LeafHashes returns the stored leaf hashes of records start to end-1: the tree's own, read
// from ledger_hashes, not the records hashed again, so that an export made from them names a
// record altered since it was logged (Verify uses them only when they make the signed tree).
func LeafHashes(ctx context.Context, q Querier, start, end int64) ([]tlog.Hash, error) {
	if err := checkSize(ctx, q, "end", end); err != nil {
		return nil, err
	}
	if start < 0 || start > end {
		return nil, truce.Errorf(truce.EINVALID, "ledger: no leaves from %d to %d", start, end)
	}
	indexes := make([]int64, end-start)
	for i := range indexes {
		indexes[i] = tlog.StoredHashIndex(0, start+int64(i))
	}
	return readHashes(ctx, q, indexes)
}
