package server

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	truce "github.com/truce-project/truce"
)

// Open data: what the public may know (observer tokens and above), for downstream users to
// keep a copy of. Findings are the verified ones, by their stable id, with a version that
// grows at each review decision; the changes feed says what was published, updated or
// withdrawn since a time. Incidents, published once one of their findings is verified, have
// a feed of their own, on the same clock.
func (s *Server) openDataRoutes() {
	s.mux.Handle("GET /api/v1/open/findings.csv", s.allow(readers, s.getOpenFindingsCSV))
	s.mux.Handle("GET /api/v1/open/findings.geojson", s.allow(readers, s.getOpenFindingsGeoJSON))
	s.mux.Handle("GET /api/v1/open/changes", s.allow(readers, s.getOpenChanges))
	s.mux.Handle("GET /api/v1/open/incidents.csv", s.allow(readers, s.getOpenIncidentsCSV))
	s.mux.Handle("GET /api/v1/open/incidents.geojson", s.allow(readers, s.getOpenIncidentsGeoJSON))
	s.mux.Handle("GET /api/v1/open/incidents/changes", s.allow(readers, s.getOpenIncidentChanges))
}

// OpenFindingColumns is the header row of findings.csv, in order.
var OpenFindingColumns = []string{"id", "version", "updated", "time", "kind", "rule", "article", "title", "lat", "lon",
	"zone", "party", "attribution", "severity", "confidence", "status", "explanation", "agreement"}

func openFindingRow(f *truce.OpenFinding, row []string) []string {
	return append(row[:0], f.ID, strconv.FormatInt(f.Version, 10), f.Updated.Format(time.RFC3339Nano), f.Time.Format(time.RFC3339Nano),
		f.Kind, f.Rule, f.Article, f.Title, strconv.FormatFloat(f.Lat, 'f', -1, 64), strconv.FormatFloat(f.Lon, 'f', -1, 64),
		f.Zone, f.Party, f.Attribution, f.Severity, strconv.FormatFloat(f.Confidence, 'f', -1, 64), f.Status, f.Explanation, f.Agreement)
}

// getOpenFindingsCSV writes the verified findings as CSV (RFC 4180: a header row, CRLF line
// ends, fields with commas, quotes or line breaks quoted).
func (s *Server) getOpenFindingsCSV(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	w.Header().Set("Content-Disposition", `attachment; filename="findings.csv"`)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write(OpenFindingColumns)
	var row []string
	err := s.store.OpenFindings(r.Context(), func(f *truce.OpenFinding) error {
		row = openFindingRow(f, row)
		return cw.Write(row)
	})
	cw.Flush()
	if err != nil {
		// The header is sent: all that can be done is to end the body short, which a client
		// sees as a broken transfer rather than a complete file.
		panic(http.ErrAbortHandler)
	}
}

// openFeature is a GeoJSON Feature of a verified finding: a Point at its position, its
// properties the published record without lat and lon.
type openFeature struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Geometry   openPoint      `json:"geometry"`
	Properties openProperties `json:"properties"`
}

type openPoint struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

type openProperties struct {
	Version     int64     `json:"version"`
	Updated     time.Time `json:"updated"`
	Time        time.Time `json:"time"`
	Kind        string    `json:"kind"`
	Rule        string    `json:"rule"`
	Article     string    `json:"article"`
	Title       string    `json:"title,omitempty"`
	Zone        string    `json:"zone,omitempty"`
	Party       string    `json:"party,omitempty"`
	Attribution string    `json:"attribution,omitempty"`
	Severity    string    `json:"severity"`
	Confidence  float64   `json:"confidence"`
	Status      string    `json:"status"`
	Explanation string    `json:"explanation"`
	Agreement   string    `json:"agreement"`
}

func newOpenFeature(f *truce.OpenFinding) openFeature {
	return openFeature{Type: "Feature", ID: f.ID, Geometry: openPoint{Type: "Point", Coordinates: [2]float64{f.Lon, f.Lat}},
		Properties: openProperties{Version: f.Version, Updated: f.Updated, Time: f.Time, Kind: f.Kind, Rule: f.Rule,
			Article: f.Article, Title: f.Title, Zone: f.Zone, Party: f.Party, Attribution: f.Attribution,
			Severity: f.Severity, Confidence: f.Confidence, Status: f.Status, Explanation: f.Explanation, Agreement: f.Agreement}}
}

// getOpenFindingsGeoJSON writes the verified findings as a GeoJSON FeatureCollection (RFC
// 7946) of Points, each Feature's id the finding's.
func (s *Server) getOpenFindingsGeoJSON(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	writeFeatures(w, func(add func(feature any) error) error {
		return s.store.OpenFindings(r.Context(), func(f *truce.OpenFinding) error { return add(newOpenFeature(f)) })
	})
}

