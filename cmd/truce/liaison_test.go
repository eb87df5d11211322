package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/webhook"
)

// TestServedLiaisonChannelLogsAndDeliversAcrossARestart runs `truce serve` as a mission
// would: a webhook of east is registered while its receiver is down, a finding about east is
// verified, and the server is stopped; started again with the receiver up, it delivers the
// notice, signed. East's liaison then requests an inspection (due within --inspection-deadline)
// and an analyst answers it: both steps are in the mission's log as response records.
func TestServedLiaisonChannelLogsAndDeliversAcrossARestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	data := t.TempDir()
	monitor := lastLine(runCommand(t, "token", "create", "--role", "monitor", "--data", data))
	analyst := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	admin := lastLine(runCommand(t, "token", "create", "--role", "admin", "--data", data))
	liaison := lastLine(runCommand(t, "token", "create", "--role", "liaison", "--party", "east", "--data", data))
	const secret = "east-liaison-office-secret"
	var up atomic.Bool
	var mu sync.Mutex
	var received []truce.Notice
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var n truce.Notice
		json.Unmarshal(body, &n)
		mu.Lock()
		received = append(received, n)
		mu.Unlock()
	}))
	defer receiver.Close()
	args := []string{"--agreement", examplesDir("notional-east"), "--data", data, "--approvals", "1", "--inspection-deadline", "2h", "--checkpoint-every", "100ms"}
	ctx := context.Background()

	server := startServer(t, args...)
	if status, reply, err := httpDo(ctx, "POST", server.url+"/api/v1/webhooks", admin, "application/json",
		[]byte(`{"url": "`+receiver.URL+`", "party": "east", "secret": "`+secret+`"}`)); err != nil || status != 201 {
		t.Fatalf("register: %v %d %s", err, status, reply)
	}
	if status, reply, err := httpDo(ctx, "POST", server.url+"/api/v1/observations", monitor, "application/x-ndjson", []byte(logTestObservations)); err != nil || status != 200 {
		t.Fatalf("post: %v %d %s", err, status, reply)
	}
	_, body, _ := httpDo(ctx, "GET", server.url+"/api/v1/findings?party=east", analyst, "", nil)
	var page struct{ Findings []truce.Finding }
	json.Unmarshal(body, &page)
	if len(page.Findings) != 1 {
		t.Fatalf("east's findings: %s", body)
	}
	east := page.Findings[0].ID
	if status, reply, err := httpDo(ctx, "POST", server.url+"/api/v1/findings/"+east+"/review", analyst, "application/json",
		[]byte(`{"action": "verify", "reason": "seen"}`)); err != nil || status != 200 {
		t.Fatalf("verify: %v %d %s", err, status, reply)
	}
	// Wait for a failed attempt, so the delivery is pending when the server stops.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, body, _ := httpDo(ctx, "GET", server.url+"/api/v1/webhooks", admin, "", nil)
		if bytes.Contains(body, []byte(`"pending":1`)) && bytes.Contains(body, []byte("503")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed attempt within 10 s: %s", body)
		}
	}
	server.stop(t)

	up.Store(true)
	server = startServer(t, args...)
	defer server.stop(t)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := len(received)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pending delivery did not arrive within 15 s of the restart")
		}
	}
	mu.Lock()
	if received[0].Kind != truce.NoticeVerified || received[0].FindingID != east {
		t.Errorf("received %+v", received[0])
	}
	mu.Unlock()

	before := time.Now()
	status, reply, err := httpDo(ctx, "POST", server.url+"/api/v1/findings/"+east+"/responses", liaison, "application/json",
		[]byte(`{"action": "inspection", "statement": "inspect the depot"}`))
	var req truce.Response
	json.Unmarshal(reply, &req)
	if err != nil || status != 201 || req.Deadline == nil || req.Deadline.Before(before.Add(2*time.Hour-time.Second)) || req.Deadline.After(time.Now().Add(2*time.Hour)) {
		t.Fatalf("inspection request: %v %d %s, want one due in 2 h", err, status, reply)
	}
	if status, reply, err := httpDo(ctx, "POST", server.url+"/api/v1/requests/"+req.ID+"/answer", analyst, "application/json",
		[]byte(`{"action": "answer", "reason": "inspected"}`)); err != nil || status != 200 {
		t.Fatalf("answer: %v %d %s", err, status, reply)
	}
	// Five records of the observations, the review decision, and the two steps of the channel.
	var kinds []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, body, _ := httpDo(ctx, "GET", server.url+"/api/v1/log/entries?start=5&end=8", analyst, "", nil)
		kinds = kinds[:0]
		for _, line := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
			if rec, err := ledger.ParseRecord(line); err == nil {
				kinds = append(kinds, rec.Kind+":"+strings.SplitN(rec.ID, "/", 3)[1])
			}
		}
		if len(kinds) == 3 || time.Now().After(deadline) {
			break
		}
	}
	if got := strings.Join(kinds, " "); got != "decision:verify response:inspection response:answer" {
		t.Errorf("log records 5 to 7: %s", got)
	}
}
