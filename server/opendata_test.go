package server_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/server"
)

// downstream is a copy of the open data kept by a downstream user from the changes feed
// alone.
type downstream struct {
	records map[string]truce.OpenFinding
	next    string
	seen    int
}

// sync asks for the changes since the last it applied, two at a time, and applies them.
func (d *downstream) sync(m *mission, token string) {
	m.t.Helper()
	for {
		q := "?limit=2"
		if d.next != "" {
			q += "&since=" + url.QueryEscape(d.next)
		}
		res, data := m.do("GET", "/api/v1/open/changes"+q, token, "", "")
		if res.StatusCode != 200 {
			m.t.Fatalf("changes%s: %s %s", q, res.Status, data)
		}
		assertNoSource(m.t, "changes", data)
		var page struct {
			Changes []truce.OpenChange
			Next    string
		}
		if err := json.Unmarshal(data, &page); err != nil {
			m.t.Fatal(err)
		}
		fresh := 0
		for _, c := range page.Changes {
			have, ok := d.records[c.ID]
			switch {
			case ok && have.Version >= c.Version:
				continue // already applied
			case c.Change == truce.ChangeWithdrawn:
				delete(d.records, c.ID)
			case c.Finding == nil || c.Finding.ID != c.ID || c.Finding.Version != c.Version:
				m.t.Fatalf("a %s change without its record: %+v", c.Change, c)
			default:
				d.records[c.ID] = *c.Finding
			}
			fresh++
		}
		d.seen += fresh
		if page.Next != "" {
			d.next = page.Next
		}
		if fresh == 0 {
			return
		}
	}
}

// csvExport reads findings.csv into records by id, checking the header row.
func csvExport(m *mission, token string) (map[string]truce.OpenFinding, []byte) {
	m.t.Helper()
	res, data := m.do("GET", "/api/v1/open/findings.csv", token, "", "")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		m.t.Fatalf("findings.csv: %s %s", res.Status, res.Header.Get("Content-Type"))
	}
	assertNoSource(m.t, "findings.csv", data)
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		m.t.Fatalf("findings.csv is not CSV: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(rows[0], server.OpenFindingColumns) {
		m.t.Fatalf("header %v", rows[0])
	}
	out := map[string]truce.OpenFinding{}
	for _, row := range rows[1:] {
		col := map[string]string{}
		for i, name := range rows[0] {
			col[name] = row[i]
		}
		num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
		ts := func(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t }
		v, _ := strconv.ParseInt(col["version"], 10, 64)
		out[col["id"]] = truce.OpenFinding{ID: col["id"], Version: v, Updated: ts(col["updated"]), Time: ts(col["time"]),
			Kind: col["kind"], Rule: col["rule"], Article: col["article"], Title: col["title"], Lat: num(col["lat"]), Lon: num(col["lon"]),
			Zone: col["zone"], Party: col["party"], Attribution: col["attribution"], Severity: col["severity"],
			Confidence: num(col["confidence"]), Status: col["status"], Explanation: col["explanation"], Agreement: col["agreement"]}
	}
	return out, data
}

// geojsonExport reads findings.geojson into records by id.
func geojsonExport(m *mission, token string) map[string]truce.OpenFinding {
	m.t.Helper()
	res, data := m.do("GET", "/api/v1/open/findings.geojson", token, "", "")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/geo+json" {
		m.t.Fatalf("findings.geojson: %s %s", res.Status, res.Header.Get("Content-Type"))
	}
	assertNoSource(m.t, "findings.geojson", data)
	var fc struct {
		Type     string
		Features []struct {
			Type     string
			ID       string
			Geometry struct {
				Type        string
				Coordinates []float64
			}
			Properties truce.OpenFinding
		}
	}
	if err := json.Unmarshal(data, &fc); err != nil || fc.Type != "FeatureCollection" {
		m.t.Fatalf("findings.geojson is not a FeatureCollection: %v\n%s", err, data)
	}
	out := map[string]truce.OpenFinding{}
	for _, f := range fc.Features {
		if f.Type != "Feature" || f.Geometry.Type != "Point" || len(f.Geometry.Coordinates) != 2 {
			m.t.Fatalf("feature %+v", f)
		}
		o := f.Properties
		o.ID, o.Lon, o.Lat = f.ID, f.Geometry.Coordinates[0], f.Geometry.Coordinates[1]
		out[f.ID] = o
	}
	return out
}

