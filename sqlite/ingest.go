package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/truce-project/truce"
)

// IngestHook runs inside Ingest's transaction, after the batch is written and before it is
// committed, with the events the batch stored (duplicates left out) in seq order. Whatever it
// writes with tx is committed with the batch, or rolled back with it: this is how the mission's
// log records each observation in the same transaction that stores it. An error from the hook
// fails the whole batch.
type IngestHook func(ctx context.Context, tx *sql.Tx, stored []truce.Event) error

// SetIngestHook installs h (nil removes it) for the batches that begin after it returns.
func (db *DB) SetIngestHook(h IngestHook) {
	db.hookMu.Lock()
	db.hook = h
	db.hookMu.Unlock()
}

// Rows per INSERT statement. One statement of many rows costs much less than as many
// statements of one row (each has to be bound, stepped and reset, and crosses database/sql);
// SQLite allows 32,766 parameters (256 findings take 4,864), and past a few hundred rows the
// saving no longer grows: 256 rows cost a few percent less CPU than 64 in BenchmarkIngest. A
// batch is cut into statements of 256, 128, ... 1 rows (1,000 rows run as 3 × 256 + 128 + 64
// + 32 + 8), so that a few statements, all prepared when the file is opened, serve every
// batch size. They have to be
// prepared then: the write connection is the only one, and inside a transaction it is busy.
const maxRowsPerInsert = 256

// rowCounts are the sizes of the prepared INSERT statements, largest first.
var rowCounts = []int{256, 128, 64, 32, 16, 8, 4, 2, 1}

const observationInsertColumns = `source, id, time, kind, lat, lon, ce_m, party, attrs, evidence, raw`
const findingInsertColumns = `id, seq, rule, article, title, observation, source, kind, time, lat, lon, zone, party,
	attribution, severity, confidence, status, explanation, agreement`

// insertSQL is an INSERT of rows rows of cols columns into table, ending with tail.
func insertSQL(table, columns string, cols, rows int, tail string) string {
	var b strings.Builder
	b.WriteString("INSERT OR ROLLBACK INTO " + table + " (" + columns + ") VALUES ")
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(tail)
	return b.String()
}

// ingestStmts holds the INSERT statements Ingest uses, by number of rows.
type ingestStmts struct {
	observations map[int]*sql.Stmt
	findings     map[int]*sql.Stmt
}

func prepareIngest(ctx context.Context, write *sql.DB) (*ingestStmts, error) {
	s := &ingestStmts{observations: map[int]*sql.Stmt{}, findings: map[int]*sql.Stmt{}}
	for _, n := range rowCounts {
		st, err := write.PrepareContext(ctx, insertSQL("observations", observationInsertColumns, 11, n,
			" ON CONFLICT (source, id) DO NOTHING"))
		if err != nil {
			s.close()
			return nil, err
		}
		s.observations[n] = st
		if st, err = write.PrepareContext(ctx, insertSQL("findings", findingInsertColumns, 19, n, "")); err != nil {
			s.close()
			return nil, err
		}
		s.findings[n] = st
	}
	return s, nil
}

