package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/server"
)

// clock is a server clock the test moves.
type clock struct{ at atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.at.Store(t.UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.at.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.at.Add(int64(d)) }

// liaisonOf returns a token of a liaison of party.
func (m *mission) liaisonOf(party string) string {
	m.t.Helper()
	secret, err := m.db.CreateToken(context.Background(), &truce.Token{Role: truce.RoleLiaison, Party: party, Name: "liaison-" + party})
	if err != nil {
		m.t.Fatal(err)
	}
	return secret
}

// respond posts a response as token and returns the status and the response.
func (m *mission) respond(token, findingID, body string) (int, truce.Response, string) {
	m.t.Helper()
	res, data := m.do("POST", "/api/v1/findings/"+findingID+"/responses", token, "application/json", body)
	var r truce.Response
	json.Unmarshal(data, &r)
	return res.StatusCode, r, string(data)
}

func (m *mission) answer(token, requestID, body string) (int, truce.Response, string) {
	m.t.Helper()
	res, data := m.do("POST", "/api/v1/requests/"+requestID+"/answer", token, "application/json", body)
	var r truce.Response
	json.Unmarshal(data, &r)
	return res.StatusCode, r, string(data)
}

func (m *mission) requests(token, query string) []truce.Response {
	m.t.Helper()
	res, data := m.do("GET", "/api/v1/requests"+query, token, "", "")
	if res.StatusCode != 200 {
		m.t.Fatalf("GET /api/v1/requests%s: %s %s", query, res.Status, data)
	}
	var page struct{ Requests []truce.Response }
	if err := json.Unmarshal(data, &page); err != nil {
		m.t.Fatal(err)
	}
	return page.Requests
}

// TestTheLiaisonChannelFromResponseToClosure walks a party's responses to a finding and the
// mission's answers through the API, every state and every forbidden step: who may respond to
// what and when, deadlines and the overdue flag at the server's clock, answers after closure,
// and the notices each step makes for the party alone.
func TestTheLiaisonChannelFromResponseToClosure(t *testing.T) {
	clk := newClock(time.Date(2026, 5, 2, 8, 0, 0, 0, time.UTC))
	notices := &noticeLog{}
	m := newMission(t, server.Options{RequiredApprovals: 1, Now: clk.now, Notifiers: []truce.Notifier{notices}}, ingest.Options{})
	m.post("application/x-ndjson", good)
	byParty := m.findingsByParty()
	east, west := byParty["east"].ID, byParty["west"].ID
	eastLiaison, westLiaison := m.tokens[truce.RoleLiaison], m.liaisonOf("west")

	// Before the finding is verified, there is nothing to answer.
	if status, _, data := m.respond(eastLiaison, east, `{"action": "acknowledge"}`); status != 409 || !strings.Contains(data, "not verified") {
		t.Errorf("answering a detected finding: %d %s, want 409", status, data)
	}
	m.review(east, `{"action": "verify", "reason": "seen on video"}`)
	m.review(west, `{"action": "verify", "reason": "seen on video"}`)

	// Who may not respond.
	for _, c := range []struct {
		name, token, finding, body string
		want                       int
	}{
		{"the other party's liaison", westLiaison, east, `{"action": "contest", "statement": "not ours"}`, 404},
		{"a liaison, to the other party's finding", eastLiaison, west, `{"action": "acknowledge"}`, 404},
		{"an observer", m.tokens[truce.RoleObserver], east, `{"action": "acknowledge"}`, 403},
		{"an analyst", m.tokens[truce.RoleAnalyst], east, `{"action": "acknowledge"}`, 403},
		{"an admin", m.tokens[truce.RoleAdmin], east, `{"action": "acknowledge"}`, 403},
		{"a monitor", m.tokens[truce.RoleMonitor], east, `{"action": "acknowledge"}`, 403},
		{"no token", "", east, `{"action": "acknowledge"}`, 401},
		{"a contest without a statement", eastLiaison, east, `{"action": "contest"}`, 400},
		{"an inspection request without a statement", eastLiaison, east, `{"action": "inspection", "statement": ""}`, 400},
		{"an unknown action", eastLiaison, east, `{"action": "deny", "statement": "no"}`, 400},
		{"an unknown field", eastLiaison, east, `{"action": "acknowledge", "mood": "cross"}`, 400},
		{"a finding that does not exist", eastLiaison, "no-such-finding", `{"action": "acknowledge"}`, 404},
	} {
		if status, _, data := m.respond(c.token, c.finding, c.body); status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, status, data, c.want)
		}
	}
	if status, _, data := m.respond(eastLiaison, east, `{"action": "contest"}`); !strings.Contains(data, "statement") {
		t.Errorf("the refusal of a contest without a statement does not name the field: %d %s", status, data)
	}

	// The three responses.
	status, ack, data := m.respond(eastLiaison, east, `{"action": "acknowledge", "statement": "noted"}`)
	if status != 201 || ack.State != truce.ResponseRecorded || ack.Deadline != nil || ack.Party != "east" {
		t.Fatalf("acknowledge: %d %s", status, data)
	}
	status, contest, data := m.respond(eastLiaison, east, `{"action": "contest", "statement": "the vehicle was in its depot"}`)
	if status != 201 || contest.State != truce.RequestOpen || contest.Deadline != nil {
		t.Fatalf("contest: %d %s", status, data)
	}
	status, insp, data := m.respond(eastLiaison, east, `{"action": "inspection", "statement": "inspect the depot"}`)
	if status != 201 || insp.State != truce.RequestOpen || insp.Deadline == nil || !insp.Deadline.Equal(clk.now().Add(48*time.Hour)) || insp.Overdue {
		t.Fatalf("inspection: %d %s, want open, due in 48 h", status, data)
	}

	// Who sees them.
	if got := m.requests(westLiaison, ""); len(got) != 0 {
		t.Errorf("the liaison of west sees %d requests of east", len(got))
	}
	if got := m.requests(westLiaison, "?party=east"); len(got) != 0 {
		t.Errorf("the liaison of west asking for east's sees %d", len(got))
	}
	if res, _ := m.do("GET", "/api/v1/findings/"+east+"/responses", westLiaison, "", ""); res.StatusCode != 404 {
		t.Errorf("the liaison of west reading east's responses: %s", res.Status)
	}
	if res, _ := m.do("GET", "/api/v1/requests/"+insp.ID, westLiaison, "", ""); res.StatusCode != 404 {
		t.Errorf("the liaison of west reading east's request: %s", res.Status)
	}
	if res, _ := m.do("GET", "/api/v1/requests", m.tokens[truce.RoleObserver], "", ""); res.StatusCode != 403 {
		t.Errorf("an observer reading requests: %s", res.Status)
	}
	res, body := m.do("GET", "/api/v1/findings/"+east+"/responses", eastLiaison, "", "")
	var list struct{ Responses []truce.Response }
	json.Unmarshal(body, &list)
	if res.StatusCode != 200 || len(list.Responses) != 3 || list.Responses[0].ID != insp.ID {
		t.Errorf("east's responses, newest first: %s %s", res.Status, body)
	}

	// Overdue, at the server's clock.
	if got := m.requests(m.tokens[truce.RoleAnalyst], "?state=open&overdue=true"); len(got) != 0 {
		t.Errorf("overdue before the deadline: %+v", got)
	}
	if got := m.requests(eastLiaison, "?state=open"); len(got) != 2 {
		t.Errorf("open requests: %d, want the contest and the inspection request", len(got))
	}
	clk.advance(48*time.Hour + time.Minute)
	for _, tok := range []string{m.tokens[truce.RoleAnalyst], eastLiaison} {
		got := m.requests(tok, "?state=open&overdue=true")
		if len(got) != 1 || got[0].ID != insp.ID || !got[0].Overdue {
			t.Errorf("overdue after the deadline: %+v, want the inspection request flagged", got)
		}
	}
	if got := m.requests(m.tokens[truce.RoleAnalyst], "?overdue=false"); len(got) != 2 {
		t.Errorf("not overdue: %d, want the acknowledgement and the contest", len(got))
	}
	for _, q := range []string{"?state=pending", "?overdue=maybe", "?action=deny", "?limit=0"} {
		if res, data := m.do("GET", "/api/v1/requests"+q, m.tokens[truce.RoleAnalyst], "", ""); res.StatusCode != 400 {
			t.Errorf("GET /api/v1/requests%s: %s %s, want 400", q, res.Status, data)
		}
	}
	if n, err := m.srv.MarkOverdue(context.Background()); n != 1 || err != nil {
		t.Errorf("MarkOverdue: %d %v, want 1", n, err)
	}
	if n, _ := m.srv.MarkOverdue(context.Background()); n != 0 {
		t.Errorf("MarkOverdue again: %d, want 0 (one notice per request)", n)
	}

	// The mission's answers, and what it may not do.
	analyst := m.tokens[truce.RoleAnalyst]
	for _, c := range []struct {
		name, token, id, body string
		want                  int
	}{
		{"a liaison answering", eastLiaison, insp.ID, `{"action": "answer", "reason": "we did it ourselves"}`, 403},
		{"an observer answering", m.tokens[truce.RoleObserver], insp.ID, `{"reason": "x"}`, 403},
		{"answering an acknowledgement", analyst, ack.ID, `{"action": "answer", "reason": "thank you"}`, 409},
		{"answering without a reason", analyst, insp.ID, `{"action": "answer"}`, 400},
		{"an unknown action", analyst, insp.ID, `{"action": "reject", "reason": "no"}`, 400},
		{"no such request", analyst, "req-nothing", `{"reason": "x"}`, 404},
	} {
		if status, _, data := m.answer(c.token, c.id, c.body); status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, status, data, c.want)
		}
	}
	status, answered, data := m.answer(analyst, insp.ID, `{"reason": "inspected on 4 May: no vehicle in the depot"}`)
	if status != 200 || answered.State != truce.RequestAnswered || answered.Overdue || answered.AnsweredAt == nil {
		t.Fatalf("answer: %d %s", status, data)
	}
	if status, _, _ := m.answer(analyst, insp.ID, `{"action": "answer", "reason": "again"}`); status != 409 {
		t.Errorf("answering an answered request: %d, want 409", status)
	}
	if got := m.requests(analyst, "?overdue=true"); len(got) != 0 {
		t.Errorf("an answered request is still overdue: %+v", got)
	}
	if status, r, data := m.answer(analyst, insp.ID, `{"action": "close", "reason": "done"}`); status != 200 || r.State != truce.RequestClosed {
		t.Errorf("close: %d %s", status, data)
	}
	if status, r, data := m.answer(m.tokens[truce.RoleAdmin], contest.ID, `{"action": "close", "reason": "the party withdrew it"}`); status != 200 || r.State != truce.RequestClosed {
		t.Errorf("close an open contest: %d %s", status, data)
	}
	for _, id := range []string{insp.ID, contest.ID} {
		if status, _, data := m.answer(analyst, id, `{"action": "answer", "reason": "late"}`); status != 409 || !strings.Contains(data, "closed") {
			t.Errorf("an answer after closure: %d %s, want 409", status, data)
		}
	}

	// The history of the inspection request.
	res, body = m.do("GET", "/api/v1/requests/"+insp.ID+"/history", eastLiaison, "", "")
	var h struct{ History []truce.ResponseEntry }
	json.Unmarshal(body, &h)
	steps := []string{}
	for _, e := range h.History {
		steps = append(steps, e.Action+":"+e.From+">"+e.To)
	}
	if res.StatusCode != 200 || strings.Join(steps, " ") != "inspection:>open answer:open>answered close:answered>closed" {
		t.Errorf("history %s: %v", res.Status, steps)
	}

	// A finding withdrawn is no longer answered.
	m.review(east, `{"action": "reopen", "reason": "new evidence"}`)
	if status, _, data := m.respond(eastLiaison, east, `{"action": "acknowledge"}`); status != 409 {
		t.Errorf("answering a withdrawn finding: %d %s, want 409", status, data)
	}

	// Every notice, in order, each for its party only.
	var kinds []string
	for _, n := range notices.all() {
		if n.Party == "west" && n.Kind != truce.NoticeVerified {
			t.Errorf("a notice of east's channel went to west: %+v", n)
		}
		if n.Finding != nil && n.Finding.Source != "" {
			t.Errorf("notice %s carries the source", n.Kind)
		}
		if n.Kind != truce.NoticeVerified && n.Kind != truce.NoticeWithdrawn && n.Public {
			t.Errorf("a notice of the channel is public: %+v", n)
		}
		if n.Party == "east" {
			kinds = append(kinds, n.Kind)
		}
	}
	want := []string{truce.NoticeVerified, truce.NoticeResponse, truce.NoticeResponse, truce.NoticeResponse,
		truce.NoticeRequestOverdue, truce.NoticeRequestAnswered, truce.NoticeRequestAnswered, truce.NoticeRequestAnswered, truce.NoticeWithdrawn}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Errorf("east's notices\n got %v\nwant %v", kinds, want)
	}

	// The liaison's inbox holds the same, and the other party's none of east's channel.
	res, body = m.do("GET", "/api/v1/notices", eastLiaison, "", "")
	var inbox struct {
		Notices []truce.Notice
		Next    int64
	}
	json.Unmarshal(body, &inbox)
	if res.StatusCode != 200 || len(inbox.Notices) != len(want) || inbox.Next == 0 {
		t.Errorf("east's inbox: %s, %d notices, want %d", res.Status, len(inbox.Notices), len(want))
	}
	res, body = m.do("GET", "/api/v1/notices?after="+jsonInt(inbox.Next), eastLiaison, "", "")
	json.Unmarshal(body, &inbox)
	if res.StatusCode != 200 || len(inbox.Notices) != 0 {
		t.Errorf("east's inbox after the last: %s %s", res.Status, body)
	}
	_, body = m.do("GET", "/api/v1/notices", westLiaison, "", "")
	json.Unmarshal(body, &inbox)
	if len(inbox.Notices) != 1 || inbox.Notices[0].Kind != truce.NoticeVerified || inbox.Notices[0].Party != "west" {
		t.Errorf("west's inbox: %s", body)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// listenNotices opens the event stream with token and passes on the notices it carries.
func (m *mission) listenNotices(token string) <-chan truce.Notice {
	m.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", m.url+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		m.t.Fatalf("events: %v", err)
	}
	m.t.Cleanup(func() { cancel(); res.Body.Close() })
	out := make(chan truce.Notice, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		name := ""
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "event: ") {
				name = line[7:]
			}
			if strings.HasPrefix(line, "data: ") && name == "notice" {
				var n truce.Notice
				json.Unmarshal([]byte(line[6:]), &n)
				out <- n
			}
		}
	}()
	return out
}

