package server_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/server"
)

// noticeLog is a notifier that keeps what it is told.
type noticeLog struct {
	mu      sync.Mutex
	notices []truce.Notice
}

func (l *noticeLog) Notify(_ context.Context, n truce.Notice) {
	l.mu.Lock()
	l.notices = append(l.notices, n)
	l.mu.Unlock()
}

func (l *noticeLog) all() []truce.Notice {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]truce.Notice(nil), l.notices...)
}

// findingsByParty lists the mission's findings by the party they are attributed to.
func (m *mission) findingsByParty() map[string]truce.Finding {
	m.t.Helper()
	_, data := m.do("GET", "/api/v1/findings", m.tokens[truce.RoleAnalyst], "", "")
	var page struct{ Findings []truce.Finding }
	if err := json.Unmarshal(data, &page); err != nil {
		m.t.Fatal(err)
	}
	out := map[string]truce.Finding{}
	for _, f := range page.Findings {
		out[f.Party] = f
	}
	return out
}

func (m *mission) review(id, body string) truce.Finding {
	m.t.Helper()
	res, data := m.do("POST", "/api/v1/findings/"+id+"/review", m.tokens[truce.RoleAnalyst], "application/json", body)
	if res.StatusCode != 200 {
		m.t.Fatalf("review %s %s: %s %s", id, body, res.Status, data)
	}
	var f truce.Finding
	json.Unmarshal(data, &f)
	return f
}

// TestNotifiersAreToldOfPublicationAndWithdrawal verifies a finding about east, reopens it and
// dismisses it, and checks what a notifier given in Options and one added later are told: one
// notice when it is verified and one when it is withdrawn, for east, without the source, and
// nothing for the steps in between.
func TestNotifiersAreToldOfPublicationAndWithdrawal(t *testing.T) {
	first, added := &noticeLog{}, &noticeLog{}
	m := newMission(t, server.Options{RequiredApprovals: 1, Notifiers: []truce.Notifier{first}}, ingest.Options{})
	m.srv.AddNotifier(added)
	m.post("application/x-ndjson", good)
	east := m.findingsByParty()["east"]
	start := time.Now().UTC()
	m.review(east.ID, `{"action": "review"}`)
	m.review(east.ID, `{"action": "verify", "reason": "seen"}`)
	m.review(east.ID, `{"action": "reopen", "reason": "the party contests"}`)
	m.review(east.ID, `{"action": "dismiss", "reason": "a tractor"}`)
	for _, l := range []*noticeLog{first, added} {
		got := l.all()
		if len(got) != 2 {
			t.Fatalf("%d notices, want 2: %+v", len(got), got)
		}
		for i, want := range []struct{ kind, review string }{{truce.NoticeVerified, truce.ReviewVerified}, {truce.NoticeWithdrawn, truce.ReviewUnderReview}} {
			n := got[i]
			if n.Kind != want.kind || n.Party != "east" || !n.Public || n.FindingID != east.ID || n.Finding == nil || n.Finding.Review != want.review {
				t.Errorf("notice %d: %+v, want %s of %s (%s) for east", i, n, want.kind, east.ID, want.review)
			}
			if n.Finding != nil && n.Finding.Source != "" {
				t.Errorf("notice %d carries the source %q", i, n.Finding.Source)
			}
			if n.ID == "" || n.Time.Before(start.Add(-time.Second)) || n.Text == "" {
				t.Errorf("notice %d: id %q, time %s, text %q", i, n.ID, n.Time, n.Text)
			}
		}
		if got[0].ID == got[1].ID {
			t.Errorf("two notices share the id %s", got[0].ID)
		}
	}
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
