package server_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/server"
	"github.com/truce-project/truce/sqlite"
)

// mission is a server over the notional example agreement, with a real SQLite file and a real
// HTTP listener on loopback, and a token of every role.
type mission struct {
	t      *testing.T
	url    string
	db     *sqlite.DB
	srv    *server.Server
	pipe   *ingest.Pipeline
	tokens map[truce.Role]string
}

func newMission(t *testing.T, opt server.Options, iopt ingest.Options) *mission {
	t.Helper()
	return newMissionWith(t, func(*sqlite.DB) server.Options { return opt }, iopt)
}

// newMissionWith is newMission with options that depend on the mission's store.
func newMissionWith(t *testing.T, optFor func(*sqlite.DB) server.Options, iopt ingest.Options) *mission {
	t.Helper()
	a, err := agreement.Load(filepath.Join("..", "examples", "notional-east"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := rules.Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "truce.db"))
	if err != nil {
		t.Fatal(err)
	}
	if iopt.Now == nil {
		iopt.Now = func() time.Time { return time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC) }
	}
	pipe, err := ingest.New(j, db, iopt)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(db, pipe, optFor(db))
	srv.SetReady(true)
	ts := httptest.NewServer(srv)
	m := &mission{t: t, url: ts.URL, db: db, srv: srv, pipe: pipe, tokens: map[truce.Role]string{}}
	t.Cleanup(func() {
		ts.Close()
		pipe.Close()
		db.Close()
	})
	for _, role := range truce.Roles {
		tok := &truce.Token{Role: role, Name: "test-" + string(role)}
		if role == truce.RoleLiaison {
			tok.Party = "east"
		}
		secret, err := db.CreateToken(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		m.tokens[role] = secret
	}
	return m
}

func (m *mission) do(method, path, token, contentType, body string) (*http.Response, []byte) {
	m.t.Helper()
	req, err := http.NewRequest(method, m.url+path, strings.NewReader(body))
	if err != nil {
		m.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res, data
}

type ingestReply struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   []struct {
		Line  int    `json:"line"`
		ID    string `json:"id"`
		Error string `json:"error"`
	} `json:"rejected"`
}

func (m *mission) post(contentType, body string) ingestReply {
	m.t.Helper()
	res, data := m.do("POST", "/api/v1/observations", m.tokens[truce.RoleMonitor], contentType, body)
	if res.StatusCode != 200 {
		m.t.Fatalf("POST: %s %s", res.Status, data)
	}
	var r ingestReply
	if err := json.Unmarshal(data, &r); err != nil {
		m.t.Fatalf("reply %s: %v", data, err)
	}
	return r
}

const good = `{"id":"a1","source":"patrol-1","time":"2026-05-01T07:10:00Z","kind":"presence.vehicle","lat":47.64884,"lon":36.35962,"ce_m":50,"party":"east"}
{"id":"a2","source":"patrol-1","time":"2026-05-01T07:11:00Z","kind":"presence.vehicle","lat":47.70,"lon":36.35,"ce_m":50}
{"id":"a3","source":"patrol-1","time":"2026-05-01T07:12:00Z","kind":"presence.vehicle","lat":49.3,"lon":34.6}
`

func TestPostObservationsAnswersPerRecord(t *testing.T) {
	m := newMission(t, server.Options{}, ingest.Options{})
	body := good +
		`{"id":"b1","source":"patrol-1","time":"2026-05-01T07:10:00Z","kind":"presence.tank","lat":47.6,"lon":36.3}` + "\n" +
		`{"id":"b2","source":"patrol-1","time":"2026-05-01T07:10:00Z","kind":"presence.vehicle","lat":147.6,"lon":36.3}` + "\n" +
		`{"id":"b3","source":"patrol-1","time":"2027-05-01T07:10:00Z","kind":"presence.vehicle","lat":47.6,"lon":36.3}` + "\n" +
		`{"id":"b4", "time": oops}` + "\n"
	r := m.post("application/x-ndjson", body)
	if r.Accepted != 3 || r.Duplicates != 0 || len(r.Rejected) != 4 {
		t.Fatalf("reply %+v", r)
	}
	wants := []struct {
		line int
		id   string
		text string
	}{{4, "b1", `kind: "presence.tank" is not a known kind`}, {5, "b2", "lat: 147.6 is outside"}, {6, "b3", "time: 2027-05-01T07:10:00Z is in the future"}, {7, "", "not valid JSON"}}
	for i, w := range wants {
		got := r.Rejected[i]
		if got.Line != w.line || got.ID != w.id || !strings.Contains(got.Error, w.text) {
			t.Errorf("rejected[%d] = %+v, want line %d id %q error containing %q", i, got, w.line, w.id, w.text)
		}
	}
	again := m.post("application/x-ndjson", good)
	if again.Accepted != 0 || again.Duplicates != 3 {
		t.Fatalf("resend: %+v", again)
	}
	// The findings were stored once: a1 and a2 are in the DMZ, a3 breaks nothing.
	res, data := m.do("GET", "/api/v1/findings?limit=100", m.tokens[truce.RoleAnalyst], "", "")
	var page struct{ Findings []truce.Finding }
	if res.StatusCode != 200 || json.Unmarshal(data, &page) != nil || len(page.Findings) != 2 {
		t.Fatalf("findings %s %s", res.Status, data)
	}
}

