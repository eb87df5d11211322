package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
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

// CreateSchema creates the ledger's tables if they do not exist. The SQL is plain enough for
// SQLite and PostgreSQL alike; the one difference is the index column's type: SQLite's
// "INTEGER PRIMARY KEY" is the table's own row id (no second index to maintain on every
// append), while PostgreSQL's INTEGER is 32 bits, so there it is BIGINT. The engine is told
// apart by asking for PostgreSQL's version(), which SQLite does not have.
func CreateSchema(ctx context.Context, q Querier) error {
	index := "INTEGER"
	var version string
	if err := q.QueryRowContext(ctx, "SELECT version()").Scan(&version); err == nil && strings.HasPrefix(version, "PostgreSQL") {
		index = "BIGINT"
	}
	for _, stmt := range []string{
		// The records the log holds, in log order, as their canonical encoding.
		`CREATE TABLE IF NOT EXISTS ledger_records (idx ` + index + ` PRIMARY KEY, kind TEXT NOT NULL, data BYTEA NOT NULL)`,
		// tlog's stored hashes in runs: a row holds the hashes at stored hash indexes idx,
		// idx+1, ... (tlog.StoredHashIndex), 32 bytes each, at most hashesPerRow of them.
		`CREATE TABLE IF NOT EXISTS ledger_hashes (idx ` + index + ` PRIMARY KEY, hashes BYTEA NOT NULL)`,
		// The checkpoints the mission signed, one per tree size.
		`CREATE TABLE IF NOT EXISTS ledger_checkpoints (size ` + index + ` PRIMARY KEY, note BYTEA NOT NULL)`,
	} {
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("ledger: create schema: %w", err)
		}
	}
	return nil
}

