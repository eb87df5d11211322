package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"

	truce "github.com/truce-project/truce"
)

type incidentsReply struct {
	Incidents []truce.Incident `json:"incidents"`
	Next      string           `json:"next,omitempty"`
}

// noIncidents answers when the server keeps no incidents.
func (s *Server) noIncidents(w http.ResponseWriter) bool {
	if s.opt.Incidents == nil {
		writeError(w, truce.Errorf(truce.EUNAVAILABLE, "this server does not fuse reports into incidents"))
		return true
	}
	return false
}

// getIncidents lists incidents, filtered by from, to (the incident's time span meets the
// range), bbox (its position, or its origin), kind, party (the attributed party) and
// attribution (attributed, undetermined or none), a page at a time. As with findings, a liaison
// sees only the incidents attributed to its party and an observer only those with a verified
// finding, neither with the mission's sources or the positions its reporters stood at.
func (s *Server) getIncidents(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if s.noIncidents(w) {
		return
	}
	q := r.URL.Query()
	f := truce.IncidentFilter{Kind: q.Get("kind"), Party: q.Get("party"), Attribution: q.Get("attribution"), Cursor: q.Get("cursor")}
	var err error
	if f.From, f.To, f.BBox, f.Limit, err = listWindow(q); err != nil {
		writeError(w, err)
		return
	}
	switch tok.Role {
	case truce.RoleObserver:
		f.Verified = true
	case truce.RoleLiaison:
		var none bool
		if f.Party, none = liaisonParty(tok, f.Party); none {
			writeJSON(w, http.StatusOK, incidentsReply{Incidents: []truce.Incident{}})
			return
		}
	}
	list, next, err := s.opt.Incidents.Incidents(r.Context(), f)
	if err != nil {
		writeError(w, err)
		return
	}
	for i := range list {
		s.redactIncident(r.Context(), &list[i], tok)
	}
	if list == nil {
		list = []truce.Incident{}
	}
	writeJSON(w, http.StatusOK, incidentsReply{Incidents: list, Next: next})
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if s.noIncidents(w) {
		return
	}
	inc, err := s.opt.Incidents.Incident(r.Context(), r.PathValue("id"))
	if err == nil && !incidentVisible(inc, tok) {
		// Not "forbidden": that would confirm to a party that the incident exists.
		err = truce.Errorf(truce.ENOTFOUND, "no incident %q", r.PathValue("id"))
	}
	if err != nil && tok.Role != truce.RoleAdmin && tok.Role != truce.RoleAnalyst && truce.ErrorCode(err) == truce.ENOTFOUND {
		// Where an incident went (merged into another) is the mission's to know.
		err = truce.Errorf(truce.ENOTFOUND, "no incident %q", r.PathValue("id"))
	}
	if err != nil {
		writeError(w, err)
		return
	}
	s.redactIncident(r.Context(), inc, tok)
	writeJSON(w, http.StatusOK, inc)
}

func (s *Server) getIncidentHistory(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if s.noIncidents(w) {
		return
	}
	history, err := s.opt.Incidents.IncidentHistory(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"history": history})
}

// incidentVisible reports whether tok may see incident inc at all.
func incidentVisible(inc *truce.Incident, tok *truce.Token) bool {
	switch tok.Role {
	case truce.RoleAdmin, truce.RoleAnalyst:
		return true
	case truce.RoleLiaison:
		return inc.Party == tok.Party
	case truce.RoleObserver:
		return len(inc.Verified) > 0
	}
	return false
}

// redactIncident removes from inc what tok's role may not see: the members' sources and the
// places the mission's reporters stood, and the analysts' working notes (the reports kept
// apart, which name sources). An observer sees only the findings that are verified; a
// liaison only those it may open (visible), since a finding attributed to another party, or
// to none, is not its party's to know of, not even by its id. The lists are filtered into
// new slices: an incident on the event stream shares its lists with other subscribers'.
func (s *Server) redactIncident(ctx context.Context, inc *truce.Incident, tok *truce.Token) {
	if tok.Role == truce.RoleAdmin || tok.Role == truce.RoleAnalyst {
		return
	}
	var shown func(id string) bool
	switch tok.Role {
	case truce.RoleObserver:
		shown = func(id string) bool { return slices.Contains(inc.Verified, id) }
	case truce.RoleLiaison:
		seen := map[string]bool{}
		shown = func(id string) bool {
			v, ok := seen[id]
			if !ok {
				f, err := s.store.Finding(ctx, id)
				v = err == nil && visible(f, tok)
				seen[id] = v
			}
			return v
		}
	default:
		shown = func(string) bool { return false }
	}
	inc.KeptApart = nil
	inc.Members = slices.Clone(inc.Members)
	for i := range inc.Members {
		m := &inc.Members[i]
		m.Source, m.Lat, m.Lon, m.CEm = "", 0, 0, 0
		m.Findings = only(m.Findings, shown)
	}
	inc.Findings, inc.Verified = only(inc.Findings, shown), only(inc.Verified, shown)
}

// only returns, in a new slice, the ids of ids that keep holds for.
func only(ids []string, keep func(string) bool) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if keep(id) {
			out = append(out, id)
		}
	}
	return out
}

// readBody decodes a small JSON body strictly into v, or writes the error and reports false.
func readBody(w http.ResponseWriter, r *http.Request, v any, shape string) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		writeErrorStatus(w, http.StatusRequestEntityTooLarge, truce.EINVALID, tooLarge(64<<10))
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, truce.Errorf(truce.EINVALID, "the body must be %s: %v", shape, err))
		return false
	}
	return true
}

// postMerge merges incidents an analyst judges to be one event: {"ids": [...], "reason":
// "..."}. It answers with the merged incident, which keeps the id of the one that began first.
func (s *Server) postMerge(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if s.noIncidents(w) {
		return
	}
	var req struct {
		IDs    []string `json:"ids"`
		Reason string   `json:"reason"`
	}
	if !readBody(w, r, &req, `{"ids": ["incident-…", "incident-…"], "reason": "..."}`) {
		return
	}
	inc, err := s.opt.Incidents.Merge(r.Context(), req.IDs, tok.ID, req.Reason)
	if err != nil {
		writeError(w, err)
		return
	}
	s.audit(r, tok, "incident merge "+inc.ID, "allowed", strings.Join(req.IDs, ","))
	writeJSON(w, http.StatusOK, inc)
}

// postSplit takes reports out of an incident into a new one: {"members": [...], "reason":
// "..."}, each member an observation id or "source/id". It answers with the new incident.
func (s *Server) postSplit(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if s.noIncidents(w) {
		return
	}
	var req struct {
		Members []string `json:"members"`
		Reason  string   `json:"reason"`
	}
	if !readBody(w, r, &req, `{"members": ["source/id", ...], "reason": "..."}`) {
		return
	}
	inc, err := s.opt.Incidents.Split(r.Context(), r.PathValue("id"), req.Members, tok.ID, req.Reason)
	if err != nil {
		writeError(w, err)
		return
	}
	s.audit(r, tok, "incident split "+r.PathValue("id"), "allowed", inc.ID)
	writeJSON(w, http.StatusOK, inc)
}

// PublishIncidents tells the open event streams that these incidents changed, as "incident"
// events, each as GET /api/v1/incidents/{id} would show it to the stream's caller. Like review
// events they carry no event id and are not replayed on reconnecting; a stream whose buffer is
// full misses some rather than hold up fusion.
func (s *Server) PublishIncidents(incs []truce.Incident) {
	for i := range incs {
		s.incidents.publish(incs[i])
	}
}