func TestEveryContentTypeIsRead(t *testing.T) {
	m := newMission(t, server.Options{}, ingest.Options{})
	cases := []struct{ ct, body string }{
		{"application/json", `[{"id":"j1","time":"2026-05-01T07:10:00Z","kind":"fire.flash","lat":47.6,"lon":36.3}]`},
		{"application/geo+json", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[36.3,47.6]},"properties":{"id":"g1","time":"2026-05-01T07:10:00Z","kind":"fire.flash"}}]}`},
		{"text/csv", "id,time,kind,lat,lon\nc1,2026-05-01T07:10:00Z,fire.flash,47.6,36.3\n"},
		{"application/x-ndjson; charset=utf-8", `{"id":"n1","time":"2026-05-01T07:10:00Z","kind":"fire.flash","lat":47.6,"lon":36.3}`},
	}
	for _, c := range cases {
		if r := m.post(c.ct, c.body); r.Accepted != 1 || len(r.Rejected) != 0 {
			t.Errorf("%s: %+v", c.ct, r)
		}
	}
}

func TestBadRequestsGetClearErrors(t *testing.T) {
	m := newMission(t, server.Options{MaxBodyBytes: 1024}, ingest.Options{})
	monitor := m.tokens[truce.RoleMonitor]
	cases := []struct {
		name, ct, body string
		status         int
		message        string
	}{
		{"unknown content type", "text/plain", good, 415, "Content-Type \"text/plain\" is not one of"},
		{"no content type", "", good, 415, "cannot be parsed"},
		{"oversized", "application/x-ndjson", strings.Repeat(good, 20), 413, "larger than the limit of 1024 bytes"},
		{"broken JSON array", "application/json", `[{"id":"x"`, 400, "the JSON array is broken"},
		{"CSV with an unknown column", "text/csv", "id,time,kind,latitude,lon\n", 400, `column 4 "latitude" is not an observation field`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, data := m.do("POST", "/api/v1/observations", monitor, c.ct, c.body)
			var e struct{ Code, Message string }
			if err := json.Unmarshal(data, &e); err != nil {
				t.Fatalf("not a JSON error: %s", data)
			}
			if res.StatusCode != c.status || !strings.Contains(e.Message, c.message) || e.Code == "" {
				t.Errorf("%s %s, want %d and a message containing %q", res.Status, data, c.status, c.message)
			}
		})
	}
	res, data := m.do("GET", "/api/v1/findings?bbox=1,2,3", m.tokens[truce.RoleAnalyst], "", "")
	if res.StatusCode != 400 || !strings.Contains(string(data), "bbox") {
		t.Errorf("bad bbox: %s %s", res.Status, data)
	}
	res, data = m.do("GET", "/api/v1/findings?cursor=zzz", m.tokens[truce.RoleAnalyst], "", "")
	if res.StatusCode != 400 {
		t.Errorf("bad cursor: %s %s", res.Status, data)
	}
}

func TestFindingsPagesWalkEveryFindingOnce(t *testing.T) {
	m := newMission(t, server.Options{}, ingest.Options{})
	var body strings.Builder
	for i := 0; i < 25; i++ {
		fmt.Fprintf(&body, `{"id":"p%d","source":"s","time":"2026-05-01T07:%02d:00Z","kind":"presence.vehicle","lat":47.64884,"lon":36.35962,"party":"east"}`+"\n", i, i)
	}
	if r := m.post("application/x-ndjson", body.String()); r.Accepted != 25 {
		t.Fatalf("%+v", r)
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		res, data := m.do("GET", "/api/v1/findings?limit=10&cursor="+cursor, m.tokens[truce.RoleAnalyst], "", "")
		var page struct {
			Findings []truce.Finding `json:"findings"`
			Next     string          `json:"next"`
		}
		if res.StatusCode != 200 || json.Unmarshal(data, &page) != nil {
			t.Fatalf("%s %s", res.Status, data)
		}
		for _, f := range page.Findings {
			if seen[f.ID] {
				t.Fatalf("finding %s twice", f.ID)
			}
			seen[f.ID] = true
			if f.Rule == "" || f.Article == "" || f.Observation == "" || f.Status == "" || f.Explanation == "" {
				t.Fatalf("finding lacks a field of the contract: %+v", f)
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != 25 {
		t.Errorf("%d findings over all pages, want 25", len(seen))
	}
}

// TestEveryRoleAgainstEveryEndpoint walks the access matrix: who may call what, and that a
// refusal is 401 without a valid token and 403 for a role not allowed.
func TestEveryRoleAgainstEveryEndpoint(t *testing.T) {
	m := newMission(t, server.Options{}, ingest.Options{})
	m.post("application/x-ndjson", good)
	_, data := m.do("GET", "/api/v1/findings", m.tokens[truce.RoleAdmin], "", "")
	var page struct{ Findings []truce.Finding }
	json.Unmarshal(data, &page)
	if len(page.Findings) == 0 {
		t.Fatal("no finding to fetch")
	}
	findingID := page.Findings[0].ID
	const allowed, forbidden = 200, 403
	endpoints := []struct {
		method, path, ct, body string
		status                 map[truce.Role]int
	}{
		{"POST", "/api/v1/observations", "application/x-ndjson", good, map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: allowed, truce.RoleAnalyst: allowed, truce.RoleLiaison: forbidden, truce.RoleObserver: forbidden}},
		{"GET", "/api/v1/observations", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: forbidden, truce.RoleObserver: forbidden}},
		{"GET", "/api/v1/sources", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: forbidden, truce.RoleObserver: forbidden}},
		{"GET", "/api/v1/findings", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: allowed, truce.RoleObserver: allowed}},
		{"GET", "/api/v1/findings/" + findingID, "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: allowed, truce.RoleObserver: 404}},
		{"GET", "/api/v1/agreement", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: allowed, truce.RoleObserver: allowed}},
		{"GET", "/api/v1/agreement/map.svg", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: allowed, truce.RoleObserver: allowed}},
		{"GET", "/metrics", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: forbidden, truce.RoleObserver: forbidden}},
		{"GET", "/api/v1/findings/" + findingID + "/history", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: forbidden, truce.RoleObserver: forbidden}},
		{"GET", "/api/v1/findings/" + findingID + "/responses", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: allowed, truce.RoleObserver: forbidden}},
		{"GET", "/api/v1/requests", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: allowed, truce.RoleObserver: forbidden}},
		{"GET", "/api/v1/notices", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: allowed, truce.RoleObserver: allowed}},
		{"GET", "/api/v1/webhooks", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: forbidden, truce.RoleLiaison: forbidden, truce.RoleObserver: forbidden}},
		{"GET", "/api/v1/open/findings.csv", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: allowed, truce.RoleObserver: allowed}},
		{"GET", "/api/v1/open/findings.geojson", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: allowed, truce.RoleObserver: allowed}},
		{"GET", "/api/v1/open/changes", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: allowed, truce.RoleObserver: allowed}},
		{"GET", "/api/v1/reports/daily/2026-05-01", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: 404, truce.RoleObserver: 404}},
		{"GET", "/api/v1/reports/spot/" + findingID, "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: allowed, truce.RoleObserver: 404}},
		{"POST", "/api/v1/reports/daily/2026-05-01/publish", "", "", map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: forbidden, truce.RoleObserver: forbidden}},
		// Last, since it changes the finding: the admin's and the analyst's approvals verify it.
		{"POST", "/api/v1/findings/" + findingID + "/review", "application/json", `{"action": "verify", "reason": "seen on the patrol's video"}`, map[truce.Role]int{truce.RoleAdmin: allowed, truce.RoleMonitor: forbidden, truce.RoleAnalyst: allowed, truce.RoleLiaison: forbidden, truce.RoleObserver: forbidden}},
	}
	for _, ep := range endpoints {
		for _, role := range truce.Roles {
			res, data := m.do(ep.method, ep.path, m.tokens[role], ep.ct, ep.body)
			if res.StatusCode != ep.status[role] {
				t.Errorf("%s %s as %s: %s, want %d (%s)", ep.method, ep.path, role, res.Status, ep.status[role], data)
			}
			if role == truce.RoleLiaison || role == truce.RoleObserver {
				assertNoSource(t, ep.path, data)
			}
		}
		for name, tok := range map[string]string{"no token": "", "a wrong token": "truce_not-a-token"} {
			res, _ := m.do(ep.method, ep.path, tok, ep.ct, ep.body)
			if res.StatusCode != 401 {
				t.Errorf("%s %s with %s: %s, want 401", ep.method, ep.path, name, res.Status)
			}
		}
	}
	// Refusals are audited.
	entries, err := m.db.AuditLog(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]int{}
	for _, e := range entries {
		outcomes[e.Outcome]++
	}
	if outcomes["unauthorized"] != 2*len(endpoints) || outcomes["forbidden"] == 0 {
		t.Errorf("audit outcomes %v", outcomes)
	}
	// A liaison sees only its own party's findings.
	_, data = m.do("GET", "/api/v1/findings", m.tokens[truce.RoleLiaison], "", "")
	json.Unmarshal(data, &page)
	for _, f := range page.Findings {
		if f.Party != "east" {
			t.Errorf("liaison of east sees a finding of %q", f.Party)
		}
	}
	res, _ := m.do("GET", "/api/v1/findings?party=west", m.tokens[truce.RoleLiaison], "", "")
	if res.StatusCode != 200 {
		t.Errorf("liaison asking for another party: %s", res.Status)
	}
}

// assertNoSource fails when a response shows a source or an observation (whose position is a
// patrol's whereabouts) to a role that may not see them.
func assertNoSource(t *testing.T, path string, data []byte) {
	t.Helper()
	for _, leak := range []string{`"source"`, "patrol-1", "test-monitor", `"observations"`} {
		if strings.Contains(string(data), leak) {
			t.Errorf("%s: the response shows %s: %s", path, leak, data)
		}
	}
}

// TestEventsStreamLiveAndResume reads the event stream as an analyst and as a liaison, posts
// observations, and resumes from an event id.
func TestEventsStreamLiveAndResume(t *testing.T) {
	m := newMission(t, server.Options{KeepAlive: 200 * time.Millisecond}, ingest.Options{})
	type event struct{ name, id, data string }
	open := func(role truce.Role, lastID string) (<-chan event, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", m.url+"/api/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+m.tokens[role])
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("events: %v %v", err, res)
		}
		ch := make(chan event, 100)
		go func() {
			defer close(ch)
			sc := bufio.NewScanner(res.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			var e event
			for sc.Scan() {
				line := sc.Text()
				switch {
				case strings.HasPrefix(line, "event: "):
					e.name = line[7:]
				case strings.HasPrefix(line, "data: "):
					e.data = line[6:]
				case strings.HasPrefix(line, "id: "):
					e.id = line[4:]
				case line == "" && e.name != "":
					ch <- e
					e = event{}
				}
			}
		}()
		return ch, func() { cancel(); res.Body.Close() }
	}
	next := func(ch <-chan event) event {
		select {
		case e := <-ch:
			return e
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 s")
			return event{}
		}
	}
	analyst, closeA := open(truce.RoleAnalyst, "")
	defer closeA()
	liaison, closeL := open(truce.RoleLiaison, "")
	defer closeL()
	time.Sleep(100 * time.Millisecond) // let both streams start before anything is posted
	m.post("application/x-ndjson", good)
	// a1 (party east, in the DMZ), a2 (no party, West's side: attributed west), a3 (nothing).
	var names []string
	var lastID string
	for len(names) < 5 {
		e := next(analyst)
		names = append(names, e.name)
		if e.id != "" {
			lastID = e.id
		}
	}
	if strings.Join(names, ",") != "finding,observation,finding,observation,observation" {
		t.Errorf("analyst events %v", names)
	}
	e := next(liaison)
	var f truce.Finding
	if e.name != "finding" || json.Unmarshal([]byte(e.data), &f) != nil || f.Party != "east" || f.Source != "" || e.id == "" {
		t.Errorf("liaison event %+v", e)
	}
	select {
	case e := <-liaison:
		t.Errorf("the liaison also got %+v", e)
	case <-time.After(300 * time.Millisecond):
	}
	// Resuming after the first event replays the rest, in order.
	resumed, closeR := open(truce.RoleAnalyst, "1")
	defer closeR()
	var replay []string
	for len(replay) < 3 {
		replay = append(replay, next(resumed).name)
	}
	if strings.Join(replay, ",") != "finding,observation,observation" {
		t.Errorf("replay after 1: %v", replay)
	}
	if lastID != "3" {
		t.Errorf("last event id %q, want 3", lastID)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	m := newMission(t, server.Options{}, ingest.Options{})
	for _, p := range []string{"/healthz", "/readyz"} {
		if res, data := m.do("GET", p, "", "", ""); res.StatusCode != 200 {
			t.Errorf("%s: %s %s", p, res.Status, data)
		}
	}
	res, data := m.do("GET", "/metrics", m.tokens[truce.RoleAdmin], "", "")
	if res.StatusCode != 200 || !strings.Contains(string(data), "truce_ingest_queue_depth") {
		t.Errorf("metrics: %s", data)
	}
	res, _ = m.do("GET", "/api/v1/nothing", m.tokens[truce.RoleAdmin], "", "")
	if res.StatusCode != 404 {
		t.Errorf("unknown endpoint: %s", res.Status)
	}
}

// TestEvidenceIsKeptByItsHash uploads a file, references it from an observation, and reads it
// back by its hash.
func TestEvidenceIsKeptByItsHash(t *testing.T) {
	dir := t.TempDir()
	m := newMission(t, server.Options{EvidenceDir: dir}, ingest.Options{})
	photo := "\x89PNG fake photo bytes"
	res, data := m.do("POST", "/api/v1/evidence", m.tokens[truce.RoleMonitor], "image/png", photo)
	var reply struct {
		SHA256 string `json:"sha256"`
		Bytes  int    `json:"bytes"`
	}
	if res.StatusCode != 200 || json.Unmarshal(data, &reply) != nil || len(reply.SHA256) != 64 || reply.Bytes != len(photo) {
		t.Fatalf("upload: %s %s", res.Status, data)
	}
	want := sha256.Sum256([]byte(photo))
	if reply.SHA256 != hex.EncodeToString(want[:]) {
		t.Errorf("hash %s, want %x", reply.SHA256, want)
	}
	r := m.post("application/x-ndjson", `{"id":"e1","time":"2026-05-01T07:10:00Z","kind":"presence.vehicle","lat":47.6,"lon":36.3,"evidence":["`+reply.SHA256+`"]}`)
	if r.Accepted != 1 {
		t.Fatalf("%+v", r)
	}
	res, data = m.do("GET", "/api/v1/evidence/"+reply.SHA256, m.tokens[truce.RoleAnalyst], "", "")
	if res.StatusCode != 200 || string(data) != photo {
		t.Errorf("read back: %s %q", res.Status, data)
	}
	if res, _ := m.do("GET", "/api/v1/evidence/"+reply.SHA256, m.tokens[truce.RoleLiaison], "", ""); res.StatusCode != 403 {
		t.Errorf("liaison reading evidence: %s", res.Status)
	}
	if res, _ := m.do("GET", "/api/v1/evidence/"+strings.Repeat("0", 64), m.tokens[truce.RoleAnalyst], "", ""); res.StatusCode != 404 {
		t.Errorf("unknown evidence: %s", res.Status)
	}
	if res, _ := m.do("GET", "/api/v1/evidence/..%2Ftruce.db", m.tokens[truce.RoleAnalyst], "", ""); res.StatusCode != 400 && res.StatusCode != 404 {
		t.Errorf("a path for a name: %s", res.Status)
	}
}

// TestObserversSeeOnlyVerifiedFindings verifies one of two findings through the review API
// (two analysts; one analyst twice is refused) and checks what the observer, the public's
// view, is shown.
func TestObserversSeeOnlyVerifiedFindings(t *testing.T) {
	m := newMission(t, server.Options{}, ingest.Options{})
	m.post("application/x-ndjson", good)
	_, data := m.do("GET", "/api/v1/findings", m.tokens[truce.RoleAnalyst], "", "")
	var page struct{ Findings []truce.Finding }
	json.Unmarshal(data, &page)
	if len(page.Findings) != 2 || page.Findings[0].Review != truce.ReviewDetected {
		t.Fatalf("findings %+v", page.Findings)
	}
	id := page.Findings[0].ID
	review := func(role truce.Role, body string) (int, truce.Finding) {
		res, data := m.do("POST", "/api/v1/findings/"+id+"/review", m.tokens[role], "application/json", body)
		var f truce.Finding
		json.Unmarshal(data, &f)
		return res.StatusCode, f
	}
	if status, f := review(truce.RoleAnalyst, `{"action": "verify", "reason": "photo 1"}`); status != 200 || f.Review != truce.ReviewUnderReview {
		t.Fatalf("first approval: %d %+v", status, f)
	}
	if status, _ := review(truce.RoleAnalyst, `{"action": "verify", "reason": "photo 1 again"}`); status != 409 {
		t.Errorf("the same analyst verifying twice: %d, want 409", status)
	}
	if status, _ := review(truce.RoleAnalyst, `{"action": "verify"}`); status != 400 {
		t.Errorf("verifying without a reason: %d, want 400", status)
	}
	if status, _ := review(truce.RoleLiaison, `{"action": "dismiss", "reason": "we were not there"}`); status != 403 {
		t.Errorf("a liaison reviewing: %d, want 403", status)
	}
	if status, f := review(truce.RoleAdmin, `{"action": "verify", "reason": "agree"}`); status != 200 || f.Review != truce.ReviewVerified {
		t.Fatalf("second approval: %d %+v", status, f)
	}
	_, data = m.do("GET", "/api/v1/findings", m.tokens[truce.RoleObserver], "", "")
	var public struct{ Findings []truce.Finding }
	json.Unmarshal(data, &public)
	if len(public.Findings) != 1 || public.Findings[0].ID != id || public.Findings[0].Source != "" {
		t.Errorf("the observer sees %+v, want the verified finding without its source", public.Findings)
	}
	if res, _ := m.do("GET", "/api/v1/findings/"+id, m.tokens[truce.RoleObserver], "", ""); res.StatusCode != 200 {
		t.Errorf("the observer reading the verified finding: %s", res.Status)
	}
	if res, _ := m.do("GET", "/api/v1/findings/"+page.Findings[1].ID, m.tokens[truce.RoleObserver], "", ""); res.StatusCode != 404 {
		t.Errorf("the observer reading an unverified finding: %s", res.Status)
	}
	_, data = m.do("GET", "/api/v1/findings/"+id+"/history", m.tokens[truce.RoleAnalyst], "", "")
	var h struct{ History []truce.ReviewEntry }
	json.Unmarshal(data, &h)
	if len(h.History) != 2 || h.History[1].To != truce.ReviewVerified || h.History[0].Actor == h.History[1].Actor {
		t.Errorf("history %+v", h.History)
	}
}

// TestALockedFindingWaitsForItsHolder locks a finding as one analyst: another cannot review it
// or take the lock until it is released.
func TestALockedFindingWaitsForItsHolder(t *testing.T) {
	m := newMission(t, server.Options{}, ingest.Options{})
	m.post("application/x-ndjson", good)
	_, data := m.do("GET", "/api/v1/findings", m.tokens[truce.RoleAnalyst], "", "")
	var page struct{ Findings []truce.Finding }
	json.Unmarshal(data, &page)
	id := page.Findings[0].ID
	holder, other := m.tokens[truce.RoleAnalyst], m.tokens[truce.RoleAdmin]
	if res, data := m.do("POST", "/api/v1/findings/"+id+"/lock", holder, "application/json", `{"minutes": 10}`); res.StatusCode != 200 {
		t.Fatalf("lock: %s %s", res.Status, data)
	}
	if res, data := m.do("POST", "/api/v1/findings/"+id+"/review", other, "application/json", `{"action": "review"}`); res.StatusCode != 409 || !strings.Contains(string(data), "locked by") {
		t.Errorf("another analyst reviewing a locked finding: %s %s", res.Status, data)
	}
	if res, _ := m.do("POST", "/api/v1/findings/"+id+"/lock", other, "", ""); res.StatusCode != 409 {
		t.Errorf("another analyst taking the lock: %s", res.Status)
	}
	if res, _ := m.do("POST", "/api/v1/findings/"+id+"/review", holder, "application/json", `{"action": "review"}`); res.StatusCode != 200 {
		t.Errorf("the holder reviewing: %s", res.Status)
	}
	if res, _ := m.do("DELETE", "/api/v1/findings/"+id+"/lock", holder, "", ""); res.StatusCode != 200 {
		t.Errorf("release: %s", res.Status)
	}
	if res, data := m.do("POST", "/api/v1/findings/"+id+"/review", other, "application/json", `{"action": "dismiss", "reason": "a tractor"}`); res.StatusCode != 200 {
		t.Errorf("after release, another analyst: %s %s", res.Status, data)
	}
	if res, _ := m.do("POST", "/api/v1/findings/"+id+"/lock", m.tokens[truce.RoleLiaison], "", ""); res.StatusCode != 403 {
		t.Errorf("a liaison locking: %s", res.Status)
	}
}

// TestLiaisonsAreToldWhenAFindingAboutTheirPartyIsVerified opens event streams as a liaison of
// the party concerned and as an analyst, verifies a finding, and checks who hears of it.
func TestLiaisonsAreToldWhenAFindingAboutTheirPartyIsVerified(t *testing.T) {
	m := newMission(t, server.Options{RequiredApprovals: 1, KeepAlive: 100 * time.Millisecond}, ingest.Options{})
	m.post("application/x-ndjson", good) // a1 is attributed to east, a2 to west
	_, data := m.do("GET", "/api/v1/findings", m.tokens[truce.RoleAnalyst], "", "")
	var page struct{ Findings []truce.Finding }
	json.Unmarshal(data, &page)
	byParty := map[string]string{}
	for _, f := range page.Findings {
		byParty[f.Party] = f.ID
	}
	listen := func(role truce.Role) (<-chan string, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", m.url+"/api/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+m.tokens[role])
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("events as %s: %v", role, err)
		}
		out := make(chan string, 16)
		go func() {
			sc := bufio.NewScanner(res.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			name := ""
			for sc.Scan() {
				line := sc.Text()
				if strings.HasPrefix(line, "event: ") {
					name = line[7:]
				}
				if strings.HasPrefix(line, "data: ") && name == "review" {
					var f truce.Finding
					json.Unmarshal([]byte(line[6:]), &f)
					out <- f.ID + " " + f.Review + " " + f.Source
				}
			}
		}()
		return out, func() { cancel(); res.Body.Close() }
	}
	liaison, stopL := listen(truce.RoleLiaison) // of east
	defer stopL()
	analyst, stopA := listen(truce.RoleAnalyst)
	defer stopA()
	time.Sleep(100 * time.Millisecond)
	for _, id := range []string{byParty["west"], byParty["east"]} {
		if res, data := m.do("POST", "/api/v1/findings/"+id+"/review", m.tokens[truce.RoleAnalyst], "application/json", `{"action": "verify", "reason": "seen"}`); res.StatusCode != 200 {
			t.Fatalf("verify: %s %s", res.Status, data)
		}
	}
	next := func(ch <-chan string) string {
		select {
		case s := <-ch:
			return s
		case <-time.After(3 * time.Second):
			return "nothing"
		}
	}
	if got := next(liaison); got != byParty["east"]+" verified " {
		t.Errorf("the liaison of east heard %q, want the east finding verified, without its source", got)
	}
	if got := next(liaison); got != "nothing" {
		t.Errorf("the liaison of east also heard %q", got)
	}
	if a, b := next(analyst), next(analyst); !strings.HasPrefix(a, byParty["west"]+" verified patrol-1") || !strings.HasPrefix(b, byParty["east"]+" verified patrol-1") {
		t.Errorf("the analyst heard %q and %q", a, b)
	}
}
