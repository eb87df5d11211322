package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
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
