package ledger

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
)

// Statements are the statements an append runs, prepared once (PrepareStatements) on the
// connection a single writer appends through, so that appending parses no SQL: a transaction
// on that connection runs them with tx.StmtContext, which uses what was prepared there.
// Without them an append parsed five statements each time (the log's size, the tree's right
// edge, and multi-row INSERTs of ad hoc sizes), and parsing cost the writer about a sixth of
// what the log cost it.
type Statements struct {
	size *sql.Stmt
	// edge reads up to edgeKeys rows of ledger_hashes (readHashRows), keys repeated to fill
	// its parameters.
	edge *sql.Stmt
	// entries and hashes insert k rows into ledger_entries and ledger_hashes, k a power of
	// two up to insertChunk: a batch of any size is written with a few of them.
	entries, hashes map[int]*sql.Stmt
}

// edgeKeys bounds the rows one read of the tree's right edge asks for: one per bit of the
// log's size, and the last row of stored hashes.
const edgeKeys = 64

// sizeSQL finds the last row of ledger_entries, at one end of its primary key's index.
const sizeSQL = `SELECT idx + n FROM ledger_entries ORDER BY idx DESC LIMIT 1`

// hashesUpsert ends an INSERT into ledger_hashes: a batch's first row replaces the partial
// row it extends, if there was one.
const hashesUpsert = " ON CONFLICT (idx) DO UPDATE SET hashes = excluded.hashes"

// PrepareStatements prepares the statements with prepare, which must prepare on the
// connection the appends' transactions run on (the store's single write connection), and
// must be called outside any transaction on it.
func PrepareStatements(ctx context.Context, prepare func(context.Context, string) (*sql.Stmt, error)) (*Statements, error) {
	s := &Statements{entries: map[int]*sql.Stmt{}, hashes: map[int]*sql.Stmt{}}
	var err error
	if s.size, err = prepare(ctx, sizeSQL); err != nil {
		return nil, err
	}
	if s.edge, err = prepare(ctx, hashRowsSQL(edgeKeys)); err != nil {
		s.Close()
		return nil, err
	}
	for k := insertChunk; k >= 1; k /= 2 {
		if s.entries[k], err = prepare(ctx, insertSQL("ledger_entries (idx, n, data)", 3, k)); err != nil {
			s.Close()
			return nil, err
		}
		if s.hashes[k], err = prepare(ctx, insertSQL("ledger_hashes (idx, hashes)", 2, k)+hashesUpsert); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close releases the statements.
func (s *Statements) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.size, s.edge} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	for _, m := range []map[int]*sql.Stmt{s.entries, s.hashes} {
		for _, st := range m {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// Append is AppendEncoded with these statements.
func (s *Statements) Append(ctx context.Context, tx *sql.Tx, entries ...Encoded) (int64, error) {
	return appendEncoded(ctx, tx, s, entries)
}

// hashRowsSQL is the query of readHashRows for k keys.
func hashRowsSQL(k int) string {
	var b strings.Builder
	b.WriteString("SELECT idx, hashes FROM ledger_hashes WHERE idx IN (")
	for i := 1; i <= k; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteByte(')')
	return b.String()
}
