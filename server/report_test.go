package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/server"
	"github.com/truce-project/truce/sqlite"
)

// verify has the analyst and the admin (two different people) verify a finding.
func (m *mission) verify(id string) {
	m.t.Helper()
	for _, role := range []truce.Role{truce.RoleAnalyst, truce.RoleAdmin} {
		res, data := m.do("POST", "/api/v1/findings/"+id+"/review", m.tokens[role], "application/json", `{"action":"verify","reason":"photographs"}`)
		if res.StatusCode != 200 {
			m.t.Fatalf("verify %s: %s %s", id, res.Status, data)
		}
	}
}

func (m *mission) dailyJSON(token, query string) (int, map[string]any) {
	m.t.Helper()
	res, data := m.do("GET", "/api/v1/reports/daily/2026-05-01?format=json"+query, token, "", "")
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		m.t.Fatalf("not JSON: %s", data)
	}
	return res.StatusCode, v
}

func violations(v map[string]any) float64 {
	s, _ := v["summary"].(map[string]any)
	n, _ := s["violations"].(float64)
	return n
}

func TestObserversSeeOnlyThePublishedDailyReport(t *testing.T) {
	m := newMission(t, server.Options{}, ingest.Options{})
	m.post("application/x-ndjson", good)
	res, data := m.do("GET", "/api/v1/findings?limit=100", m.tokens[truce.RoleAnalyst], "", "")
	var page struct{ Findings []truce.Finding }
	if res.StatusCode != 200 || json.Unmarshal(data, &page) != nil || len(page.Findings) != 2 {
		t.Fatalf("findings %s %s", res.Status, data)
	}
	first, second := page.Findings[0].ID, page.Findings[1].ID
	m.verify(first)

	analyst, admin := m.tokens[truce.RoleAnalyst], m.tokens[truce.RoleAdmin]
	observer, liaison, monitor := m.tokens[truce.RoleObserver], m.tokens[truce.RoleLiaison], m.tokens[truce.RoleMonitor]
	for _, tok := range []string{observer, liaison} {
		status, body := m.dailyJSON(tok, "")
		if status != 404 || !strings.Contains(body["message"].(string), "has not been published yet") {
			t.Errorf("before publication: %d %v", status, body)
		}
	}
	if status, _ := m.dailyJSON(observer, "&version=draft"); status != 403 {
		t.Errorf("an observer asking for the draft: %d, want 403", status)
	}
	if status, _ := m.dailyJSON(monitor, ""); status != 403 {
		t.Errorf("a monitor: %d, want 403", status)
	}
	if status, body := m.dailyJSON(analyst, "&version=published"); status != 404 {
		t.Errorf("an analyst asking for the unpublished version: %d %v", status, body)
	}
	status, draft := m.dailyJSON(analyst, "")
	if status != 200 || violations(draft) != 1 || draft["date"] != "2026-05-01" || draft["timezone"] != "Europe/Kyiv" {
		t.Fatalf("draft: %d %v", status, draft)
	}

	for _, tok := range []string{observer, liaison, monitor} {
		if res, _ := m.do("POST", "/api/v1/reports/daily/2026-05-01/publish", tok, "", ""); res.StatusCode != 403 {
			t.Errorf("publication by a non-analyst: %s", res.Status)
		}
	}
	res, data = m.do("POST", "/api/v1/reports/daily/2026-05-01/publish", analyst, "", "")
	var pub struct {
		Version    int    `json:"version"`
		Violations int    `json:"violations"`
		HTMLSHA256 string `json:"html_sha256"`
	}
	if res.StatusCode != 200 || json.Unmarshal(data, &pub) != nil || pub.Version != 1 || pub.Violations != 1 || len(pub.HTMLSHA256) != 64 {
		t.Fatalf("publish: %s %s", res.Status, data)
	}

	// What was published stays as it was while the draft moves on.
	m.verify(second)
	if _, draft := m.dailyJSON(analyst, ""); violations(draft) != 2 {
		t.Errorf("the draft counts %v violations, want 2", violations(draft))
	}
	for _, tok := range []string{observer, liaison} {
		status, body := m.dailyJSON(tok, "")
		if status != 200 || violations(body) != 1 {
			t.Errorf("published JSON: %d, %v violations, want 1", status, violations(body))
		}
		if strings.Contains(string(mustJSON(t, body)), "patrol-1") {
			t.Error("the published report names the mission's source")
		}
	}
	res, published := m.do("GET", "/api/v1/reports/daily/2026-05-01", observer, "", "")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		res.Header.Get("X-Report-Version") != "1" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("published HTML: %s %v", res.Status, res.Header)
	}
	if !strings.Contains(string(published), `id="map"`) || !strings.Contains(string(published), `id="annex-table"`) {
		t.Error("the published HTML has no map or annex")
	}
	_, insiderCopy := m.do("GET", "/api/v1/reports/daily/2026-05-01?version=published", admin, "", "")
	if string(insiderCopy) != string(published) {
		t.Error("the published version differs between an admin and an observer")
	}

	// A correction is a new version, which observers then see.
	res, data = m.do("POST", "/api/v1/reports/daily/2026-05-01/publish", admin, "", "")
	if res.StatusCode != 200 || json.Unmarshal(data, &pub) != nil || pub.Version != 2 {
		t.Fatalf("republish: %s %s", res.Status, data)
	}
	if _, body := m.dailyJSON(observer, ""); violations(body) != 2 {
		t.Errorf("after the correction observers see %v violations, want 2", violations(body))
	}

	// A day that has not ended cannot be published; bad dates and cut-offs are named.
	for _, c := range []struct {
		method, path string
		status       int
		message      string
	}{
		{"POST", "/api/v1/reports/daily/2099-01-01/publish", 409, "can be published after that"},
		{"GET", "/api/v1/reports/daily/2026-13-01", 400, `is not a date written YYYY-MM-DD`},
		{"GET", "/api/v1/reports/daily/2026-05-01?cutoff=25:00", 400, `is not a time of day written HH:MM`},
		{"GET", "/api/v1/reports/daily/2026-05-01?format=pdf", 400, `is not html or json`},
	} {
		res, data := m.do(c.method, c.path, analyst, "", "")
		if res.StatusCode != c.status || !strings.Contains(string(data), c.message) {
			t.Errorf("%s %s: %s %s", c.method, c.path, res.Status, data)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSpotReportsShowWhatTheRoleMaySee(t *testing.T) {
	m := newMission(t, server.Options{}, ingest.Options{})
	m.post("application/x-ndjson", good)
	res, data := m.do("GET", "/api/v1/findings?limit=100", m.tokens[truce.RoleAnalyst], "", "")
	var page struct{ Findings []truce.Finding }
	if res.StatusCode != 200 || json.Unmarshal(data, &page) != nil || len(page.Findings) != 2 {
		t.Fatalf("findings %s %s", res.Status, data)
	}
	verified, open := page.Findings[0], page.Findings[1]
	m.verify(verified.ID)
	observer, analyst := m.tokens[truce.RoleObserver], m.tokens[truce.RoleAnalyst]

	if res, _ := m.do("GET", "/api/v1/reports/spot/"+open.ID, observer, "", ""); res.StatusCode != 404 {
		t.Errorf("an observer's spot report of an unverified finding: %s", res.Status)
	}
	res, data = m.do("GET", "/api/v1/reports/spot/"+verified.ID+"?format=json", observer, "", "")
	var spot struct {
		Subject  string
		Findings []struct{ Finding, Review string }
		History  map[string]any
	}
	if res.StatusCode != 200 || json.Unmarshal(data, &spot) != nil || spot.Subject != "finding" || len(spot.Findings) != 1 ||
		spot.Findings[0].Review != truce.ReviewVerified || spot.History != nil {
		t.Fatalf("observer's spot report: %s %s", res.Status, data)
	}
	if strings.Contains(string(data), "patrol-1") {
		t.Error("the spot report names the mission's source")
	}
	res, data = m.do("GET", "/api/v1/reports/spot/"+verified.ID+"?format=json", analyst, "", "")
	if res.StatusCode != 200 || json.Unmarshal(data, &spot) != nil || len(spot.History) != 1 {
		t.Fatalf("analyst's spot report: %s %s", res.Status, data)
	}
	res, data = m.do("GET", "/api/v1/reports/spot/"+verified.ID, analyst, "", "")
	if res.StatusCode != 200 || !strings.Contains(string(data), `id="history-table"`) || !strings.Contains(string(data), `id="map"`) {
		t.Errorf("analyst's spot report page: %s", res.Status)
	}
	if res, data := m.do("GET", "/api/v1/reports/spot/nothing", analyst, "", ""); res.StatusCode != 404 || !strings.Contains(string(data), `no finding or incident`) {
		t.Errorf("unknown id: %s %s", res.Status, data)
	}
}

// TestSpotReportOfAnIncident: with incidents kept, a spot report accepts an incident's id, and
// shows each role the incident's findings it may see, without the reporters' sources.
func TestSpotReportOfAnIncident(t *testing.T) {
	m := newMissionWith(t, func(db *sqlite.DB) server.Options {
		return server.Options{Incidents: storedIncidents{db}}
	}, ingest.Options{})
	m.post("application/x-ndjson", good+`{"id":"a4","source":"patrol-2","time":"2026-05-01T07:10:30Z","kind":"presence.vehicle","lat":47.6489,"lon":36.3597,"ce_m":50,"party":"east"}`+"\n")
	t1 := time.Date(2026, 5, 1, 7, 10, 0, 0, time.UTC)
	inc := truce.Incident{ID: "inc-1", Kind: "presence.vehicle", Class: "presence.vehicle", Start: t1, End: t1.Add(30 * time.Second),
		Members: []truce.IncidentMember{
			{Source: "patrol-1", ID: "a1", Kind: "presence.vehicle", Time: t1, Lat: 47.64884, Lon: 36.35962},
			{Source: "patrol-2", ID: "a4", Kind: "presence.vehicle", Time: t1.Add(30 * time.Second), Lat: 47.6489, Lon: 36.3597},
		},
		Position: &truce.IncidentFix{Lat: 47.64887, Lon: 36.35966, SemiMajorM: 60, SemiMinorM: 40, Points: 2},
		Party:    "east", Explanation: "two patrols, one vehicle", Sources: 2, Confidence: 0.96}
	if err := m.db.PutIncidents(context.Background(), []truce.Incident{inc}, 0); err != nil {
		t.Fatal(err)
	}
	stored, err := m.db.Incident(context.Background(), "inc-1")
	if err != nil || len(stored.Findings) != 2 {
		t.Fatalf("stored incident: %v %+v", err, stored)
	}
	m.verify(stored.Findings[0])

	type spotReply struct {
		Subject  string
		Findings []struct{ Finding string }
		History  map[string]any
	}
	get := func(role truce.Role) (int, spotReply, string) {
		res, data := m.do("GET", "/api/v1/reports/spot/inc-1?format=json", m.tokens[role], "", "")
		var s spotReply
		json.Unmarshal(data, &s)
		return res.StatusCode, s, string(data)
	}
	status, s, data := get(truce.RoleAnalyst)
	if status != 200 || s.Subject != "incident" || len(s.Findings) != 2 || len(s.History) != 2 {
		t.Fatalf("analyst: %d %s", status, data)
	}
	status, s, data = get(truce.RoleObserver)
	if status != 200 || len(s.Findings) != 1 || s.Findings[0].Finding != stored.Findings[0] || s.History != nil {
		t.Fatalf("observer: %d %s", status, data)
	}
	// The verified finding's position is public; the reporters and their sources are not.
	if strings.Contains(data, "patrol-") || strings.Contains(data, `"members":[{"source"`) {
		t.Errorf("the observer's spot report shows a reporter: %s", data)
	}
	if status, _, data := get(truce.RoleLiaison); status != 200 || strings.Contains(data, "patrol-") {
		t.Errorf("liaison of the incident's party: %d %s", status, data)
	}
	if status, _, _ := get(truce.RoleMonitor); status != 403 {
		t.Errorf("monitor: %d", status)
	}
}
