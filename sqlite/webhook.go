package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/truce-project/truce"
)

// CreateWebhook stores a webhook and its secret; see truce.WebhookStore. The secret is kept
// as given, not hashed: each delivery is signed with it.
func (db *DB) CreateWebhook(ctx context.Context, w *truce.Webhook, secret string) (string, error) {
	if err := w.Validate(); err != nil {
		return "", err
	}
	if secret == "" {
		var key [32]byte
		rand.Read(key[:])
		secret = base64.RawURLEncoding.EncodeToString(key[:])
	}
	var id [8]byte
	rand.Read(id[:])
	w.ID = "wh-" + hex.EncodeToString(id[:])
	w.Created = db.now().UTC()
	w.Deleted = nil
	if _, err := db.write.ExecContext(ctx, `INSERT INTO webhooks (id, url, party, secret, created) VALUES (?, ?, ?, ?, ?)`,
		w.ID, w.URL, w.Party, secret, w.Created.UnixNano()); err != nil {
		return "", internal(err, "create webhook")
	}
	return secret, nil
}

// Webhooks lists the live webhooks with their pending deliveries; see truce.WebhookStore.
func (db *DB) Webhooks(ctx context.Context) ([]truce.Webhook, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT w.id, w.url, w.party, w.created,
			(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook = w.id AND d.delivered IS NULL),
			COALESCE((SELECT d.last_error FROM webhook_deliveries d WHERE d.webhook = w.id AND d.last_error != '' ORDER BY d.due DESC LIMIT 1), '')
		FROM webhooks w WHERE w.deleted IS NULL ORDER BY w.created, w.id`)
	if err != nil {
		return nil, internal(err, "webhooks")
	}
	defer rows.Close()
	out := []truce.Webhook{}
	for rows.Next() {
		var w truce.Webhook
		var created int64
		if err := rows.Scan(&w.ID, &w.URL, &w.Party, &created, &w.Pending, &w.LastError); err != nil {
			return nil, internal(err, "webhooks")
		}
		w.Created = time.Unix(0, created).UTC()
		out = append(out, w)
	}
	return out, internal(rows.Err(), "webhooks")
}

// DeleteWebhook deletes a webhook and drops its pending deliveries; see truce.WebhookStore.
func (db *DB) DeleteWebhook(ctx context.Context, id string) error {
	return db.Update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET deleted = ? WHERE id = ? AND deleted IS NULL`, db.now().UnixNano(), id)
		if err != nil {
			return internal(err, "delete webhook %s", id)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return truce.Errorf(truce.ENOTFOUND, "no webhook %q", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE webhook = ? AND delivered IS NULL`, id); err != nil {
			return internal(err, "delete webhook %s", id)
		}
		return nil
	})
}

// DueDeliveries lists deliveries due at now, oldest notice first; see truce.WebhookStore.
func (db *DB) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]truce.Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.read.QueryContext(ctx, `SELECT d.id, d.attempts, d.due, w.id, w.url, w.party, w.secret, w.created, n.seq, n.body
		FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook JOIN notices n ON n.seq = d.notice
		WHERE d.delivered IS NULL AND d.due <= ? AND w.deleted IS NULL ORDER BY d.notice, d.id LIMIT ?`, now.UnixNano(), limit)
	if err != nil {
		return nil, internal(err, "due deliveries")
	}
	defer rows.Close()
	var out []truce.Delivery
	for rows.Next() {
		var d truce.Delivery
		var due, created, seq int64
		var body []byte
		if err := rows.Scan(&d.ID, &d.Attempts, &due, &d.Webhook.ID, &d.Webhook.URL, &d.Webhook.Party, &d.Secret, &created, &seq, &body); err != nil {
			return nil, internal(err, "due deliveries")
		}
		if err := json.Unmarshal(body, &d.Notice); err != nil {
			return nil, internal(err, "delivery %s: notice", d.ID)
		}
		d.Notice.Seq = seq
		d.Due, d.Webhook.Created = time.Unix(0, due).UTC(), time.Unix(0, created).UTC()
		out = append(out, d)
	}
	return out, internal(rows.Err(), "due deliveries")
}

// DeliveryDone marks a delivery made; see truce.WebhookStore.
func (db *DB) DeliveryDone(ctx context.Context, id string, at time.Time) error {
	_, err := db.write.ExecContext(ctx, `UPDATE webhook_deliveries SET delivered = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`, at.UnixNano(), id)
	return internal(err, "delivery %s done", id)
}

// DeliveryFailed counts a failed attempt and makes the delivery, and every other pending
// delivery to the same webhook due before retry, due at retry; see truce.WebhookStore.
func (db *DB) DeliveryFailed(ctx context.Context, id, reason string, retry time.Time) error {
	return db.Update(ctx, func(tx *sql.Tx) error {
		var webhook string
		err := tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = ?, due = ? WHERE id = ? RETURNING webhook`,
			reason, retry.UnixNano(), id).Scan(&webhook)
		if errors.Is(err, sql.ErrNoRows) {
			return truce.Errorf(truce.ENOTFOUND, "no delivery %q", id)
		}
		if err != nil {
			return internal(err, "delivery %s failed", id)
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET due = ? WHERE webhook = ? AND delivered IS NULL AND due < ?`,
			retry.UnixNano(), webhook, retry.UnixNano())
		return internal(err, "delivery %s failed: the webhook's others", id)
	})
}

// NextDelivery is when the earliest pending delivery to a live webhook is due; see
// truce.WebhookStore.
func (db *DB) NextDelivery(ctx context.Context) (time.Time, error) {
	var due sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT MIN(d.due) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook
		WHERE d.delivered IS NULL AND w.deleted IS NULL`).Scan(&due)
	if err != nil {
		return time.Time{}, internal(err, "next delivery")
	}
	if !due.Valid {
		return time.Time{}, nil
	}
	return time.Unix(0, due.Int64).UTC(), nil
}
