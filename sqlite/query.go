package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/truce-project/truce"
)

// where collects the conditions of a query and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// times filters on a column of unix nanoseconds: from inclusive, to exclusive. A bound beyond
// the years nanoseconds can count (a client's "since forever") is taken at the end of that
// range, where it filters out nothing the store can hold.
func (w *where) times(from, to time.Time) {
	if !from.IsZero() {
		w.add("time >= ?", clampNanos(from))
	}
	if !to.IsZero() {
		w.add("time < ?", clampNanos(to))
	}
}

func clampNanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// kind filters on a kind, or on a family written "fire.*": the kinds from "fire." up to but
// not including "fire/" ('/' is the byte after '.'), a range an index on kind serves.
func (w *where) kind(k string) {
	switch {
	case k == "":
	case indexedFamilies[k] != "":
		// Written out, not bound: SQLite uses a partial index only for a condition it can
		// match to the index's own at prepare time.
		w.add(indexedFamilies[k])
	case strings.HasSuffix(k, ".*"):
		family := k[:len(k)-1]
		w.add("kind >= ? AND kind < ?", family, family[:len(family)-1]+"/")
	default:
		w.add("kind = ?", k)
	}
}

// indexedFamilies are the kind families with a partial index of their own (migration 5), and
// the condition of each index, which a query must repeat word for word to use it.
var indexedFamilies = map[string]string{
	"access.*": "kind >= 'access.' AND kind < 'access/'",
	"damage.*": "kind >= 'damage.' AND kind < 'damage/'",
}

// bbox filters on the lat and lon columns, edges included, as truce.BBox.Contains does.
func (w *where) bbox(b *truce.BBox) error {
	if b == nil {
		return nil
	}
	for _, v := range [...]float64{b.MinLat, b.MaxLat, b.MinLon, b.MaxLon} {
		if math.IsNaN(v) {
			return truce.Errorf(truce.EINVALID, "bbox: a corner is not a number")
		}
	}
	w.add("lat >= ? AND lat <= ? AND lon >= ? AND lon <= ?", b.MinLat, b.MaxLat, b.MinLon, b.MaxLon)
	return nil
}

func (w *where) equal(column, value string) {
	if value != "" {
		w.add(column+" = ?", value)
	}
}

const observationColumns = `seq, source, id, time, kind, lat, lon, ce_m, party, attrs, evidence, raw`

// scanObservation reads a row of observationColumns.
func scanObservation(rows *sql.Rows) (int64, truce.Observation, error) {
	var (
		o               truce.Observation
		seq, t          int64
		attrs, evidence sql.RawBytes
	)
	if err := rows.Scan(&seq, &o.Source, &o.ID, &t, &o.Kind, &o.Lat, &o.Lon, &o.CEm, &o.Party, &attrs, &evidence, &o.Raw); err != nil {
		return 0, o, err
	}
	o.Time = time.Unix(0, t).UTC()
	if attrs != nil {
		if err := json.Unmarshal(attrs, &o.Attrs); err != nil {
			return 0, o, fmt.Errorf("observation %d: attrs: %w", seq, err)
		}
	}
	if evidence != nil {
		if err := json.Unmarshal(evidence, &o.Evidence); err != nil {
			return 0, o, fmt.Errorf("observation %d: evidence: %w", seq, err)
		}
	}
	return seq, o, nil
}

