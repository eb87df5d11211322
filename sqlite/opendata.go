package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/truce-project/truce"
)

// withExtra scans a row of findingColumns followed by more columns into extra.
type withExtra struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// recordOpenChange adds to the open data feed what a review decision that took finding f (as
// it now stands, at version) from state from did to the published set, if anything. Change
// times strictly increase, whatever the clock does, so that a copy can resume from the time
// of the last change it applied.
func (db *DB) recordOpenChange(ctx context.Context, tx *sql.Tx, f *truce.Finding, from string, version int64, updated time.Time) error {
	var change string
	switch {
	case f.Review == truce.ReviewVerified && from != truce.ReviewVerified:
		change = truce.ChangePublished
	case f.Review == truce.ReviewVerified:
		change = truce.ChangeUpdated
	case from == truce.ReviewVerified:
		change = truce.ChangeWithdrawn
	default:
		return nil
	}
	var record []byte
	if change != truce.ChangeWithdrawn {
		var err error
		if record, err = json.Marshal(truce.PublicFinding(f, version, updated)); err != nil {
			return internal(err, "open change of %s", f.ID)
		}
	}
	at, err := nextOpenChangeTime(ctx, tx, updated.UnixNano())
	if err != nil {
		return internal(err, "open change of %s", f.ID)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO open_changes (time, finding, version, change, record) VALUES (?, ?, ?, ?, ?)`,
		at, f.ID, version, change, record); err != nil {
		return internal(err, "open change of %s", f.ID)
	}
	return nil
}

// nextOpenChangeTime is the time of a change made at t to either open data feed: t, or just
// after the last change of either if that is not before t. Both feeds share this clock, so
// that change times strictly increase in each and no two changes have the same time.
func nextOpenChangeTime(ctx context.Context, tx *sql.Tx, t int64) (int64, error) {
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT MAX((SELECT COALESCE(MAX(time), 0) FROM open_changes),
		(SELECT COALESCE(MAX(time), 0) FROM open_incident_changes))`).Scan(&last)
	return max(t, last+1), err
}

// syncOpenIncidents adds to the open data feed what a write in tx at time now did to the
// published incidents among ids, comparing each as it now stands with what the feed last said
// of it (open_incidents): published when it has a verified finding and the feed had it
// withdrawn or never told of it; updated when it has one at a version the feed has not given;
// withdrawn when the feed had it published and it has none or is gone (merged away).
func (db *DB) syncOpenIncidents(ctx context.Context, tx *sql.Tx, st *incidentStmts, now int64, ids ...string) error {
	for _, id := range ids {
		var told, version int64
		var wasPublic, exists, isPublic bool
		if err := st.open.QueryRowContext(ctx, id).Scan(&told, &wasPublic, &exists, &version, &isPublic); err != nil {
			return internal(err, "open change of incident %s", id)
		}
		var (
			change string
			record []byte
		)
		switch {
		case isPublic && (!wasPublic || version != told):
			change = truce.ChangeUpdated
			if !wasPublic {
				change = truce.ChangePublished
			}
			inc, err := db.incident(ctx, tx, id)
			if err != nil {
				return err
			}
			o, _ := truce.PublicIncident(inc)
			if record, err = json.Marshal(&o); err != nil {
				return internal(err, "open change of incident %s", id)
			}
		case wasPublic && !isPublic:
			change = truce.ChangeWithdrawn
			if !exists || version <= told {
				// Merged away: the withdrawal is a version of its own.
				version = told + 1
			}
		default:
			continue
		}
		at, err := nextOpenChangeTime(ctx, tx, now)
		if err != nil {
			return internal(err, "open change of incident %s", id)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO open_incident_changes (time, incident, version, change, record) VALUES (?, ?, ?, ?, ?)`,
			at, id, version, change, record); err != nil {
			return internal(err, "open change of incident %s", id)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO open_incidents (id, version, public) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET version = excluded.version, public = excluded.public`, id, version, isPublic); err != nil {
			return internal(err, "open change of incident %s", id)
		}
	}
	return nil
}

// touchIncidentsOf makes a new version, updated at now, of each incident with finding among
// its findings (of a member, or of its own report), and returns their ids: the incidents whose
// verified findings a review decision on the finding changed.
func touchIncidentsOf(ctx context.Context, tx *sql.Tx, finding string, now int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `UPDATE incidents SET version = version + 1, updated = ? WHERE id IN (
			SELECT m.incident FROM findings f JOIN observations o ON o.seq = f.seq
				JOIN incident_members m ON m.source = o.source AND m.id = o.id WHERE f.id = ?
			UNION SELECT o.id FROM findings f JOIN observations o ON o.seq = f.seq WHERE f.id = ? AND o.source = ?)
		RETURNING id`, now, finding, finding, fusionSource)
	if err != nil {
		return nil, internal(err, "incidents of finding %s", finding)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, internal(err, "incidents of finding %s", finding)
		}
		ids = append(ids, id)
	}
	return ids, internal(rows.Err(), "incidents of finding %s", finding)
}

