package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/sqlite"
	"github.com/truce-project/truce/webhook"
)

var t0 = time.Date(2026, 5, 1, 7, 10, 0, 0, time.UTC)

// withFindings opens a store in a temporary file holding one finding attributed to each
// party given, and returns it with the findings' ids by party.
func withFindings(t *testing.T, path string, parties ...string) (*sqlite.DB, map[string]string) {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	var batch []truce.Judged
	for i, p := range parties {
		o := &truce.Observation{ID: fmt.Sprintf("o%d", i), Source: "patrol-1", Time: t0, Kind: "presence.vehicle", Lat: 47.6, Lon: 36.3, Party: p}
		f := truce.Finding{ID: "f-" + p, Rule: "dmz-presence", Article: "2(1)", Observation: o.ID, Source: o.Source, Kind: o.Kind,
			Time: o.Time, Lat: o.Lat, Lon: o.Lon, Zone: "dmz", Party: p, Severity: "high", Confidence: 0.9, Status: truce.StatusInside,
			Explanation: "a vehicle in the DMZ", Agreement: "hash"}
		batch = append(batch, truce.Judged{Observation: o, Findings: []truce.Finding{f}})
		ids[p] = f.ID
	}
	if _, _, err := db.Ingest(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	return db, ids
}

// verify verifies a finding with one approval: the store queues its notice's deliveries.
func verify(t *testing.T, db *sqlite.DB, id string) {
	t.Helper()
	if _, err := db.Review(context.Background(), id, truce.ActionVerify, "analyst-1", "seen", 1); err != nil {
		t.Fatal(err)
	}
}

// receiver is a real webhook receiver on loopback that checks every delivery's signature
// with its secret and keeps the notices that verify, once per delivery id.
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server
	// fail, while positive, makes the receiver answer 503 (counting down).
	fail atomic.Int32
	// hold, when set, is waited on before answering.
	hold chan struct{}

	mu       sync.Mutex
	notices  map[string]truce.Notice // by delivery id
	order    []string
	attempts int
	bad      []string
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret, notices: map[string]truce.Notice{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if r.hold != nil {
		<-r.hold
	}
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if err := webhook.Verify(r.secret, req.Header, body, time.Now(), 5*time.Minute); err != nil {
		r.bad = append(r.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if r.fail.Load() > 0 {
		r.fail.Add(-1)
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	var n truce.Notice
	if err := json.Unmarshal(body, &n); err != nil {
		r.bad = append(r.bad, err.Error())
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := req.Header.Get(webhook.HeaderDelivery)
	if req.Header.Get(webhook.HeaderEvent) != n.Kind {
		r.bad = append(r.bad, "event header "+req.Header.Get(webhook.HeaderEvent)+" for a notice of kind "+n.Kind)
	}
	if _, dup := r.notices[id]; !dup {
		r.order = append(r.order, id)
	}
	r.notices[id] = n
	w.WriteHeader(http.StatusNoContent)
}

// received lists the notices received, in order of first receipt.
func (r *receiver) received() []truce.Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []truce.Notice
	for _, id := range r.order {
		out = append(out, r.notices[id])
	}
	return out
}

func (r *receiver) problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bad...)
}

// waitFor waits until cond holds, failing the test after a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func register(t *testing.T, db *sqlite.DB, url, party, secret string) string {
	t.Helper()
	w := &truce.Webhook{URL: url, Party: party}
	got, err := db.CreateWebhook(context.Background(), w, secret)
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" && got != secret {
		t.Fatalf("secret %q, want the one given", got)
	}
	return w.ID
}