// Observations lists observations in the order they were stored; see truce.Store. Errors:
// EINVALID for a malformed cursor or filter.
func (db *DB) Observations(ctx context.Context, f truce.ObservationFilter) ([]truce.Observation, string, error) {
	after, err := decodeCursor(observationCursor, f.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("seq > ?", after)
	w.times(f.From, f.To)
	if err := w.bbox(f.BBox); err != nil {
		return nil, "", err
	}
	w.kind(f.Kind)
	w.equal("source", f.Source)
	w.equal("party", f.Party)
	limit := pageLimit(f.Limit)

	// One row more than the page tells whether there is a next page.
	rows, err := db.read.QueryContext(ctx, `SELECT `+observationColumns+` FROM observations`+w.String()+
		` ORDER BY seq LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", internal(err, "observations")
	}
	defer rows.Close()
	var (
		out  []truce.Observation
		last int64
	)
	for rows.Next() {
		if len(out) == limit {
			return out, encodeCursor(observationCursor, last), nil
		}
		seq, o, err := scanObservation(rows)
		if err != nil {
			return nil, "", internal(err, "observations")
		}
		out = append(out, o)
		last = seq
	}
	if err := rows.Err(); err != nil {
		return nil, "", internal(err, "observations")
	}
	return out, "", nil
}

const findingColumns = `pos, seq, id, rule, article, title, observation, source, kind, time, lat, lon, zone, party,
	attribution, severity, confidence, status, explanation, agreement, review`

// scanFinding reads a row of findingColumns.
func scanFinding(row interface{ Scan(...any) error }) (pos, seq int64, f truce.Finding, err error) {
	var t int64
	err = row.Scan(&pos, &seq, &f.ID, &f.Rule, &f.Article, &f.Title, &f.Observation, &f.Source, &f.Kind, &t,
		&f.Lat, &f.Lon, &f.Zone, &f.Party, &f.Attribution, &f.Severity, &f.Confidence, &f.Status, &f.Explanation,
		&f.Agreement, &f.Review)
	f.Time = time.Unix(0, t).UTC()
	return pos, seq, f, err
}

// Findings lists findings in the order they were stored; see truce.Store. Errors: EINVALID
// for a malformed cursor or filter.
func (db *DB) Findings(ctx context.Context, f truce.FindingFilter) ([]truce.Finding, string, error) {
	after, err := decodeCursor(findingCursor, f.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("pos > ?", after)
	w.times(f.From, f.To)
	if err := w.bbox(f.BBox); err != nil {
		return nil, "", err
	}
	w.kind(f.Kind)
	w.equal("rule", f.Rule)
	w.equal("party", f.Party)
	w.equal("zone", f.Zone)
	w.equal("status", f.Status)
	w.equal("review", f.Review)
	limit := pageLimit(f.Limit)

	rows, err := db.read.QueryContext(ctx, `SELECT `+findingColumns+` FROM findings`+w.String()+
		` ORDER BY pos LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", internal(err, "findings")
	}
	defer rows.Close()
	var (
		out  []truce.Finding
		last int64
	)
	for rows.Next() {
		if len(out) == limit {
			return out, encodeCursor(findingCursor, last), nil
		}
		pos, _, fd, err := scanFinding(rows)
		if err != nil {
			return nil, "", internal(err, "findings")
		}
		out = append(out, fd)
		last = pos
	}
	if err := rows.Err(); err != nil {
		return nil, "", internal(err, "findings")
	}
	return out, "", nil
}

// Finding returns the finding with this id. Errors: ENOTFOUND.
func (db *DB) Finding(ctx context.Context, id string) (*truce.Finding, error) {
	row := db.read.QueryRowContext(ctx, `SELECT `+findingColumns+` FROM findings WHERE id = ?`, id)
	_, _, f, err := scanFinding(row)
	if err == sql.ErrNoRows {
		return nil, truce.Errorf(truce.ENOTFOUND, "finding %q not found", id)
	}
	if err != nil {
		return nil, internal(err, "finding %q", id)
	}
	return &f, nil
}

// Events returns up to limit events after seq after, each with its findings, in seq order;
// see truce.Store. A limit of 0 or less means 100, and at most 1000 are returned.
func (db *DB) Events(ctx context.Context, after int64, limit int) ([]truce.Event, error) {
	limit = pageLimit(limit)
	// One read transaction: both queries see the same snapshot.
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, internal(err, "events")
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `SELECT `+observationColumns+` FROM observations WHERE seq > ? ORDER BY seq LIMIT ?`,
		after, limit)
	if err != nil {
		return nil, internal(err, "events after %d", after)
	}
	var events []truce.Event
	for rows.Next() {
		seq, o, err := scanObservation(rows)
		if err != nil {
			rows.Close()
			return nil, internal(err, "events after %d", after)
		}
		events = append(events, truce.Event{Seq: seq, Observation: &o})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal(err, "events after %d", after)
	}
	if len(events) == 0 {
		return nil, nil
	}

	// The findings of these observations, in the order of their observations and then of
	// storage, are matched to the events by walking both lists once.
	last := events[len(events)-1].Seq
	rows, err = tx.QueryContext(ctx, `SELECT `+findingColumns+` FROM findings WHERE seq > ? AND seq <= ? ORDER BY seq, pos`,
		after, last)
	if err != nil {
		return nil, internal(err, "findings of events after %d", after)
	}
	defer rows.Close()
	e := 0
	for rows.Next() {
		_, seq, f, err := scanFinding(rows)
		if err != nil {
			return nil, internal(err, "findings of events after %d", after)
		}
		for e < len(events) && events[e].Seq < seq {
			e++
		}
		if e == len(events) || events[e].Seq != seq {
			return nil, internal(fmt.Errorf("finding %q refers to seq %d, which is not among the events", f.ID, seq),
				"findings of events after %d", after)
		}
		events[e].Findings = append(events[e].Findings, f)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "findings of events after %d", after)
	}
	return events, nil
}

// LastSeq returns the seq of the newest event, 0 when there is none.
func (db *DB) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	// MAX of the rowid reads the last page of the table, not every row.
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM observations`).Scan(&seq); err != nil {
		return 0, internal(err, "last seq")
	}
	return seq, nil
}

// Sources lists every source that has had observations stored, by name.
func (db *DB) Sources(ctx context.Context) ([]truce.Source, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT source, first_time, last_time, observations FROM sources ORDER BY source`)
	if err != nil {
		return nil, internal(err, "sources")
	}
	defer rows.Close()
	var out []truce.Source
	for rows.Next() {
		var s truce.Source
		var first, last int64
		if err := rows.Scan(&s.Name, &first, &last, &s.Observations); err != nil {
			return nil, internal(err, "sources")
		}
		s.First, s.Last = time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "sources")
	}
	return out, nil
}

// ObservationsByKey returns the stored observations with these keys, in the order of keys,
// leaving out keys not stored; see truce.Store. One read transaction serves them all, each
// by the (source, id) index.
func (db *DB) ObservationsByKey(ctx context.Context, keys []truce.ObservationKey) ([]truce.Observation, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, internal(err, "observations by key")
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `SELECT `+observationColumns+` FROM observations WHERE source = ? AND id = ?`)
	if err != nil {
		return nil, internal(err, "observations by key")
	}
	defer stmt.Close()
	out := make([]truce.Observation, 0, len(keys))
	for _, k := range keys {
		rows, err := stmt.QueryContext(ctx, k.Source, k.ID)
		if err != nil {
			return nil, internal(err, "observation %s/%s", k.Source, k.ID)
		}
		for rows.Next() {
			_, o, err := scanObservation(rows)
			if err != nil {
				rows.Close()
				return nil, internal(err, "observation %s/%s", k.Source, k.ID)
			}
			out = append(out, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, internal(err, "observation %s/%s", k.Source, k.ID)
		}
	}
	return out, nil
}
