package truce

import (
	"context"
	"net/url"
	"time"
)

// Webhook is a receiver of notices over HTTP, registered by an admin: a party's webhook
// receives that party's notices, a webhook with no party (a guarantor's) the public ones.
// Deliveries are signed with the webhook's secret (see the README's liaison channel section).
type Webhook struct {
	ID      string     `json:"id"`
	URL     string     `json:"url"`
	Party   string     `json:"party,omitempty"`
	Created time.Time  `json:"created"`
	Deleted *time.Time `json:"deleted,omitempty"`
	// Pending is how many deliveries wait to be made (or retried); LastError is why the
	// latest failed attempt failed.
	Pending   int    `json:"pending"`
	LastError string `json:"last_error,omitempty"`
}

// Validate checks the webhook's URL: absolute, http or https, with a host.
func (w *Webhook) Validate() error {
	u, err := url.Parse(w.URL)
	switch {
	case w.URL == "":
		return Errorf(EINVALID, "url: required")
	case err != nil:
		return Errorf(EINVALID, "url: %q is not a URL: %v", w.URL, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return Errorf(EINVALID, "url: %q: the scheme must be http or https", w.URL)
	case u.Host == "":
		return Errorf(EINVALID, "url: %q has no host", w.URL)
	case u.User != nil:
		return Errorf(EINVALID, "url: %q: credentials do not go in the URL; the delivery is signed with the secret", w.URL)
	}
	return nil
}

// Receives reports whether the webhook is to be sent notice n.
func (w *Webhook) Receives(n *Notice) bool {
	if w.Party != "" {
		return n.Party == w.Party
	}
	return n.Public
}

// Delivery is one notice to be sent to one webhook.
type Delivery struct {
	ID       string    `json:"id"`
	Webhook  Webhook   `json:"webhook"`
	Secret   string    `json:"-"`
	Notice   Notice    `json:"notice"`
	Attempts int       `json:"attempts"`
	Due      time.Time `json:"due"`
}

// WebhookStore keeps the registered webhooks and their outbox: a delivery is queued for each
// webhook that receives a notice in the transaction that makes the notice, and stays queued
// until the receiver accepts it.
type WebhookStore interface {
	// CreateWebhook stores w (its ID and Created are set here) with secret, or a secret it
	// generates when secret is empty, and returns the secret. Errors: EINVALID.
	CreateWebhook(ctx context.Context, w *Webhook, secret string) (string, error)

	// Webhooks lists the webhooks not deleted, with their pending deliveries.
	Webhooks(ctx context.Context) ([]Webhook, error)

	// DeleteWebhook deletes a webhook; its pending deliveries are dropped. Errors: ENOTFOUND.
	DeleteWebhook(ctx context.Context, id string) error

	// DueDeliveries lists up to limit deliveries to live webhooks due at now, oldest notice
	// first.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)

	// DeliveryDone marks a delivery made at time at.
	DeliveryDone(ctx context.Context, id string, at time.Time) error

	// DeliveryFailed counts a failed attempt and makes the delivery due again at retry, with
	// the webhook's other pending deliveries that were due before then: a receiver that
	// fails is not tried again, for anything, until retry. Errors: ENOTFOUND.
	DeliveryFailed(ctx context.Context, id, reason string, retry time.Time) error

	// NextDelivery is when the earliest pending delivery is due, zero when none is pending.
	NextDelivery(ctx context.Context) (time.Time, error)
}