// TestADownstreamCopyKeptFromTheChangesEqualsTheExports publishes, withdraws and republishes
// findings, keeping a downstream copy from the changes feed alone after each step, and
// compares it with the CSV and GeoJSON exports.
func TestADownstreamCopyKeptFromTheChangesEqualsTheExports(t *testing.T) {
	m := newMission(t, server.Options{RequiredApprovals: 1}, ingest.Options{})
	var body strings.Builder
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&body, `{"id":"d%d","source":"patrol-1","time":"2026-05-01T07:%02d:00Z","kind":"presence.vehicle","lat":47.64884,"lon":36.35962,"ce_m":50,"party":"east"}`+"\n", i, 20+i)
	}
	m.post("application/x-ndjson", good+body.String())
	_, data := m.do("GET", "/api/v1/findings", m.tokens[truce.RoleAnalyst], "", "")
	var page struct{ Findings []truce.Finding }
	json.Unmarshal(data, &page)
	if len(page.Findings) < 5 {
		t.Fatalf("%d findings", len(page.Findings))
	}
	ids := make([]string, len(page.Findings))
	for i, f := range page.Findings {
		ids[i] = f.ID
	}
	observer := m.tokens[truce.RoleObserver]
	copy := &downstream{records: map[string]truce.OpenFinding{}}
	check := func(step string, want int) {
		t.Helper()
		copy.sync(m, observer)
		fromCSV, raw := csvExport(m, observer)
		fromGeoJSON := geojsonExport(m, observer)
		if len(fromCSV) != want {
			t.Errorf("%s: the export has %d findings, want %d", step, len(fromCSV), want)
		}
		for id, rec := range fromCSV {
			got, ok := copy.records[id]
			if !ok {
				t.Errorf("%s: the copy lacks %s", step, id)
				continue
			}
			if !reflect.DeepEqual(got, rec) {
				t.Errorf("%s: the copy of %s\n%+v\nthe CSV export\n%+v", step, id, got, rec)
			}
			if g := fromGeoJSON[id]; !reflect.DeepEqual(g, rec) {
				t.Errorf("%s: the GeoJSON of %s\n%+v\nthe CSV\n%+v", step, id, g, rec)
			}
		}
		for id := range copy.records {
			if _, ok := fromCSV[id]; !ok {
				t.Errorf("%s: the copy keeps %s, which is not published", step, id)
			}
		}
		if want > 0 && !bytes.Contains(raw, []byte("\r\n")) {
			t.Errorf("%s: the CSV lines do not end in CRLF", step)
		}
	}
	check("nothing published", 0)
	for _, id := range ids[:3] {
		m.review(id, `{"action": "verify", "reason": "seen"}`)
	}
	m.review(ids[3], `{"action": "review"}`) // not published: not in the feed
	check("three published", 3)
	firstVersion := copy.records[ids[0]].Version
	m.review(ids[0], `{"action": "reopen", "reason": "the party contests it"}`)
	m.review(ids[1], `{"action": "reopen", "reason": "duplicate"}`)
	m.review(ids[1], `{"action": "dismiss", "reason": "a duplicate of another report"}`)
	m.review(ids[4], `{"action": "verify", "reason": "seen"}`)
	check("two withdrawn, one more published", 2)
	m.review(ids[0], `{"action": "verify", "reason": "confirmed after the inspection"}`)
	check("one republished", 3)
	if v := copy.records[ids[0]].Version; v != firstVersion+2 {
		t.Errorf("the republished finding is at version %d, want %d (reopened, then verified again)", v, firstVersion+2)
	}
	// A fresh copy from the start gets the same, and every role that reads open data too.
	for _, role := range []truce.Role{truce.RoleObserver, truce.RoleLiaison, truce.RoleAdmin} {
		fresh := &downstream{records: map[string]truce.OpenFinding{}}
		fresh.sync(m, m.tokens[role])
		if !reflect.DeepEqual(fresh.records, copy.records) {
			t.Errorf("a fresh copy as %s differs from the one kept step by step", role)
		}
	}

	// A field with a comma, a quote or a line break is quoted whole, quotes doubled, as RFC
	// 4180 says; the findings' explanations have commas.
	recs, raw := csvExport(m, observer)
	quoted := 0
	for _, rec := range recs {
		if strings.ContainsAny(rec.Explanation, ",\"\n") {
			if !bytes.Contains(raw, []byte(`,"`+strings.ReplaceAll(rec.Explanation, `"`, `""`)+`",`)) {
				t.Errorf("the explanation of %s is not quoted whole: %s", rec.ID, raw)
			}
			quoted++
		}
	}
	if quoted == 0 {
		t.Errorf("no explanation needed quoting; the test shows nothing:\n%s", raw)
	}
	for _, q := range []string{"?since=yesterday", "?since=2026-05-01", "?limit=1", "?limit=x"} {
		res, data := m.do("GET", "/api/v1/open/changes"+q, observer, "", "")
		if res.StatusCode != 400 {
			t.Errorf("changes%s: %s %s, want 400", q, res.Status, data)
		}
	}
	res, data := m.do("GET", "/api/v1/open/changes?since=2027-01-01T00:00:00Z", observer, "", "")
	if res.StatusCode != 200 || !strings.Contains(string(data), `"changes":[]`) {
		t.Errorf("changes since the future: %s %s", res.Status, data)
	}
}