func (s *ingestStmts) close() error {
	var errs []error
	for _, cache := range []map[int]*sql.Stmt{s.observations, s.findings} {
		for _, st := range cache {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// rowsPerInsert is the largest statement size that fits in n rows.
func rowsPerInsert(n int) int {
	for _, c := range rowCounts {
		if c <= n {
			return c
		}
	}
	return 0
}

// Ingest stores a batch in one transaction; see truce.Store. A batch that SQLite cannot
// represent (a nil observation, a time outside the years 1678 to 2262 that nanoseconds since
// 1970 can count, a coordinate that is not a number) is refused whole with an EINVALID error
// naming the place in the batch and the field, before anything is written.
//
// The observations go in with INSERT OR ROLLBACK ... ON CONFLICT (source, id) DO NOTHING,
// many rows a statement, and SQLite numbers them: seq is the rowid, one more than the largest
// before, so the rows one statement stores have consecutive seqs, in the order given. A
// statement that stored every row it was given needs nothing more; one that stored fewer met
// duplicates (stored before, or earlier in the batch), and the rows it stored are read back
// to tell which. OR ROLLBACK makes any other constraint failure end the whole transaction,
// which Ingest would do anyway; it spares SQLite a statement journal (a copy of each page a
// statement changes, kept to undo just that statement), which otherwise doubled the cost of
// a multi-row INSERT. For the same reason seq is not given explicitly: an explicit rowid
// brings the statement journal back.
func (db *DB) Ingest(ctx context.Context, batch []truce.Judged) (dup []bool, seq []int64, err error) {
	if err := checkBatch(batch); err != nil {
		return nil, nil, err
	}
	dup = make([]bool, len(batch))
	seq = make([]int64, len(batch))
	if len(batch) == 0 {
		return dup, seq, nil
	}

	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, internal(err, "ingest: begin")
	}
	defer func() {
		if err != nil {
			tx.Rollback()
			dup, seq = nil, nil
		}
	}()

	// The statements run with a context that is never done: the driver would otherwise start
	// a goroutine per statement to watch ctx. The transaction itself watches ctx (a cancelled
	// ctx rolls it back), and the loops look at ctx between statements.
	bg := context.Background()
	// last is the largest seq stored so far.
	var last int64
	if err := tx.QueryRowContext(bg, `SELECT COALESCE(MAX(seq), 0) FROM observations`).Scan(&last); err != nil {
		return nil, nil, internal(err, "ingest: last seq")
	}

	var enc encoder
	args := make([]any, 0, maxRowsPerInsert*11)
	for lo := 0; lo < len(batch); {
		if err := ctx.Err(); err != nil {
			return nil, nil, internal(err, "ingest: batch of %d stopped at [%d]", len(batch), lo)
		}
		hi := lo + rowsPerInsert(len(batch)-lo)
		args = args[:0]
		for i := lo; i < hi; i++ {
			o := batch[i].Observation
			attrs, err := enc.attrs(batch[i].AttrsJSON, o.Attrs)
			if err != nil {
				return nil, nil, truce.Errorf(truce.EINVALID, "batch[%d]: observation %q of %q: attrs: %v", i, o.ID, o.Source, err)
			}
			evidence, err := enc.evidence(o.Evidence)
			if err != nil {
				return nil, nil, truce.Errorf(truce.EINVALID, "batch[%d]: observation %q of %q: evidence: %v", i, o.ID, o.Source, err)
			}
			// No bytes are stored as NULL, like nil ones: they read back as nil.
			var raw any
			if len(o.Raw) > 0 {
				raw = o.Raw
			}
			args = append(args, o.Source, o.ID, o.Time.UnixNano(), o.Kind, o.Lat, o.Lon, o.CEm, o.Party,
				attrs, evidence, raw)
		}
		res, err := tx.StmtContext(bg, db.ingest.observations[hi-lo]).ExecContext(bg, args...)
		if err != nil {
			return nil, nil, internal(err, "ingest: batch[%d:%d]", lo, hi)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, nil, internal(err, "ingest: batch[%d:%d]: rows affected", lo, hi)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return nil, nil, internal(err, "ingest: batch[%d:%d]: last insert id", lo, hi)
		}
		switch {
		case n == 0:
			for i := lo; i < hi; i++ {
				dup[i] = true
			}
		case int(n) == hi-lo && id-last == n:
			for i := lo; i < hi; i++ {
				seq[i] = last + 1 + int64(i-lo)
			}
			last = id
		default:
			if last, err = readBackChunk(tx, last, batch[lo:hi], dup[lo:hi], seq[lo:hi]); err != nil {
				return nil, nil, internal(err, "ingest: batch[%d:%d]: duplicates", lo, hi)
			}
		}
		lo = hi
	}

	if err := db.insertFindings(ctx, tx, batch, dup, seq); err != nil {
		return nil, nil, err
	}
	if err := updateSources(tx, batch, dup); err != nil {
		return nil, nil, internal(err, "ingest: sources")
	}

	db.hookMu.RLock()
	hook := db.hook
	db.hookMu.RUnlock()
	if hook != nil {
		events := make([]truce.Event, 0, len(batch))
		for i := range batch {
			if !dup[i] {
				events = append(events, truce.Event{Seq: seq[i], Observation: batch[i].Observation, Findings: batch[i].Findings, Prepared: batch[i].Prepared})
			}
		}
		if err := hook(ctx, tx, events); err != nil {
			return nil, nil, internal(err, "ingest: hook")
		}
	}

	if err := ctx.Err(); err != nil {
		return nil, nil, internal(err, "ingest: batch of %d cancelled before commit", len(batch))
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, internal(err, "ingest: commit batch of %d", len(batch))
	}
	return dup, seq, nil
}

// readBackChunk tells which rows of a chunk an INSERT stored, by reading the rows stored after
// seq last: they are a subsequence of the chunk, in order, so each row of the chunk is either
// the next of them (same source and id) or a duplicate. It sets dup and seq, and returns the
// largest seq now stored.
func readBackChunk(tx *sql.Tx, last int64, chunk []truce.Judged, dup []bool, seq []int64) (int64, error) {
	rows, err := tx.QueryContext(context.Background(), `SELECT seq, source, id FROM observations WHERE seq > ? ORDER BY seq`, last)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var (
		s          int64
		source, id string
		pending    = rows.Next()
	)
	if pending {
		if err := rows.Scan(&s, &source, &id); err != nil {
			return 0, err
		}
	}
	for k, j := range chunk {
		if !pending || j.Observation.Source != source || j.Observation.ID != id {
			dup[k] = true
			continue
		}
		seq[k] = s
		last = s
		if pending = rows.Next(); pending {
			if err := rows.Scan(&s, &source, &id); err != nil {
				return 0, err
			}
		}
	}
	if pending {
		return 0, fmt.Errorf("observation %q of %q (seq %d) was stored but is not in the chunk", id, source, s)
	}
	return last, rows.Err()
}

// insertFindings stores the findings of the observations that were not duplicates.
func (db *DB) insertFindings(ctx context.Context, tx *sql.Tx, batch []truce.Judged, dup []bool, seq []int64) error {
	type place struct{ i, k int } // batch[i].Findings[k]
	var todo []place
	for i := range batch {
		if !dup[i] {
			for k := range batch[i].Findings {
				todo = append(todo, place{i, k})
			}
		}
	}
	bg := context.Background()
	args := make([]any, 0, maxRowsPerInsert*19)
	for lo := 0; lo < len(todo); {
		if err := ctx.Err(); err != nil {
			return internal(err, "ingest: stopped at the findings of batch[%d]", todo[lo].i)
		}
		hi := lo + rowsPerInsert(len(todo)-lo)
		args = args[:0]
		for _, p := range todo[lo:hi] {
			f := &batch[p.i].Findings[p.k]
			args = append(args, f.ID, seq[p.i], f.Rule, f.Article, f.Title, f.Observation, f.Source, f.Kind,
				f.Time.UnixNano(), f.Lat, f.Lon, f.Zone, f.Party, f.Attribution, f.Severity, f.Confidence, f.Status,
				f.Explanation, f.Agreement)
		}
		if _, err := tx.StmtContext(bg, db.ingest.findings[hi-lo]).ExecContext(bg, args...); err != nil {
			first, last := todo[lo], todo[hi-1]
			return internal(err, "ingest: findings from batch[%d].Findings[%d] (%q) to batch[%d].Findings[%d] (%q)",
				first.i, first.k, batch[first.i].Findings[first.k].ID, last.i, last.k, batch[last.i].Findings[last.k].ID)
		}
		lo = hi
	}
	return nil
}

// The times a column of unix nanoseconds can hold.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// checkBatch refuses what the tables cannot hold, naming the place in the batch and the field.
func checkBatch(batch []truce.Judged) error {
	for i := range batch {
		o := batch[i].Observation
		if o == nil {
			return truce.Errorf(truce.EINVALID, "batch[%d]: no observation", i)
		}
		if err := checkTime(o.Time); err != nil {
			return truce.Errorf(truce.EINVALID, "batch[%d]: observation %q of %q: time: %v", i, o.ID, o.Source, err)
		}
		for _, c := range [...]struct {
			name string
			v    float64
		}{{"lat", o.Lat}, {"lon", o.Lon}, {"ce_m", o.CEm}} {
			if math.IsNaN(c.v) {
				return truce.Errorf(truce.EINVALID, "batch[%d]: observation %q of %q: %s: not a number", i, o.ID, o.Source, c.name)
			}
		}
		for k := range batch[i].Findings {
			f := &batch[i].Findings[k]
			if err := checkTime(f.Time); err != nil {
				return truce.Errorf(truce.EINVALID, "batch[%d]: finding[%d] %q: time: %v", i, k, f.ID, err)
			}
			for _, c := range [...]struct {
				name string
				v    float64
			}{{"lat", f.Lat}, {"lon", f.Lon}, {"confidence", f.Confidence}} {
				if math.IsNaN(c.v) {
					return truce.Errorf(truce.EINVALID, "batch[%d]: finding[%d] %q: %s: not a number", i, k, f.ID, c.name)
				}
			}
		}
	}
	return nil
}

func checkTime(t time.Time) error {
	if t.Before(minTime) || t.After(maxTime) {
		return truce.Errorf(truce.EINVALID, "%s is outside the years 1678 to 2262 the store can hold", t.Format(time.RFC3339))
	}
	return nil
}

// encoder turns attrs and evidence into the JSON text the store keeps (truce.ObservationJSON:
// the text the log builds an observation's record from), as a string for the driver or nil
// for SQL NULL.
type encoder struct{ json truce.ObservationJSON }

// attrs returns the text written before the batch reached the writer (truce.Judged.AttrsJSON)
// when there is one, or writes it from m.
func (e *encoder) attrs(written []byte, m map[string]any) (any, error) {
	if written != nil {
		return string(written), nil
	}
	return text(e.json.Attrs(m))
}

func (e *encoder) evidence(hashes []string) (any, error) {
	return text(e.json.Evidence(hashes))
}

func text(b []byte, err error) (any, error) {
	if b == nil || err != nil {
		return nil, err
	}
	return string(b), nil
}

// updateSources records, for each source of the batch, the observations it had stored and
// the span of their times: one statement per source, and a batch holds few sources.
func updateSources(tx *sql.Tx, batch []truce.Judged, dup []bool) error {
	type span struct {
		first, last int64
		n           int64
	}
	spans := map[string]*span{}
	for i := range batch {
		if dup[i] {
			continue
		}
		o := batch[i].Observation
		t := o.Time.UnixNano()
		sp := spans[o.Source]
		if sp == nil {
			spans[o.Source] = &span{first: t, last: t, n: 1}
			continue
		}
		sp.first, sp.last, sp.n = min(sp.first, t), max(sp.last, t), sp.n+1
	}
	for source, sp := range spans {
		if _, err := tx.ExecContext(context.Background(), `INSERT INTO sources (source, first_time, last_time, observations)
			VALUES (?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET
			first_time = MIN(first_time, excluded.first_time), last_time = MAX(last_time, excluded.last_time),
			observations = observations + excluded.observations`, source, sp.first, sp.last, sp.n); err != nil {
			return err
		}
	}
	return nil
}