func run(t *testing.T, d *webhook.Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		d.Run(ctx)
		close(done)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// TestSignedDeliveriesReachEachPartysWebhook registers a webhook for each party and a
// guarantor's (no party), verifies a finding about each party, and checks that each receiver,
// checking signatures with its own secret, gets exactly its notices.
func TestSignedDeliveriesReachEachPartysWebhook(t *testing.T) {
	db, ids := withFindings(t, filepath.Join(t.TempDir(), "truce.db"), "east", "west")
	defer db.Close()
	east, west, guarantor := newReceiver(t, "east-secret-0123456789"), newReceiver(t, "west-secret-0123456789"), newReceiver(t, "")
	register(t, db, east.srv.URL+"/hook", "east", east.secret)
	register(t, db, west.srv.URL, "west", west.secret)
	var err error
	if guarantor.secret, err = db.CreateWebhook(context.Background(), &truce.Webhook{URL: guarantor.srv.URL}, ""); err != nil || len(guarantor.secret) < 32 {
		t.Fatalf("generated secret %q: %v", guarantor.secret, err)
	}
	d := webhook.New(db, webhook.Options{MinBackoff: 10 * time.Millisecond, Poll: 50 * time.Millisecond})
	run(t, d)
	verify(t, db, ids["east"])
	verify(t, db, ids["west"])
	d.Notify(context.Background(), truce.Notice{})
	waitFor(t, "the deliveries", func() bool {
		return len(east.received()) == 1 && len(west.received()) == 1 && len(guarantor.received()) == 2
	})
	for name, r := range map[string]*receiver{"east": east, "west": west, "guarantor": guarantor} {
		if p := r.problems(); len(p) > 0 {
			t.Errorf("%s's receiver refused deliveries: %v", name, p)
		}
	}
	if n := east.received()[0]; n.Kind != truce.NoticeVerified || n.FindingID != ids["east"] || n.Finding == nil || n.Finding.Source != "" {
		t.Errorf("east received %+v", n)
	}
	if n := west.received()[0]; n.FindingID != ids["west"] {
		t.Errorf("west received %+v", n)
	}
	waitFor(t, "no delivery pending", func() bool {
		hooks, err := db.Webhooks(context.Background())
		if err != nil || len(hooks) != 3 {
			t.Fatalf("webhooks %+v: %v", hooks, err)
		}
		for _, h := range hooks {
			if h.Pending != 0 {
				return false
			}
		}
		return true
	})
}

// TestAReceiverWithTheWrongSecretRefusesTheDelivery is the other side of the signature: a
// receiver that holds another secret refuses, and the delivery stays pending.
func TestAReceiverWithTheWrongSecretRefusesTheDelivery(t *testing.T) {
	db, ids := withFindings(t, filepath.Join(t.TempDir(), "truce.db"), "east")
	defer db.Close()
	r := newReceiver(t, "not-the-secret-at-all")
	register(t, db, r.srv.URL, "east", "the-real-secret-0123")
	d := webhook.New(db, webhook.Options{MinBackoff: time.Hour})
	run(t, d)
	verify(t, db, ids["east"])
	d.Notify(context.Background(), truce.Notice{})
	waitFor(t, "an attempt recorded as failed", func() bool {
		hooks, _ := db.Webhooks(context.Background())
		return len(hooks) == 1 && hooks[0].LastError != ""
	})
	if got := r.received(); len(got) != 0 {
		t.Errorf("a delivery signed with another secret was accepted: %+v", got)
	}
	hooks, _ := db.Webhooks(context.Background())
	if hooks[0].Pending != 1 || !strings.Contains(hooks[0].LastError, "401") {
		t.Errorf("webhooks %+v, want one delivery pending with the receiver's refusal", hooks)
	}
}

// TestAFailingReceiverGetsTheDeliveryWhenItRecovers has a guarantor's receiver fail three
// times: the deliveries are retried with backoff, the second waiting for the first, and arrive
// once each, in the order of their notices.
func TestAFailingReceiverGetsTheDeliveryWhenItRecovers(t *testing.T) {
	db, ids := withFindings(t, filepath.Join(t.TempDir(), "truce.db"), "east", "west")
	defer db.Close()
	r := newReceiver(t, "guarantor-secret-0123456789")
	r.fail.Store(3)
	register(t, db, r.srv.URL, "", r.secret)
	d := webhook.New(db, webhook.Options{MinBackoff: 20 * time.Millisecond, Poll: time.Hour})
	run(t, d)
	start := time.Now()
	verify(t, db, ids["east"])
	verify(t, db, ids["west"])
	d.Notify(context.Background(), truce.Notice{})
	waitFor(t, "the deliveries after the receiver recovers", func() bool { return len(r.received()) == 2 })
	// Three failures wait 20, 40 and 80 ms before the next attempt.
	if took := time.Since(start); took < 140*time.Millisecond {
		t.Errorf("delivered after %s: the retries did not back off", took)
	}
	r.mu.Lock()
	attempts := r.attempts
	r.mu.Unlock()
	if attempts != 5 {
		t.Errorf("%d attempts, want 5 (three failures of the first, then each delivered)", attempts)
	}
	time.Sleep(100 * time.Millisecond)
	if got := r.received(); len(got) != 2 || got[0].FindingID != ids["east"] || got[1].FindingID != ids["west"] {
		t.Errorf("received %+v, want east's notice then west's", got)
	}
}

// TestAPendingDeliverySurvivesARestart verifies a finding while the receiver is down, stops
// the dispatcher and closes the store (a restart of the server), then opens both again with
// the receiver up: the delivery arrives.
func TestAPendingDeliverySurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	db, ids := withFindings(t, path, "east")
	r := newReceiver(t, "east-secret-0123456789")
	r.fail.Store(1 << 20) // down until further notice
	register(t, db, r.srv.URL, "east", r.secret)
	d := webhook.New(db, webhook.Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	stop := run(t, d)
	verify(t, db, ids["east"])
	d.Notify(context.Background(), truce.Notice{})
	waitFor(t, "a failed attempt", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.attempts >= 2
	})
	stop()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if len(r.received()) != 0 {
		t.Fatal("the receiver accepted while down")
	}

	r.fail.Store(0)
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run(t, webhook.New(db, webhook.Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}))
	waitFor(t, "the delivery after the restart", func() bool { return len(r.received()) == 1 })
	if n := r.received()[0]; n.Kind != truce.NoticeVerified || n.FindingID != ids["east"] {
		t.Errorf("received %+v", n)
	}
}

