package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/fusion"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/server"
	"github.com/truce-project/truce/sqlite"
)

// storedIncidents is the API's incident desk over the store alone: reading only, as a server
// without fusion running would have it.
type storedIncidents struct{ db *sqlite.DB }

func (d storedIncidents) Incidents(ctx context.Context, f truce.IncidentFilter) ([]truce.Incident, string, error) {
	return d.db.Incidents(ctx, f)
}
func (d storedIncidents) Incident(ctx context.Context, id string) (*truce.Incident, error) {
	return d.db.Incident(ctx, id)
}
func (d storedIncidents) IncidentHistory(ctx context.Context, id string) ([]truce.IncidentAction, error) {
	return d.db.IncidentHistory(ctx, id)
}
func (storedIncidents) Merge(context.Context, []string, string, string) (*truce.Incident, error) {
	return nil, truce.Errorf(truce.EUNAVAILABLE, "fusion is not running")
}
func (storedIncidents) Split(context.Context, string, []string, string, string) (*truce.Incident, error) {
	return nil, truce.Errorf(truce.EUNAVAILABLE, "fusion is not running")
}

// TestOpenIncidentsArePublishedWithAVerifiedFinding stores three incidents (one located with
// a verified finding, one unlocated with a verified finding, one with none verified) and checks
// the CSV and GeoJSON exports: the two published, by their ids and versions, without their
// reporters or sources.
func TestOpenIncidentsArePublishedWithAVerifiedFinding(t *testing.T) {
	m := newMissionWith(t, func(db *sqlite.DB) server.Options {
		return server.Options{RequiredApprovals: 1, Incidents: storedIncidents{db}}
	}, ingest.Options{})
	m.post("application/x-ndjson", good+`{"id":"a4","source":"patrol-2","time":"2026-05-01T07:10:30Z","kind":"presence.vehicle","lat":47.6489,"lon":36.3597,"ce_m":50,"party":"east"}`+"\n")
	byParty := m.findingsByParty()
	t1 := time.Date(2026, 5, 1, 7, 10, 0, 0, time.UTC)
	member := func(source, id string) truce.IncidentMember {
		return truce.IncidentMember{Source: source, ID: id, Kind: "presence.vehicle", Time: t1}
	}
	incidents := []truce.Incident{
		{ID: "inc-located", Kind: "presence.vehicle", Class: "presence.vehicle", Start: t1, End: t1.Add(30 * time.Second),
			Members:  []truce.IncidentMember{member("patrol-1", "a1"), member("patrol-2", "a4")},
			Position: &truce.IncidentFix{Lat: 47.64887, Lon: 36.35966, SemiMajorM: 60, SemiMinorM: 40, AzimuthDeg: 12, Points: 2},
			Party:    "east", Explanation: "two patrols, one vehicle, attributed to Party East, as observed", Sources: 2, Confidence: 0.96},
		{ID: "inc-unlocated", Kind: "presence.vehicle", Class: "presence.vehicle", Start: t1, End: t1,
			Members: []truce.IncidentMember{member("patrol-1", "a2")}, Sources: 1, Confidence: 0.8},
		{ID: "inc-unverified", Kind: "presence.vehicle", Class: "presence.vehicle", Start: t1, End: t1,
			Members: []truce.IncidentMember{member("patrol-1", "a3")}, Sources: 1, Confidence: 0.8},
	}
	if err := m.db.PutIncidents(context.Background(), incidents, 0); err != nil {
		t.Fatal(err)
	}
	m.review(byParty["east"].ID, `{"action": "verify", "reason": "seen"}`)
	m.review(byParty["west"].ID, `{"action": "verify", "reason": "seen"}`)
	observer := m.tokens[truce.RoleObserver]
	// Stored at version 1; verifying a finding of it changes its record, so version 2.

	res, data := m.do("GET", "/api/v1/open/incidents.csv", observer, "", "")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("incidents.csv: %s %s", res.Status, data)
	}
	assertNoSource(t, "incidents.csv", data)
	if strings.Contains(string(data), "patrol-2") || strings.Contains(string(data), "36.35962") {
		t.Errorf("incidents.csv shows a reporter or where it stood:\n%s", data)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("incidents.csv: %v\n%s", err, data)
	}
	if strings.Join(rows[0], ",") != strings.Join(server.OpenIncidentColumns, ",") || len(rows) != 3 {
		t.Fatalf("incidents.csv:\n%s", data)
	}
	got := map[string]map[string]string{}
	for _, row := range rows[1:] {
		col := map[string]string{}
		for i, name := range rows[0] {
			col[name] = row[i]
		}
		got[col["id"]] = col
	}
	if c := got["inc-located"]; c == nil || c["lat"] != "47.64887" || c["lon"] != "36.35966" || c["version"] != "2" || c["findings"] != byParty["east"].ID ||
		c["reports"] != "2" || c["party"] != "east" || c["explanation"] != incidents[0].Explanation {
		t.Errorf("the located incident: %v", c)
	}
	if c := got["inc-unlocated"]; c == nil || c["lat"] != "" || c["lon"] != "" || c["findings"] != byParty["west"].ID {
		t.Errorf("the unlocated incident: %v", c)
	}
	if !bytes.Contains(data, []byte("\r\n")) || !bytes.Contains(data, []byte(`"two patrols, one vehicle, attributed to Party East, as observed"`)) {
		t.Errorf("incidents.csv is not RFC 4180 (CRLF, a field with commas quoted):\n%s", data)
	}

	res, data = m.do("GET", "/api/v1/open/incidents.geojson", observer, "", "")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("incidents.geojson: %s %s", res.Status, data)
	}
	assertNoSource(t, "incidents.geojson", data)
	var fc struct {
		Type     string
		Features []struct {
			Type     string
			ID       string
			Geometry *struct {
				Type        string
				Coordinates []float64
			}
			Properties truce.OpenIncident
		}
	}
	if err := json.Unmarshal(data, &fc); err != nil || fc.Type != "FeatureCollection" || len(fc.Features) != 2 {
		t.Fatalf("incidents.geojson: %v\n%s", err, data)
	}
	for _, f := range fc.Features {
		switch f.ID {
		case "inc-located":
			if f.Geometry == nil || f.Geometry.Type != "Point" || f.Geometry.Coordinates[0] != 36.35966 || f.Geometry.Coordinates[1] != 47.64887 ||
				f.Properties.Version != 2 || len(f.Properties.Findings) != 1 {
				t.Errorf("the located incident: %+v", f)
			}
		case "inc-unlocated":
			if f.Geometry != nil || f.Properties.Position != nil {
				t.Errorf("the unlocated incident has a geometry: %+v", f)
			}
		default:
			t.Errorf("an incident not published: %s", f.ID)
		}
	}
	if res, _ := m.do("GET", "/api/v1/open/incidents.csv", m.tokens[truce.RoleMonitor], "", ""); res.StatusCode != 403 {
		t.Errorf("a monitor reading open data: %s", res.Status)
	}
}

