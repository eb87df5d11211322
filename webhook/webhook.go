// Package webhook delivers the liaison channel's notices to the webhooks an admin registered,
// signed so that a receiver can tell they come from the mission and were not altered.
//
// Each delivery is an HTTP POST of the notice as JSON (Content-Type application/json) with
//
//	X-Truce-Delivery:  the delivery's id, the same on every attempt (receivers dedupe on it)
//	X-Truce-Event:     the notice's kind, e.g. finding.verified
//	X-Truce-Timestamp: the time of this attempt, in seconds since 1970-01-01 UTC
//	X-Truce-Signature: sha256=HEX, HEX being the lowercase hex HMAC-SHA256, keyed with the
//	                   webhook's secret, of the timestamp's decimal digits, a ".", and the body
//
// A receiver recomputes the HMAC over the bytes it received, compares it in constant time, and
// refuses a timestamp far from its own clock (Verify does all three), which bounds replays. A
// 2xx answer is a delivery; anything else, a redirect included, or no answer within the
// timeout, is a failure, retried with exponential backoff (1 s, 2 s, 4 s... at most an hour
// apart by default) for as long as the webhook is registered. The outbox is the store's: a
// pending delivery survives a restart.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	truce "github.com/truce-project/truce"
)

// The headers of a delivery.
const (
	HeaderDelivery  = "X-Truce-Delivery"
	HeaderEvent     = "X-Truce-Event"
	HeaderTimestamp = "X-Truce-Timestamp"
	HeaderSignature = "X-Truce-Signature"
)

// Sign returns the X-Truce-Signature of body sent at timestamp (Unix seconds) with secret.
func Sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(strconv.AppendInt(nil, timestamp, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a delivery as its receiver should: the signature in h must be the HMAC of
// h's timestamp and body with secret, and the timestamp within tolerance of now.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %q is not a Unix time in seconds", HeaderTimestamp, ts)
	}
	sig := h.Get(HeaderSignature)
	if !strings.HasPrefix(sig, "sha256=") {
		return fmt.Errorf("%s: %q is not sha256=HEX", HeaderSignature, sig)
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(secret, sec, body))) {
		return fmt.Errorf("%s: the signature does not match the body", HeaderSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%s: %s is more than %s from now", HeaderTimestamp, time.Unix(sec, 0).UTC().Format(time.RFC3339), tolerance)
	}
	return nil
}

// Options tune a Dispatcher. Zero values take the defaults.
type Options struct {
	// Client sends the deliveries (default: 10 s timeout, no redirects followed).
	Client *http.Client
	// MinBackoff is the wait after a first failure (default 1 s); each further failure of
	// the same delivery doubles it, up to MaxBackoff (default 1 h).
	MinBackoff, MaxBackoff time.Duration
	// Poll is the longest the dispatcher sleeps between looks at the outbox (default 30 s);
	// a notice wakes it at once.
	Poll time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log reports failed attempts (default: discarded).
	Log *slog.Logger
}

// Dispatcher sends the outbox's deliveries. Each webhook is served by its own goroutine, in
// the order of its notices, so a slow or failing receiver delays only its own deliveries;
// reviews never wait for it, since the outbox is written in their transactions. It is a
// truce.Notifier: a notice wakes it.
type Dispatcher struct {
	store truce.WebhookStore
	opt   Options
	wake  chan struct{}

	mu      sync.Mutex
	busy    map[string]bool // webhooks with a goroutine delivering
	workers sync.WaitGroup
}

// New returns a dispatcher of store's outbox; Run starts it.
func New(store truce.WebhookStore, opt Options) *Dispatcher {
	if opt.Client == nil {
		opt.Client = &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = time.Second
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = time.Hour
	}
	if opt.Poll <= 0 {
		opt.Poll = 30 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Dispatcher{store: store, opt: opt, wake: make(chan struct{}, 1), busy: map[string]bool{}}
}

// Notify wakes the dispatcher: the notice's deliveries are already in the outbox.
func (d *Dispatcher) Notify(context.Context, truce.Notice) { d.poke() }

func (d *Dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the attempts in flight.
func (d *Dispatcher) Run(ctx context.Context) {
	defer d.workers.Wait()
	for {
		wait := d.round(ctx)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-d.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// round starts a goroutine for each webhook with deliveries due that has none delivering, and
// returns how long to sleep before the next look. A webhook waiting to retry has nothing due
// (see truce.WebhookStore.DeliveryFailed), so it holds up no other.
func (d *Dispatcher) round(ctx context.Context) time.Duration {
	now := d.opt.Now()
	wait := d.opt.Poll
	due, err := d.store.DueDeliveries(ctx, now, 1000)
	if err != nil {
		if ctx.Err() == nil {
			d.opt.Log.Error("webhooks: outbox", "err", err)
		}
		return min(wait, 5*time.Second)
	}
	byHook := map[string][]truce.Delivery{}
	var order []string
	for _, dl := range due {
		if _, ok := byHook[dl.Webhook.ID]; !ok {
			order = append(order, dl.Webhook.ID)
		}
		byHook[dl.Webhook.ID] = append(byHook[dl.Webhook.ID], dl)
	}
	d.mu.Lock()
	for _, w := range order {
		if d.busy[w] {
			continue
		}
		d.busy[w] = true
		d.workers.Add(1)
		go d.deliverAll(ctx, w, byHook[w])
	}
	d.mu.Unlock()
	if next, err := d.store.NextDelivery(ctx); err == nil && next.After(now) {
		wait = min(wait, next.Sub(now))
	}
	return max(wait, time.Millisecond)
}

// deliverAll sends one webhook's due deliveries in order, stopping at the first failure,
// which is retried after a backoff (and the ones after it with it).
func (d *Dispatcher) deliverAll(ctx context.Context, webhook string, list []truce.Delivery) {
	defer d.workers.Done()
	for i := range list {
		dl := &list[i]
		err := d.deliver(ctx, dl)
		if ctx.Err() != nil {
			break
		}
		if err == nil {
			if err := d.store.DeliveryDone(ctx, dl.ID, d.opt.Now()); err != nil {
				d.opt.Log.Error("webhooks: mark delivered", "delivery", dl.ID, "err", err)
			}
			continue
		}
		retry := d.opt.Now().Add(d.backoff(dl.Attempts))
		d.opt.Log.Warn("webhooks: delivery failed", "webhook", webhook, "url", dl.Webhook.URL, "delivery", dl.ID,
			"attempt", dl.Attempts+1, "retry", retry.UTC().Format(time.RFC3339), "err", err)
		if err := d.store.DeliveryFailed(ctx, dl.ID, err.Error(), retry); err != nil {
			d.opt.Log.Error("webhooks: mark failed", "delivery", dl.ID, "err", err)
		}
		break
	}
	d.mu.Lock()
	delete(d.busy, webhook)
	d.mu.Unlock()
	d.poke()
}

// backoff is the wait before the next attempt of a delivery that has failed attempts times
// before this failure.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	b := d.opt.MinBackoff
	for i := 0; i < attempts && b < d.opt.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, d.opt.MaxBackoff)
}

// deliver makes one attempt.
func (d *Dispatcher) deliver(ctx context.Context, dl *truce.Delivery) error {
	body, err := json.Marshal(dl.Notice)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := d.opt.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "truce-webhook/1")
	req.Header.Set(HeaderDelivery, dl.ID)
	req.Header.Set(HeaderEvent, dl.Notice.Kind)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(dl.Secret, ts, body))
	res, err := d.opt.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %s", res.Status)
	}
	return nil
}
