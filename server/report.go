package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/report"
)

// reportCSP lets a report's page use its own inline styles and nothing else: it loads nothing
// and runs nothing.
const reportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

func (s *Server) reportRoutes() {
	s.mux.Handle("GET /api/v1/reports/daily/{date}", s.allow(readers, s.getDailyReport))
	s.mux.Handle("POST /api/v1/reports/daily/{date}/publish", s.allow(insiders, s.publishDailyReport))
	s.mux.Handle("GET /api/v1/reports/spot/{id}", s.allow(readers, s.getSpotReport))
}

// wantsJSON reads the format a report is asked for: ?format=json or html, else the Accept
// header (JSON only when it prefers application/json to text/html), else HTML.
func wantsJSON(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "json":
		return true, nil
	case "html":
		return false, nil
	case "":
	default:
		return false, truce.Errorf(truce.EINVALID, "format: %q is not html or json", f)
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json":
			return true, nil
		case "text/html", "*/*":
			return false, nil
		}
	}
	return false, nil
}

// generator is the report generator for the request's cut-off (?cutoff=HH:MM), or an error.
func (s *Server) generator(r *http.Request) (*report.Generator, error) {
	if s.reports == nil {
		return nil, truce.Errorf(truce.EUNAVAILABLE, "reports are not available: %v", s.reportsErr)
	}
	c := r.URL.Query().Get("cutoff")
	if c == "" {
		return s.reports, nil
	}
	d, err := report.ParseCutoff(c)
	if err != nil {
		return nil, err
	}
	return s.reports.WithCutoff(d)
}

// getDailyReport serves the daily report of a date. Observers and liaisons see the published
// version only (404 until it is published); analysts and admins see the live draft, built
// now from what the store holds, unless they ask for ?version=published.
func (s *Server) getDailyReport(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	date := r.PathValue("date")
	if _, err := report.ParseDate(date); err != nil {
		writeError(w, err)
		return
	}
	asJSON, err := wantsJSON(r)
	if err != nil {
		writeError(w, err)
		return
	}
	insider := tok.Role == truce.RoleAdmin || tok.Role == truce.RoleAnalyst
	version := r.URL.Query().Get("version")
	switch {
	case version != "" && version != "draft" && version != "published":
		writeError(w, truce.Errorf(truce.EINVALID, "version: %q is not draft or published", version))
		return
	case !insider && version == "draft":
		writeError(w, truce.Errorf(truce.EFORBIDDEN, "a %s token sees published reports only", tok.Role))
		return
	case !insider || version == "published":
		p, err := s.store.PublishedReport(r.Context(), truce.ReportDaily, date)
		if truce.ErrorCode(err) == truce.ENOTFOUND {
			err = truce.Errorf(truce.ENOTFOUND, "the daily report of %s has not been published yet", date)
		}
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("X-Report-Version", strconv.Itoa(p.Version))
		w.Header().Set("Last-Modified", p.Published.Format(http.TimeFormat))
		writeReport(w, asJSON, p.JSON, p.HTML)
		return
	}
	g, err := s.generator(r)
	if err != nil {
		writeError(w, err)
		return
	}
	d, err := g.Daily(r.Context(), date)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("X-Report-Version", "draft")
	if asJSON {
		writeJSON(w, http.StatusOK, d)
		return
	}
	page, err := g.DailyHTML(d)
	if err != nil {
		writeError(w, err)
		return
	}
	writeReport(w, false, nil, page)
}

func writeReport(w http.ResponseWriter, asJSON bool, js, page []byte) {
	w.Header().Set("Vary", "Accept")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if asJSON {
		w.Header().Set("Content-Type", "application/json")
		w.Write(js)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", reportCSP)
	w.Write(page)
}

// publishDailyReport builds the daily report of a date as it stands, keeps its JSON and HTML
// as the next published version, and (when the server has the mission's log) logs the
// publication in the same transaction. A period that has not ended cannot be published.
func (s *Server) publishDailyReport(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	date := r.PathValue("date")
	g, err := s.generator(r)
	if err != nil {
		writeError(w, err)
		return
	}
	d, err := g.Daily(r.Context(), date)
	if err != nil {
		writeError(w, err)
		return
	}
	if d.Provisional {
		writeError(w, truce.Errorf(truce.ECONFLICT, "the daily report of %s covers a period that ends at %s; it can be published after that",
			date, d.Period.To.In(g.Location()).Format("2006-01-02 15:04 MST")))
		return
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(d); err != nil {
		writeError(w, err)
		return
	}
	page, err := g.DailyHTML(d)
	if err != nil {
		writeError(w, err)
		return
	}
	p := &truce.PublishedReport{Kind: truce.ReportDaily, Name: date, By: tok.ID, JSON: js.Bytes(), HTML: page}
	if _, err := s.store.PublishReport(r.Context(), p); err != nil {
		writeError(w, err)
		return
	}
	s.audit(r, tok, "report.publish daily "+date, "allowed", "version "+strconv.Itoa(p.Version))
	jsum, hsum := sha256.Sum256(p.JSON), sha256.Sum256(p.HTML)
	writeJSON(w, http.StatusOK, map[string]any{
		"kind": p.Kind, "name": p.Name, "version": p.Version, "published": p.Published, "by": p.By,
		"violations": d.Summary.Violations, "json_sha256": hex.EncodeToString(jsum[:]), "html_sha256": hex.EncodeToString(hsum[:]),
	})
}

// getSpotReport serves the spot report of a finding or, when the server keeps incidents, of an
// incident: what the caller may see of it, with the review history for analysts and admins.
func (s *Server) getSpotReport(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	asJSON, err := wantsJSON(r)
	if err != nil {
		writeError(w, err)
		return
	}
	g, err := s.generator(r)
	if err != nil {
		writeError(w, err)
		return
	}
	insider := tok.Role == truce.RoleAdmin || tok.Role == truce.RoleAnalyst
	aud := report.SpotAudience{Visible: func(f *truce.Finding) bool { return visible(f, tok) }, History: insider}
	id := r.PathValue("id")
	sp, err := g.SpotFinding(r.Context(), id, aud)
	if truce.ErrorCode(err) == truce.ENOTFOUND && s.opt.Incidents != nil {
		inc, ierr := s.opt.Incidents.Incident(r.Context(), id)
		if ierr == nil && incidentVisible(inc, tok) {
			s.redactIncident(r.Context(), inc, tok)
			sp, err = g.SpotIncident(r.Context(), inc, aud)
		}
	}
	if truce.ErrorCode(err) == truce.ENOTFOUND {
		err = truce.Errorf(truce.ENOTFOUND, "no finding or incident %q", id)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if asJSON {
		writeJSON(w, http.StatusOK, sp)
		return
	}
	var page bytes.Buffer
	if err := g.RenderSpot(&page, sp); err != nil {
		writeError(w, err)
		return
	}
	writeReport(w, false, nil, page.Bytes())
}
