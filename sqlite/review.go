package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/truce-project/truce"
)

// ReviewHook runs inside Review's transaction with the entry it adds to the history: how the
// mission's log records each decision in the same transaction that makes it.
type ReviewHook func(ctx context.Context, tx *sql.Tx, entry truce.ReviewEntry) error

// SetReviewHook installs h (nil removes it) for the reviews that begin after it returns.
func (db *DB) SetReviewHook(h ReviewHook) {
	db.hookMu.Lock()
	db.reviewHook = h
	db.hookMu.Unlock()
}

// Review applies a review action in one transaction: the finding's state and the approvals
// since it last came under review are read, NextReview decides, and the new state and the
// history entry are written together. See truce.Store.
func (db *DB) Review(ctx context.Context, findingID, action, actor, reason string, required int) (*truce.Finding, error) {
	var out *truce.Finding
	err := db.Update(ctx, func(tx *sql.Tx) error {
		var state, lockedBy string
		var lockedUntil int64
		err := tx.QueryRowContext(ctx, `SELECT review, locked_by, locked_until FROM findings WHERE id = ?`, findingID).Scan(&state, &lockedBy, &lockedUntil)
		if errors.Is(err, sql.ErrNoRows) {
			return truce.Errorf(truce.ENOTFOUND, "no finding %q", findingID)
		}
		if err != nil {
			return internal(err, "review %s: state", findingID)
		}
		if lockedBy != "" && lockedBy != actor && db.now().UnixNano() < lockedUntil {
			return truce.Errorf(truce.ECONFLICT, "the finding is locked by %s until %s", lockedBy, time.Unix(0, lockedUntil).UTC().Format(time.RFC3339))
		}
		// Approvals count from the latest entry into review: a reopened finding is approved
		// afresh.
		rows, err := tx.QueryContext(ctx, `SELECT actor FROM finding_reviews WHERE finding = ? AND action = ?
			AND pos > COALESCE((SELECT MAX(pos) FROM finding_reviews WHERE finding = ? AND action = ?), 0)`,
			findingID, truce.ActionVerify, findingID, truce.ActionReopen)
		if err != nil {
			return internal(err, "review %s: approvals", findingID)
		}
		var approvals []string
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				rows.Close()
				return internal(err, "review %s: approvals", findingID)
			}
			approvals = append(approvals, a)
		}
		rows.Close()
		next, err := truce.NextReview(state, approvals, action, actor, reason, required)
		if err != nil {
			return err
		}
		entry := truce.ReviewEntry{Finding: findingID, Time: db.now().UTC(), Actor: actor, Action: action, From: state, To: next, Reason: reason}
		// Each decision makes a new version of the finding's public record.
		if _, err := tx.ExecContext(ctx, `UPDATE findings SET review = ?, version = version + 1, updated = ? WHERE id = ?`,
			next, entry.Time.UnixNano(), findingID); err != nil {
			return internal(err, "review %s: update", findingID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO finding_reviews (finding, time, actor, action, from_state, to_state, reason)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, findingID, entry.Time.UnixNano(), actor, action, state, next, reason); err != nil {
			return internal(err, "review %s: history", findingID)
		}
		db.hookMu.RLock()
		hook := db.reviewHook
		db.hookMu.RUnlock()
		if hook != nil {
			if err := hook(ctx, tx, entry); err != nil {
				return internal(err, "review %s: hook", findingID)
			}
		}
		var version int64
		row := tx.QueryRowContext(ctx, `SELECT `+findingColumns+`, version FROM findings WHERE id = ?`, findingID)
		_, _, f, err := scanFinding(withExtra{row, []any{&version}})
		if err != nil {
			return internal(err, "review %s: read back", findingID)
		}
		if err := db.recordOpenChange(ctx, tx, &f, state, version, entry.Time); err != nil {
			return err
		}
		// Verified or no longer: the incidents the finding is of have other verified findings.
		if (state == truce.ReviewVerified) != (next == truce.ReviewVerified) {
			ids, err := touchIncidentsOf(ctx, tx, findingID, entry.Time.UnixNano())
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				st, err := prepareIncidentStmts(ctx, tx)
				if err != nil {
					return err
				}
				defer st.close()
				if err := db.syncOpenIncidents(ctx, tx, st, entry.Time.UnixNano(), ids...); err != nil {
					return err
				}
			}
		}
		if n, ok := truce.ReviewNotice(f, state, entry.Time); ok {
			if err := insertNotice(ctx, tx, &n); err != nil {
				return err
			}
		}
		out = &f
		return nil
	})
	return out, err
}

// ReviewHistory lists a finding's review actions, oldest first; see truce.Store.
func (db *DB) ReviewHistory(ctx context.Context, findingID string) ([]truce.ReviewEntry, error) {
	var exists int
	err := db.read.QueryRowContext(ctx, `SELECT 1 FROM findings WHERE id = ?`, findingID).Scan(&exists)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, truce.Errorf(truce.ENOTFOUND, "no finding %q", findingID)
	}
	if err != nil {
		return nil, internal(err, "history %s", findingID)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT time, actor, action, from_state, to_state, reason
		FROM finding_reviews WHERE finding = ? ORDER BY pos`, findingID)
	if err != nil {
		return nil, internal(err, "history %s", findingID)
	}
	defer rows.Close()
	out := []truce.ReviewEntry{}
	for rows.Next() {
		e := truce.ReviewEntry{Finding: findingID}
		var t int64
		if err := rows.Scan(&t, &e.Actor, &e.Action, &e.From, &e.To, &e.Reason); err != nil {
			return nil, internal(err, "history %s", findingID)
		}
		e.Time = time.Unix(0, t).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Lock holds a finding for actor until the given time, so that no other analyst reviews it
// meanwhile; the holder may renew it. until in the past releases it. Errors: ENOTFOUND;
// ECONFLICT while another analyst holds it.
func (db *DB) Lock(ctx context.Context, findingID, actor string, until time.Time) error {
	return db.Update(ctx, func(tx *sql.Tx) error {
		var lockedBy string
		var lockedUntil int64
		err := tx.QueryRowContext(ctx, `SELECT locked_by, locked_until FROM findings WHERE id = ?`, findingID).Scan(&lockedBy, &lockedUntil)
		if errors.Is(err, sql.ErrNoRows) {
			return truce.Errorf(truce.ENOTFOUND, "no finding %q", findingID)
		}
		if err != nil {
			return internal(err, "lock %s", findingID)
		}
		if lockedBy != "" && lockedBy != actor && db.now().UnixNano() < lockedUntil {
			return truce.Errorf(truce.ECONFLICT, "the finding is locked by %s until %s", lockedBy, time.Unix(0, lockedUntil).UTC().Format(time.RFC3339))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE findings SET locked_by = ?, locked_until = ? WHERE id = ?`, actor, until.UnixNano(), findingID); err != nil {
			return internal(err, "lock %s", findingID)
		}
		return nil
	})
}