// TestASlowReceiverHoldsUpNeitherReviewsNorOtherWebhooks holds one receiver's answer while
// findings are verified: the reviews return at once and the other webhook gets its delivery.
func TestASlowReceiverHoldsUpNeitherReviewsNorOtherWebhooks(t *testing.T) {
	db, ids := withFindings(t, filepath.Join(t.TempDir(), "truce.db"), "east", "west")
	defer db.Close()
	slow, fast := newReceiver(t, "slow-secret-0123456789"), newReceiver(t, "fast-secret-0123456789")
	slow.hold = make(chan struct{})
	register(t, db, slow.srv.URL, "", slow.secret)
	register(t, db, fast.srv.URL, "", fast.secret)
	d := webhook.New(db, webhook.Options{Poll: 20 * time.Millisecond})
	stop := run(t, d)
	start := time.Now()
	verify(t, db, ids["east"])
	verify(t, db, ids["west"])
	if took := time.Since(start); took > time.Second {
		t.Errorf("two reviews took %s with a receiver that does not answer", took)
	}
	waitFor(t, "the fast receiver's deliveries", func() bool { return len(fast.received()) == 2 })
	if len(slow.received()) != 0 {
		t.Fatal("the held receiver answered")
	}
	close(slow.hold)
	waitFor(t, "the slow receiver's deliveries", func() bool { return len(slow.received()) == 2 })
	stop()
}

// TestSignAndVerify pins the signature scheme: HMAC-SHA256 over "TIMESTAMP.BODY".
func TestSignAndVerify(t *testing.T) {
	// Computed independently: printf '1777619400.{"a":1}' | openssl dgst -sha256 -hmac secret
	const want = "sha256=81123294bb76e51e82a49413a30c5eace373c766d0ccb7f5b866e82dcab5c051"
	body := []byte(`{"a":1}`)
	ts := int64(1777619400)
	sig := webhook.Sign("secret", ts, body)
	if sig != want {
		t.Errorf("signature %s, want %s", sig, want)
	}
	h := http.Header{}
	h.Set(webhook.HeaderTimestamp, fmt.Sprint(ts))
	h.Set(webhook.HeaderSignature, sig)
	at := time.Unix(ts, 0)
	if err := webhook.Verify("secret", h, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("a good delivery: %v", err)
	}
	cases := map[string]func() (string, http.Header, []byte, time.Time){
		"another secret": func() (string, http.Header, []byte, time.Time) { return "other", h, body, at },
		"altered body":   func() (string, http.Header, []byte, time.Time) { return "secret", h, []byte(`{"a":2}`), at },
		"old timestamp":  func() (string, http.Header, []byte, time.Time) { return "secret", h, body, at.Add(time.Hour) },
		"moved timestamp": func() (string, http.Header, []byte, time.Time) {
			h2 := h.Clone()
			h2.Set(webhook.HeaderTimestamp, fmt.Sprint(ts+1))
			return "secret", h2, body, at
		},
		"no signature": func() (string, http.Header, []byte, time.Time) {
			h2 := h.Clone()
			h2.Del(webhook.HeaderSignature)
			return "secret", h2, body, at
		},
	}
	for name, c := range cases {
		secret, h, body, now := c()
		if err := webhook.Verify(secret, h, body, now, 5*time.Minute); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}