// TestLiaisonsHearTheirPartysNoticesOnTheEventStream: the notices of the channel reach the
// event streams of the party's liaisons and the mission, and not the other party's; public
// ones reach observers.
func TestLiaisonsHearTheirPartysNoticesOnTheEventStream(t *testing.T) {
	m := newMission(t, server.Options{RequiredApprovals: 1, KeepAlive: 100 * time.Millisecond}, ingest.Options{})
	m.post("application/x-ndjson", good)
	east := m.findingsByParty()["east"].ID
	eastLiaison := m.tokens[truce.RoleLiaison]
	streams := map[string]<-chan truce.Notice{
		"east":     m.listenNotices(eastLiaison),
		"west":     m.listenNotices(m.liaisonOf("west")),
		"analyst":  m.listenNotices(m.tokens[truce.RoleAnalyst]),
		"observer": m.listenNotices(m.tokens[truce.RoleObserver]),
	}
	time.Sleep(100 * time.Millisecond)
	m.review(east, `{"action": "verify", "reason": "seen"}`)
	if status, _, data := m.respond(eastLiaison, east, `{"action": "contest", "statement": "not ours"}`); status != 201 {
		t.Fatalf("contest: %d %s", status, data)
	}
	heard := func(ch <-chan truce.Notice) string {
		var kinds []string
		for {
			select {
			case n := <-ch:
				if n.Finding != nil && n.Finding.Source != "" {
					t.Errorf("a notice on the stream carries the source")
				}
				kinds = append(kinds, n.Kind)
			case <-time.After(time.Second):
				return strings.Join(kinds, " ")
			}
		}
	}
	want := map[string]string{
		"east":     truce.NoticeVerified + " " + truce.NoticeResponse,
		"analyst":  truce.NoticeVerified + " " + truce.NoticeResponse,
		"observer": truce.NoticeVerified,
		"west":     "",
	}
	for name, ch := range streams {
		if got := heard(ch); got != want[name] {
			t.Errorf("%s heard %q, want %q", name, got, want[name])
		}
	}
}
