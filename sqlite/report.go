package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/truce-project/truce"
)

// PublishHook runs inside PublishReport's transaction with the report as it is kept: how the
// mission's log records each publication in the same transaction that makes it.
type PublishHook func(ctx context.Context, tx *sql.Tx, r *truce.PublishedReport) error

// SetPublishHook installs h (nil removes it) for the publications that begin after it returns.
func (db *DB) SetPublishHook(h PublishHook) {
	db.hookMu.Lock()
	db.publishHook = h
	db.hookMu.Unlock()
}

// PublishReport keeps r as the next version of its report; see truce.Store.
func (db *DB) PublishReport(ctx context.Context, r *truce.PublishedReport) (int, error) {
	switch {
	case r.Kind == "" || r.Name == "":
		return 0, truce.Errorf(truce.EINVALID, "report: kind and name are required (got %q, %q)", r.Kind, r.Name)
	case len(r.JSON) == 0 || len(r.HTML) == 0:
		return 0, truce.Errorf(truce.EINVALID, "report %s %s: both the JSON and the HTML are required", r.Kind, r.Name)
	}
	err := db.Update(ctx, func(tx *sql.Tx) error {
		var last int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM reports WHERE kind = ? AND name = ?`,
			r.Kind, r.Name).Scan(&last); err != nil {
			return internal(err, "publish %s %s: version", r.Kind, r.Name)
		}
		r.Version = last + 1
		r.Published = db.now().UTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO reports (kind, name, version, published, actor, json, html)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, r.Kind, r.Name, r.Version, r.Published.UnixNano(), r.By, r.JSON, r.HTML); err != nil {
			return internal(err, "publish %s %s", r.Kind, r.Name)
		}
		db.hookMu.RLock()
		hook := db.publishHook
		db.hookMu.RUnlock()
		if hook != nil {
			if err := hook(ctx, tx, r); err != nil {
				return internal(err, "publish %s %s: hook", r.Kind, r.Name)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return r.Version, nil
}

// PublishedReport returns the latest version of a published report; see truce.Store.
func (db *DB) PublishedReport(ctx context.Context, kind, name string) (*truce.PublishedReport, error) {
	r := &truce.PublishedReport{Kind: kind, Name: name}
	var published int64
	err := db.read.QueryRowContext(ctx, `SELECT version, published, actor, json, html FROM reports
		WHERE kind = ? AND name = ? ORDER BY version DESC LIMIT 1`, kind, name).Scan(&r.Version, &published, &r.By, &r.JSON, &r.HTML)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, truce.Errorf(truce.ENOTFOUND, "the %s report %s has not been published", kind, name)
	}
	if err != nil {
		return nil, internal(err, "report %s %s", kind, name)
	}
	r.Published = time.Unix(0, published).UTC()
	return r, nil
}
