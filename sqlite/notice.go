package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"

	"github.com/truce-project/truce"
)

// insertNotice keeps n (setting its Seq) and queues a delivery of it to each live webhook that
// receives it, in the caller's transaction: a notice exists, with its deliveries, exactly when
// the change that made it does.
func insertNotice(ctx context.Context, tx *sql.Tx, n *truce.Notice) error {
	body, err := json.Marshal(n)
	if err != nil {
		return internal(err, "notice %s: encode", n.ID)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO notices (id, time, kind, party, public, finding, body) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.Time.UnixNano(), n.Kind, n.Party, n.Public, n.FindingID, body)
	if err != nil {
		return internal(err, "notice %s", n.ID)
	}
	if n.Seq, err = res.LastInsertId(); err != nil {
		return internal(err, "notice %s", n.ID)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, party FROM webhooks WHERE deleted IS NULL`)
	if err != nil {
		return internal(err, "notice %s: webhooks", n.ID)
	}
	var to []string
	for rows.Next() {
		var w truce.Webhook
		if err := rows.Scan(&w.ID, &w.Party); err != nil {
			rows.Close()
			return internal(err, "notice %s: webhooks", n.ID)
		}
		if w.Receives(n) {
			to = append(to, w.ID)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return internal(err, "notice %s: webhooks", n.ID)
	}
	for _, w := range to {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, webhook, notice, due) VALUES (?, ?, ?, ?)`,
			deliveryID(n.ID, w), w, n.Seq, n.Time.UnixNano()); err != nil {
			return internal(err, "notice %s: delivery to %s", n.ID, w)
		}
	}
	return nil
}

// deliveryID names the delivery of one notice to one webhook, the same on every attempt.
func deliveryID(notice, webhook string) string {
	h := sha256.Sum256([]byte(notice + "\x00" + webhook))
	return "dlv-" + hex.EncodeToString(h[:12])
}

// Notices lists notices after seq after, in order; see truce.LiaisonStore. A limit of 0 or
// less means 100, and at most 1000 are returned.
func (db *DB) Notices(ctx context.Context, after int64, limit int) ([]truce.Notice, int64, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.read.QueryContext(ctx, `SELECT seq, body FROM notices WHERE seq > ? ORDER BY seq LIMIT ?`, after, min(limit, 1000))
	if err != nil {
		return nil, after, internal(err, "notices after %d", after)
	}
	defer rows.Close()
	var out []truce.Notice
	next := after
	for rows.Next() {
		var seq int64
		var body []byte
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, after, internal(err, "notices after %d", after)
		}
		var n truce.Notice
		if err := json.Unmarshal(body, &n); err != nil {
			return nil, after, internal(err, "notice %d", seq)
		}
		n.Seq = seq
		out = append(out, n)
		next = seq
	}
	return out, next, rows.Err()
}

// LastNotice is the sequence number of the newest notice, 0 when there is none.
func (db *DB) LastNotice(ctx context.Context) (int64, error) {
	var seq int64
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM notices`).Scan(&seq); err != nil {
		return 0, internal(err, "last notice")
	}
	return seq, nil
}