// writeFeatures streams a GeoJSON FeatureCollection (RFC 7946) of the features list hands to
// add, one at a time, so that an export is never held whole in memory. An error once the
// first bytes have gone out can only abort the response, which the client sees as cut short.
func writeFeatures(w http.ResponseWriter, list func(add func(feature any) error) error) {
	w.Header().Set("Content-Type", "application/geo+json")
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString(`{"type":"FeatureCollection","features":[`)
	first := true
	err := list(func(feature any) error {
		data, err := json.Marshal(feature)
		if err != nil {
			return err
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.Write(data)
		return nil
	})
	if err != nil {
		bw.Flush()
		panic(http.ErrAbortHandler)
	}
	bw.WriteString("]}\n")
	bw.Flush()
}

// getOpenChanges lists the changes of the published findings at or after ?since=RFC3339
// (from the start when left out), oldest first, up to ?limit= (1000 by default). A copy
// applies them in order — published or updated: keep the record; withdrawn: drop the id —
// and asks again with since set to next, the time of the last change it got (it gets that
// change again, at a version it already has).
func (s *Server) getOpenChanges(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	writeOpenChanges(w, r, s.store.OpenChanges)
}

// getOpenIncidentChanges lists the changes of the published incidents as getOpenChanges does
// those of the findings; published and updated changes carry the incident.
func (s *Server) getOpenIncidentChanges(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if s.noIncidents(w) {
		return
	}
	writeOpenChanges(w, r, s.store.OpenIncidentChanges)
}

// writeOpenChanges answers a request for a feed of changes (?since=, ?limit=) from list.
func writeOpenChanges(w http.ResponseWriter, r *http.Request, list func(context.Context, time.Time, int) ([]truce.OpenChange, error)) {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("since"); v != "" {
		var err error
		if since, err = time.Parse(time.RFC3339Nano, v); err != nil {
			writeError(w, truce.Errorf(truce.EINVALID, "since: %q is not an RFC 3339 time", v))
			return
		}
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		writeError(w, err)
		return
	}
	if limit == 1 {
		writeError(w, truce.Errorf(truce.EINVALID, "limit: 1 would give the same change again and again; ask for at least 2"))
		return
	}
	changes, err := list(r.Context(), since, limit)
	if err != nil {
		writeError(w, err)
		return
	}
	reply := map[string]any{"changes": changes}
	if len(changes) > 0 {
		reply["next"] = changes[len(changes)-1].Time.Format(time.RFC3339Nano)
	} else if !since.IsZero() {
		reply["next"] = since.UTC().Format(time.RFC3339Nano)
	}
	writeJSON(w, http.StatusOK, reply)
}

// OpenIncidentColumns is the header row of incidents.csv, in order. lat and lon are empty for
// an incident its reports do not locate; findings are the verified findings' ids, separated
// by spaces.
var OpenIncidentColumns = []string{"id", "version", "updated", "kind", "class", "start", "end", "lat", "lon", "target",
	"semi_major_m", "semi_minor_m", "azimuth_deg", "party", "explanation", "reports", "sources", "confidence", "findings"}

func openIncidentRow(o *truce.OpenIncident, row []string) []string {
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	lat, lon, target, major, minor, azimuth := "", "", "", "", "", ""
	if p := o.Position; p != nil {
		lat, lon, target, major, minor, azimuth = num(p.Lat), num(p.Lon), p.Target, num(p.SemiMajorM), num(p.SemiMinorM), num(p.AzimuthDeg)
	}
	return append(row[:0], o.ID, strconv.FormatInt(o.Version, 10), o.Updated.Format(time.RFC3339Nano), o.Kind, o.Class,
		o.Start.Format(time.RFC3339Nano), o.End.Format(time.RFC3339Nano), lat, lon, target, major, minor, azimuth,
		o.Party, o.Explanation, strconv.Itoa(o.Reports), strconv.Itoa(o.Sources), num(o.Confidence), strings.Join(o.Findings, " "))
}

// openIncidents calls fn with each published incident, in the order first stored.
func (s *Server) openIncidents(r *http.Request, fn func(*truce.OpenIncident) error) error {
	f := truce.IncidentFilter{Verified: true, Limit: 500}
	for {
		list, next, err := s.opt.Incidents.Incidents(r.Context(), f)
		if err != nil {
			return err
		}
		for i := range list {
			if o, ok := truce.PublicIncident(&list[i]); ok {
				if err := fn(&o); err != nil {
					return err
				}
			}
		}
		if next == "" {
			return nil
		}
		f.Cursor = next
	}
}

// getOpenIncidentsCSV writes the published incidents as CSV (RFC 4180, as findings.csv).
func (s *Server) getOpenIncidentsCSV(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if s.noIncidents(w) {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	w.Header().Set("Content-Disposition", `attachment; filename="incidents.csv"`)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write(OpenIncidentColumns)
	var row []string
	err := s.openIncidents(r, func(o *truce.OpenIncident) error {
		row = openIncidentRow(o, row)
		return cw.Write(row)
	})
	cw.Flush()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
}

// openIncidentFeature is a GeoJSON Feature of a published incident: a Point where it was, or
// no geometry when its reports do not locate it.
type openIncidentFeature struct {
	Type       string              `json:"type"`
	ID         string              `json:"id"`
	Geometry   *openPoint          `json:"geometry"`
	Properties *truce.OpenIncident `json:"properties"`
}

// getOpenIncidentsGeoJSON writes the published incidents as a GeoJSON FeatureCollection.
func (s *Server) getOpenIncidentsGeoJSON(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if s.noIncidents(w) {
		return
	}
	writeFeatures(w, func(add func(feature any) error) error {
		return s.openIncidents(r, func(o *truce.OpenIncident) error {
			f := openIncidentFeature{Type: "Feature", ID: o.ID, Properties: o}
			if p := o.Position; p != nil {
				f.Geometry = &openPoint{Type: "Point", Coordinates: [2]float64{p.Lon, p.Lat}}
			}
			return add(f)
		})
	})
}