// OpenIncidentChanges lists changes of the published incidents at or after since, oldest
// first; see truce.OpenDataStore. A limit of 0 or less means 1000, and at most 10000 are
// returned.
func (db *DB) OpenIncidentChanges(ctx context.Context, since time.Time, limit int) ([]truce.OpenChange, error) {
	if limit <= 0 {
		limit = 1000
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, internal(err, "open incident changes")
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT time, incident, version, change, record FROM open_incident_changes
		WHERE time >= ? ORDER BY time, seq LIMIT ?`, since.UnixNano(), min(limit, 10000))
	if err != nil {
		return nil, internal(err, "open incident changes")
	}
	out := []truce.OpenChange{}
	var records [][]byte
	for rows.Next() {
		var c truce.OpenChange
		var t int64
		var record []byte
		if err := rows.Scan(&t, &c.ID, &c.Version, &c.Change, &record); err != nil {
			rows.Close()
			return nil, internal(err, "open incident changes")
		}
		c.Time = time.Unix(0, t).UTC()
		out = append(out, c)
		records = append(records, record)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal(err, "open incident changes")
	}
	for i := range out {
		c := &out[i]
		switch {
		case c.Change == truce.ChangeWithdrawn:
		case records[i] != nil:
			c.Incident = new(truce.OpenIncident)
			if err := json.Unmarshal(records[i], c.Incident); err != nil {
				return nil, internal(err, "open change of incident %s", c.ID)
			}
		default:
			// Published before the feed was (see migration 9): the incident as it now is.
			// One since withdrawn (a later change says so too) is given as withdrawn.
			inc, err := db.incident(ctx, tx, c.ID)
			if err != nil && truce.ErrorCode(err) != truce.ENOTFOUND {
				return nil, err
			}
			if inc == nil {
				c.Change = truce.ChangeWithdrawn
				continue
			}
			o, ok := truce.PublicIncident(inc)
			if !ok {
				c.Change = truce.ChangeWithdrawn
				continue
			}
			c.Version, c.Incident = o.Version, &o
		}
	}
	return out, nil
}

// OpenFindings calls fn with each verified finding as published; see truce.OpenDataStore.
func (db *DB) OpenFindings(ctx context.Context, fn func(*truce.OpenFinding) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT `+findingColumns+`, version, updated FROM findings WHERE review = ? ORDER BY pos`, truce.ReviewVerified)
	if err != nil {
		return internal(err, "open findings")
	}
	defer rows.Close()
	for rows.Next() {
		var version, updated int64
		_, _, f, err := scanFinding(withExtra{rows, []any{&version, &updated}})
		if err != nil {
			return internal(err, "open findings")
		}
		o := truce.PublicFinding(&f, version, time.Unix(0, updated))
		if err := fn(&o); err != nil {
			return err
		}
	}
	return internal(rows.Err(), "open findings")
}

// OpenChanges lists changes at or after since, oldest first; see truce.OpenDataStore. A
// limit of 0 or less means 1000, and at most 10000 are returned.
func (db *DB) OpenChanges(ctx context.Context, since time.Time, limit int) ([]truce.OpenChange, error) {
	if limit <= 0 {
		limit = 1000
	}
	// Changes kept before records were (see migration 7) are read from the finding itself.
	rows, err := db.read.QueryContext(ctx, `SELECT c.time, c.finding, c.version, c.change, c.record, `+prefixed("f.", findingColumns)+`, f.updated
		FROM open_changes c JOIN findings f ON f.id = c.finding
		WHERE c.time >= ? ORDER BY c.time, c.seq LIMIT ?`, since.UnixNano(), min(limit, 10000))
	if err != nil {
		return nil, internal(err, "open changes")
	}
	defer rows.Close()
	out := []truce.OpenChange{}
	for rows.Next() {
		var c truce.OpenChange
		var t, updated int64
		var record []byte
		_, _, f, err := scanFinding(withExtra{multiScan{rows, []any{&t, &c.ID, &c.Version, &c.Change, &record}}, []any{&updated}})
		if err != nil {
			return nil, internal(err, "open changes")
		}
		c.Time = time.Unix(0, t).UTC()
		switch {
		case c.Change == truce.ChangeWithdrawn:
		case record != nil:
			c.Finding = new(truce.OpenFinding)
			if err := json.Unmarshal(record, c.Finding); err != nil {
				return nil, internal(err, "open change of %s", c.ID)
			}
		default:
			o := truce.PublicFinding(&f, c.Version, time.Unix(0, updated))
			c.Finding = &o
		}
		out = append(out, c)
	}
	return out, internal(rows.Err(), "open changes")
}

// multiScan scans leading columns into lead, then the rest into the destinations given.
type multiScan struct {
	row  interface{ Scan(...any) error }
	lead []any
}

func (m multiScan) Scan(dest ...any) error {
	return m.row.Scan(append(append([]any(nil), m.lead...), dest...)...)
}

// prefixed qualifies each column of a comma-separated list with a table prefix ("f.").
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
