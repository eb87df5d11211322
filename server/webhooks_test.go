package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/server"
	"github.com/truce-project/truce/webhook"
)

// TestWebhooksAreRegisteredByAnAdminAndToldTheirPartysNotices registers webhooks through the
// API, refuses bad ones with the field named, and runs the dispatcher as serve does: a real
// receiver of east's notices gets the notice of east's verified finding, signed.
func TestWebhooksAreRegisteredByAnAdminAndToldTheirPartysNotices(t *testing.T) {
	m := newMission(t, server.Options{RequiredApprovals: 1}, ingest.Options{})
	admin := m.tokens[truce.RoleAdmin]
	var mu sync.Mutex
	var got []truce.Notice
	var problems []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify("east-secret-0123456789", r.Header, body, time.Now(), time.Minute); err != nil {
			problems = append(problems, err.Error())
			w.WriteHeader(401)
			return
		}
		var n truce.Notice
		json.Unmarshal(body, &n)
		got = append(got, n)
	}))
	defer receiver.Close()

	for _, c := range []struct{ body, field string }{
		{`{"url": "ftp://example.org/hook", "party": "east"}`, "url"},
		{`{"url": "file:///etc/passwd"}`, "url"},
		{`{"url": "/relative", "party": "east"}`, "url"},
		{`{"url": "", "party": "east"}`, "url"},
		{`{"url": "https://user:pw@example.org/", "party": "east"}`, "url"},
		{`{"url": "https://example.org/hook", "party": "north"}`, "party"},
		{`{"url": "https://example.org/hook", "secret": "short"}`, "secret"},
		{`{"url": "https://example.org/hook", "events": "all"}`, "events"},
	} {
		res, data := m.do("POST", "/api/v1/webhooks", admin, "application/json", c.body)
		if res.StatusCode != 400 || !strings.Contains(string(data), c.field) {
			t.Errorf("POST %s: %s %s, want 400 naming %s", c.body, res.Status, data, c.field)
		}
	}
	for _, role := range []truce.Role{truce.RoleAnalyst, truce.RoleLiaison, truce.RoleObserver, truce.RoleMonitor} {
		if res, _ := m.do("POST", "/api/v1/webhooks", m.tokens[role], "application/json", `{"url": "https://example.org/"}`); res.StatusCode != 403 {
			t.Errorf("a %s registering a webhook: %s", role, res.Status)
		}
		if res, _ := m.do("GET", "/api/v1/webhooks", m.tokens[role], "", ""); res.StatusCode != 403 {
			t.Errorf("a %s listing webhooks: %s", role, res.Status)
		}
	}
	res, data := m.do("POST", "/api/v1/webhooks", admin, "application/json", `{"url": "`+receiver.URL+`/truce", "party": "east", "secret": "east-secret-0123456789"}`)
	var created struct {
		Webhook truce.Webhook
		Secret  string
	}
	json.Unmarshal(data, &created)
	if res.StatusCode != 201 || created.Webhook.ID == "" || created.Secret != "east-secret-0123456789" {
		t.Fatalf("register: %s %s", res.Status, data)
	}
	res, data = m.do("POST", "/api/v1/webhooks", admin, "application/json", `{"url": "https://guarantor.example/hook"}`)
	var public struct {
		Webhook truce.Webhook
		Secret  string
	}
	json.Unmarshal(data, &public)
	if res.StatusCode != 201 || len(public.Secret) < 32 {
		t.Fatalf("register without a secret: %s %s", res.Status, data)
	}
	_, data = m.do("GET", "/api/v1/webhooks", admin, "", "")
	if strings.Contains(string(data), "east-secret") || strings.Contains(string(data), public.Secret) {
		t.Errorf("the list shows a secret: %s", data)
	}
	if res, _ := m.do("DELETE", "/api/v1/webhooks/"+public.Webhook.ID, admin, "", ""); res.StatusCode != 200 {
		t.Errorf("delete: %s", res.Status)
	}
	if res, _ := m.do("DELETE", "/api/v1/webhooks/"+public.Webhook.ID, admin, "", ""); res.StatusCode != 404 {
		t.Errorf("delete again: %s", res.Status)
	}
	var list struct{ Webhooks []truce.Webhook }
	_, data = m.do("GET", "/api/v1/webhooks", admin, "", "")
	json.Unmarshal(data, &list)
	if len(list.Webhooks) != 1 || list.Webhooks[0].ID != created.Webhook.ID {
		t.Errorf("webhooks after the delete: %s", data)
	}

	d := webhook.New(m.db, webhook.Options{MinBackoff: 10 * time.Millisecond})
	m.srv.AddNotifier(d)
	ctx, cancel := contextWithCancel()
	defer cancel()
	go d.Run(ctx)
	m.post("application/x-ndjson", good)
	byParty := m.findingsByParty()
	m.review(byParty["west"].ID, `{"action": "verify", "reason": "seen"}`)
	m.review(byParty["east"].ID, `{"action": "verify", "reason": "seen"}`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the receiver refused: %v", problems)
	}
	if len(got) != 1 || got[0].Kind != truce.NoticeVerified || got[0].FindingID != byParty["east"].ID || got[0].Finding.Source != "" {
		t.Errorf("east's receiver got %+v, want the one notice of east's finding, without its source", got)
	}
}
