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
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(time), 0) FROM open_changes`).Scan(&last); err != nil {
		return internal(err, "open change of %s", f.ID)
	}
	at := max(updated.UnixNano(), last+1)
	if _, err := tx.ExecContext(ctx, `INSERT INTO open_changes (time, finding, version, change, record) VALUES (?, ?, ?, ?, ?)`,
		at, f.ID, version, change, record); err != nil {
		return internal(err, "open change of %s", f.ID)
	}
	return nil
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