// Size returns the number of records in the log.
func Size(ctx context.Context, q Querier) (int64, error) {
	var n int64
	// MAX over the primary key reads one end of the index; COUNT(*) would read every row.
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx)+1, 0) FROM ledger_records`).Scan(&n); err != nil {
		return 0, fmt.Errorf("ledger: size: %w", err)
	}
	return n, nil
}

// hashesPerRow is the longest run of stored hashes one row of ledger_hashes holds. A row per
// hash made the log cost more than the records it logs (each SQLite row costs microseconds
// whatever its size); a row per run costs one insert for a hundred hashes, and 120 hashes
// (3,840 bytes) still fit in one 4 KiB database page, so reading one hash reads one page.
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
	n, err := Size(ctx, tx)
	if err != nil {
		return 0, err
	}
	if len(records) == 0 {
		return n, nil
	}
	// Each record is encoded after a zero byte, so that its leaf hash, SHA-256(0x00 ||
	// encoding), is computed over the buffer as it stands, with nothing copied or allocated.
	data := make([][]byte, len(records))
	leaves := make([]tlog.Hash, len(records))
	for i, r := range records {
		c, err := r.appendCanonical(make([]byte, 1, 160+len(r.Body)+70*len(r.Evidence)))
		if err != nil {
			return 0, fmt.Errorf("ledger: append: record %d of %d (%s): %w", i, len(records), r, err)
		}
		leaves[i] = sha256.Sum256(c)
		data[i] = c[1:]
	}

	// The stored hashes of the new records follow those already stored, with no gap:
	// StoredHashCount(n) is the index of the first stored hash of record n. They are what
	// tlog.StoredHashes returns for each record in turn (a test holds them to it), computed
	// here from the tree's right edge, which is read once, instead of through a HashReader
	// per record, which allocated and looked up every hash it combined.
	base := tlog.StoredHashCount(n)
	edge, err := readRightEdge(ctx, tx, n)
	if err != nil {
		return 0, err
	}
	run := make([]byte, 0, (2*len(leaves)+64)*tlog.HashSize)
	for _, h := range leaves {
		for _, stored := range edge.add(h) {
			run = append(run, stored[:]...)
		}
	}
	stored := len(run) / tlog.HashSize

	err = insertRows(ctx, tx, "ledger_records (idx, kind, data)", 3, len(records), func(i int, args []any) []any {
		return append(args, n+int64(i), records[i].Kind, data[i])
	})
	if err != nil {
		return 0, fmt.Errorf("ledger: append records: %w", err)
	}
	rows := (stored + hashesPerRow - 1) / hashesPerRow
	err = insertRows(ctx, tx, "ledger_hashes (idx, hashes)", 2, rows, func(i int, args []any) []any {
		lo, hi := i*hashesPerRow, min((i+1)*hashesPerRow, stored)
		return append(args, base+int64(lo), run[lo*tlog.HashSize:hi*tlog.HashSize])
	})
	if err != nil {
		return 0, fmt.Errorf("ledger: append hashes: %w", err)
	}
	return n, nil
}

// insertRows writes rows rows into table with multi-row INSERT statements of insertChunk rows,
// prepared once. row appends the cols values of row i to args.
func insertRows(ctx context.Context, tx *sql.Tx, table string, cols, rows int, row func(i int, args []any) []any) error {
	var full *sql.Stmt
	args := make([]any, 0, cols*insertChunk)
	for start := 0; start < rows; start += insertChunk {
		end := min(start+insertChunk, rows)
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		if end-start == insertChunk {
			if full == nil {
				var err error
				if full, err = tx.PrepareContext(ctx, insertSQL(table, cols, insertChunk)); err != nil {
					return err
				}
				defer full.Close()
			}
			if _, err := full.ExecContext(ctx, args...); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, insertSQL(table, cols, end-start), args...); err != nil {
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

// readRightEdge returns the roots of the complete subtrees of the tree of n records, largest
// first: one for each bit set in n, read with one query.
func readRightEdge(ctx context.Context, q Querier, n int64) (*treeBuilder, error) {
	var indexes []int64
	var start int64
	for level := 62; level >= 0; level-- {
		if n&(1<<level) != 0 {
			indexes = append(indexes, tlog.StoredHashIndex(level, start>>level))
			start += 1 << level
		}
	}
	hashes, err := readHashes(ctx, q, indexes)
	if err != nil {
		return nil, fmt.Errorf("ledger: the tree's right edge: %w", err)
	}
	return &treeBuilder{n: n, stack: hashes}, nil
}

// readHashes reads the stored hashes at indexes, in that order, with one query. The run that
// holds index x starts at most hashesPerRow-1 before it, so the query asks for the rows
// starting in those ranges and the hash is cut out of the last run starting at or before x.
// (A query of one subquery per index says the same thing, but SQLite took longer to parse it
// than to run it.)
func readHashes(ctx context.Context, q Querier, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	// The ranges, merged where they overlap: a proof's lower levels lie close together.
	sorted := append([]int64(nil), indexes...)
	slices.Sort(sorted)
	var b strings.Builder
	b.WriteString("SELECT idx, hashes FROM ledger_hashes WHERE ")
	args := make([]any, 0, 2*len(indexes))
	for i := 0; i < len(sorted); {
		lo, hi := sorted[i]-(hashesPerRow-1), sorted[i]
		for i++; i < len(sorted) && sorted[i]-(hashesPerRow-1) <= hi+1; i++ {
			hi = sorted[i]
		}
		if len(args) > 0 {
			b.WriteString(" OR ")
		}
		fmt.Fprintf(&b, "idx BETWEEN $%d AND $%d", len(args)+1, len(args)+2)
		args = append(args, lo, hi)
	}
	rows, err := q.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: read hashes: %w", err)
	}
	defer rows.Close()
	type run struct {
		start  int64
		hashes []byte
	}
	var runs []run
	for rows.Next() {
		var r run
		if err := rows.Scan(&r.start, &r.hashes); err != nil {
			return nil, fmt.Errorf("ledger: read hashes: %w", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: read hashes: %w", err)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].start < runs[j].start })
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		// The last run starting at or before x.
		k := sort.Search(len(runs), func(k int) bool { return runs[k].start > x }) - 1
		if k < 0 {
			return nil, fmt.Errorf("ledger: stored hash %d is missing", x)
		}
		off := (x - runs[k].start) * tlog.HashSize
		if off+tlog.HashSize > int64(len(runs[k].hashes)) {
			return nil, fmt.Errorf("ledger: stored hash %d is missing", x)
		}
		out[i] = tlog.Hash(runs[k].hashes[off:])
	}
	return out, nil
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

// Entry returns record i of the log.
func Entry(ctx context.Context, q Querier, i int64) (Record, error) {
	var data []byte
	err := q.QueryRowContext(ctx, `SELECT data FROM ledger_records WHERE idx = $1`, i).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, truce.Errorf(truce.ENOTFOUND, "ledger: record %d does not exist", i)
	}
	if err != nil {
		return Record{}, fmt.Errorf("ledger: record %d: %w", i, err)
	}
	r, err := ParseRecord(data)
	if err != nil {
		return Record{}, fmt.Errorf("ledger: record %d: %w", i, err)
	}
	return r, nil
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