// fusingDesk is the API's incident desk with fusion running, as serve --fusion has it: a real
// fuser fed the stored events, its incidents stored after each feed, and the analysts' merges
// and splits made by the fuser and recorded by the store.
type fusingDesk struct {
	storedIncidents
	fuser *fusion.Fuser
	read  int64 // the seq of the last event fused
}

// fuse feeds the fuser the events stored since the last feed and stores what it changed.
func (d *fusingDesk) fuse(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	events, err := d.db.Events(ctx, d.read, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var changed []*fusion.Incident
	for _, e := range events {
		inc, err := d.fuser.Add(*e.Observation, e.Findings)
		if err != nil {
			t.Fatal(err)
		}
		if inc != nil && !slices.Contains(changed, inc) {
			changed = append(changed, inc)
		}
		d.read = e.Seq
	}
	var out []truce.Incident
	for _, inc := range changed {
		out = append(out, inc.Truce())
	}
	if err := d.db.PutIncidents(ctx, out, d.read); err != nil {
		t.Fatal(err)
	}
}

func (d *fusingDesk) Merge(ctx context.Context, ids []string, actor, reason string) (*truce.Incident, error) {
	merged := d.fuser.Incident(ids[0])
	for _, id := range ids[1:] {
		var err error
		if merged, err = d.fuser.Merge(merged.ID, id); err != nil {
			return nil, err
		}
	}
	return d.db.MergeIncidents(ctx, ids, merged.Truce(), actor, reason)
}

func (d *fusingDesk) Split(ctx context.Context, id string, members []string, actor, reason string) (*truce.Incident, error) {
	split, err := d.fuser.Split(id, members)
	if err != nil {
		return nil, err
	}
	return d.db.SplitIncident(ctx, id, members, d.fuser.Incident(id).Truce(), split.Truce(), actor, reason)
}

// incidentCopy is a copy of the published incidents kept by a downstream user from the
// incidents' changes feed alone.
type incidentCopy struct {
	records map[string]truce.OpenIncident
	next    string
}

// sync asks for the changes since the last it applied, two at a time, applies them, and
// returns those it had not applied before ("id change").
func (d *incidentCopy) sync(m *mission, token string) []string {
	m.t.Helper()
	var fresh []string
	for {
		q := "?limit=2"
		if d.next != "" {
			q += "&since=" + url.QueryEscape(d.next)
		}
		res, data := m.do("GET", "/api/v1/open/incidents/changes"+q, token, "", "")
		if res.StatusCode != 200 {
			m.t.Fatalf("incidents/changes%s: %s %s", q, res.Status, data)
		}
		assertNoSource(m.t, "incidents/changes", data)
		var page struct {
			Changes []truce.OpenChange
			Next    string
		}
		if err := json.Unmarshal(data, &page); err != nil {
			m.t.Fatal(err)
		}
		n := len(fresh)
		for _, c := range page.Changes {
			if c.Finding != nil {
				m.t.Fatalf("a finding in the incidents' feed: %+v", c)
			}
			have, ok := d.records[c.ID]
			switch {
			case ok && have.Version >= c.Version, !ok && c.Change == truce.ChangeWithdrawn:
				continue // already applied
			case c.Change == truce.ChangeWithdrawn:
				if c.Incident != nil {
					m.t.Fatalf("a withdrawal with a record: %+v", c)
				}
				delete(d.records, c.ID)
			case c.Incident == nil || c.Incident.ID != c.ID || c.Incident.Version != c.Version:
				m.t.Fatalf("a %s change without its record: %+v", c.Change, c)
			default:
				d.records[c.ID] = *c.Incident
			}
			fresh = append(fresh, c.ID+" "+c.Change)
		}
		if page.Next != "" {
			d.next = page.Next
		}
		if len(fresh) == n {
			return fresh
		}
	}
}

// incidentsGeoJSON reads incidents.geojson into records by id.
func incidentsGeoJSON(m *mission, token string) map[string]truce.OpenIncident {
	m.t.Helper()
	res, data := m.do("GET", "/api/v1/open/incidents.geojson", token, "", "")
	if res.StatusCode != 200 {
		m.t.Fatalf("incidents.geojson: %s %s", res.Status, data)
	}
	var fc struct {
		Features []struct {
			ID         string
			Properties truce.OpenIncident
		}
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		m.t.Fatalf("incidents.geojson: %v\n%s", err, data)
	}
	out := map[string]truce.OpenIncident{}
	for _, f := range fc.Features {
		if f.ID != f.Properties.ID {
			m.t.Fatalf("feature %s holds incident %s", f.ID, f.Properties.ID)
		}
		out[f.ID] = f.Properties
	}
	return out
}

// TestADownstreamCopyOfIncidentsKeptFromTheChangesEqualsTheExport runs a mission with fusion:
// patrols report a vehicle, analysts verify, merge, split and reopen through the API, and a
// copy of the incidents kept from their changes feed alone is compared with incidents.geojson
// after each step, with the changes each step made.
func TestADownstreamCopyOfIncidentsKeptFromTheChangesEqualsTheExport(t *testing.T) {
	var desk *fusingDesk
	m := newMissionWith(t, func(db *sqlite.DB) server.Options {
		desk = &fusingDesk{storedIncidents: storedIncidents{db}, fuser: fusion.New(nil, nil, fusion.Config{})}
		return server.Options{RequiredApprovals: 1, Incidents: desk}
	}, ingest.Options{})
	report := func(id, source, at string) {
		t.Helper()
		m.post("application/x-ndjson", fmt.Sprintf(`{"id":%q,"source":%q,"time":%q,"kind":"presence.vehicle","lat":47.64884,"lon":36.35962,"ce_m":50,"party":"east"}`+"\n", id, source, at))
		desk.fuse(t)
	}
	findingOf := func(observation string) string {
		t.Helper()
		_, data := m.do("GET", "/api/v1/findings", m.tokens[truce.RoleAnalyst], "", "")
		var page struct{ Findings []truce.Finding }
		json.Unmarshal(data, &page)
		for _, f := range page.Findings {
			if f.Observation == observation {
				return f.ID
			}
		}
		t.Fatalf("no finding of %s in %s", observation, data)
		return ""
	}
	analyst := m.tokens[truce.RoleAnalyst]
	act := func(path, body string) truce.Incident {
		t.Helper()
		res, data := m.do("POST", path, analyst, "application/json", body)
		if res.StatusCode != 200 {
			t.Fatalf("%s %s: %s %s", path, body, res.Status, data)
		}
		var inc truce.Incident
		json.Unmarshal(data, &inc)
		return inc
	}
	incidentOf := func(source, id string) string {
		t.Helper()
		list, _, err := m.db.Incidents(context.Background(), truce.IncidentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, inc := range list {
			for _, mem := range inc.Members {
				if mem.Source == source && mem.ID == id {
					return inc.ID
				}
			}
		}
		t.Fatalf("report %s/%s is in no incident", source, id)
		return ""
	}
	observer := m.tokens[truce.RoleObserver]
	copy := &incidentCopy{records: map[string]truce.OpenIncident{}}
	check := func(step string, want ...string) {
		t.Helper()
		got := copy.sync(m, observer)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the changes %q, want %q", step, got, want)
		}
		export := incidentsGeoJSON(m, observer)
		if !reflect.DeepEqual(copy.records, export) {
			t.Errorf("%s: the copy\n%+v\nincidents.geojson\n%+v", step, copy.records, export)
		}
	}

	report("v1", "patrol-1", "2026-05-01T07:10:00Z")
	report("v2", "patrol-2", "2026-05-01T07:10:30Z")
	a := incidentOf("patrol-1", "v1")
	if incidentOf("patrol-2", "v2") != a {
		t.Fatalf("two patrols seeing one vehicle at once are two incidents")
	}
	check("nothing verified")
	m.review(findingOf("v1"), `{"action": "verify", "reason": "seen"}`)
	check("published", a+" published")
	report("v3", "patrol-4", "2026-05-01T07:11:00Z")
	if incidentOf("patrol-4", "v3") != a {
		t.Fatalf("a third patrol a minute later is an incident of its own")
	}
	check("a report joins", a+" updated")
	if r := copy.records[a]; r.Reports != 3 || len(r.Findings) != 1 {
		t.Errorf("after a report joined: %+v", r)
	}

	report("w1", "patrol-3", "2026-05-01T08:10:00Z")
	b := incidentOf("patrol-3", "w1")
	if b == a {
		t.Fatalf("a report an hour later joined the first incident")
	}
	check("another incident, nothing of it verified")
	wf := findingOf("w1")
	m.review(wf, `{"action": "verify", "reason": "seen"}`)
	check("another published", b+" published")
	withdrawnAt := copy.records[b].Version

	if merged := act("/api/v1/incidents/merge", fmt.Sprintf(`{"ids": [%q, %q], "reason": "the same vehicle"}`, b, a)); merged.ID != a {
		t.Fatalf("merged into %s, want %s, the one that began first", merged.ID, a)
	}
	check("merged", a+" updated", b+" withdrawn")
	if r := copy.records[a]; r.Reports != 4 || len(r.Findings) != 2 {
		t.Errorf("the merged incident: %+v", r)
	}

	split := act("/api/v1/incidents/"+a+"/split", `{"members": ["patrol-3/w1"], "reason": "a second vehicle"}`)
	if split.ID != b {
		t.Fatalf("split off as %s, want %s, the id of its first report", split.ID, b)
	}
	check("split", a+" updated", b+" published")
	if v := copy.records[b].Version; v <= withdrawnAt {
		t.Errorf("%s published again at version %d, not after its withdrawal at %d", b, v, withdrawnAt+1)
	}

	m.review(wf, `{"action": "reopen", "reason": "the party contests it"}`)
	check("its only verified finding reopened", b+" withdrawn")
	if len(copy.records) != 1 {
		t.Errorf("the copy keeps %d incidents, want 1", len(copy.records))
	}

	// A fresh copy from the start gets the same, and every role that reads open data too.
	for _, role := range []truce.Role{truce.RoleObserver, truce.RoleLiaison, truce.RoleAdmin} {
		fresh := &incidentCopy{records: map[string]truce.OpenIncident{}}
		fresh.sync(m, m.tokens[role])
		if !reflect.DeepEqual(fresh.records, copy.records) {
			t.Errorf("a fresh copy as %s differs from the one kept step by step", role)
		}
	}
	for _, q := range []string{"?since=yesterday", "?limit=1"} {
		if res, data := m.do("GET", "/api/v1/open/incidents/changes"+q, observer, "", ""); res.StatusCode != 400 {
			t.Errorf("incidents/changes%s: %s %s, want 400", q, res.Status, data)
		}
	}
	if res, _ := m.do("GET", "/api/v1/open/incidents/changes", m.tokens[truce.RoleMonitor], "", ""); res.StatusCode != 403 {
		t.Errorf("a monitor reading the incidents' changes: %s", res.Status)
	}
	// The findings' feed is as it was: findings alone.
	_, data := m.do("GET", "/api/v1/open/changes", observer, "", "")
	if strings.Contains(string(data), `"incident"`) || strings.Contains(string(data), a) {
		t.Errorf("the findings' feed tells of incidents: %s", data)
	}
}
