package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	truce "github.com/truce-project/truce"
)

// Who may use the liaison channel: a party's liaisons respond; the mission reads and answers.
var (
	liaisons       = []truce.Role{truce.RoleLiaison}
	channelReaders = []truce.Role{truce.RoleAdmin, truce.RoleAnalyst, truce.RoleLiaison}
)

func (s *Server) liaisonRoutes() {
	s.mux.Handle("POST /api/v1/findings/{id}/responses", s.allow(liaisons, s.postResponse))
	s.mux.Handle("GET /api/v1/findings/{id}/responses", s.allow(channelReaders, s.getFindingResponses))
	s.mux.Handle("GET /api/v1/requests", s.allow(channelReaders, s.getRequests))
	s.mux.Handle("GET /api/v1/requests/{id}", s.allow(channelReaders, s.getRequest))
	s.mux.Handle("GET /api/v1/requests/{id}/history", s.allow(channelReaders, s.getRequestHistory))
	s.mux.Handle("POST /api/v1/requests/{id}/answer", s.allow(insiders, s.postAnswer))
	s.mux.Handle("GET /api/v1/notices", s.allow(readers, s.getNotices))
}

// decodeBody reads a small JSON body into v, refusing unknown fields; shape is the body's
// expected form, for the error message.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, shape string) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return truce.Errorf(truce.EINVALID, "the body must be %s: %v", shape, err)
	}
	return nil
}

// postResponse records a liaison's response to a verified finding concerning its party:
// {"action": "acknowledge"|"contest"|"inspection", "statement": "..."}, a statement being
// required to contest and to request an inspection. An inspection request is due within
// Options.InspectionDeadline.
func (s *Server) postResponse(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	var req struct {
		Action    string `json:"action"`
		Statement string `json:"statement"`
	}
	if err := decodeBody(w, r, &req, `{"action": "acknowledge|contest|inspection", "statement": "..."}`); err != nil {
		writeError(w, err)
		return
	}
	resp, err := s.store.Respond(r.Context(), r.PathValue("id"), tok.Party, tok.ID, req.Action, req.Statement, s.now().Add(s.opt.InspectionDeadline))
	if err != nil {
		writeError(w, err)
		return
	}
	s.audit(r, tok, "respond "+req.Action+" "+resp.Finding, "allowed", resp.ID)
	s.pumpNotices(r.Context())
	resp.Overdue = resp.OverdueAt(s.now())
	writeJSON(w, http.StatusCreated, resp)
}

// getFindingResponses lists a finding's responses; a liaison sees only those of a finding
// concerning its party.
func (s *Server) getFindingResponses(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	f, err := s.store.Finding(r.Context(), r.PathValue("id"))
	if err == nil && !visible(f, tok) {
		err = truce.Errorf(truce.ENOTFOUND, "no finding %q", r.PathValue("id"))
	}
	if err != nil {
		writeError(w, err)
		return
	}
	list, err := s.store.Responses(r.Context(), truce.ResponseFilter{Finding: f.ID, Limit: 1000}, s.now())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"responses": list})
}

// getRequests lists responses, newest first: ?state=open|answered|closed|recorded,
// ?action=acknowledge|contest|inspection, ?overdue=true (open inspection requests past their
// deadline), ?finding=, ?party= (the mission only), ?limit=. Overdue is computed at the
// server's clock. A liaison sees only its party's.
func (s *Server) getRequests(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	q := r.URL.Query()
	f := truce.ResponseFilter{Finding: q.Get("finding"), Party: q.Get("party"), Action: q.Get("action"), State: q.Get("state")}
	switch f.State {
	case "", truce.RequestOpen, truce.RequestAnswered, truce.RequestClosed, truce.ResponseRecorded:
	default:
		writeError(w, truce.Errorf(truce.EINVALID, "state: %q is not one of open, answered, closed, recorded", f.State))
		return
	}
	switch f.Action {
	case "", truce.ResponseAcknowledge, truce.ResponseContest, truce.ResponseInspection:
	default:
		writeError(w, truce.Errorf(truce.EINVALID, "action: %q is not one of acknowledge, contest, inspection", f.Action))
		return
	}
	now := s.now()
	if v := q.Get("overdue"); v != "" {
		overdue, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, truce.Errorf(truce.EINVALID, "overdue: %q is not true or false", v))
			return
		}
		if overdue {
			f.OverdueAt = now
		}
	}
	var err error
	if f.Limit, err = parseLimit(q.Get("limit")); err != nil {
		writeError(w, err)
		return
	}
	if tok.Role == truce.RoleLiaison {
		if f.Party != "" && f.Party != tok.Party {
			writeJSON(w, http.StatusOK, map[string]any{"requests": []truce.Response{}})
			return
		}
		f.Party = tok.Party
	}
	list, err := s.store.Responses(r.Context(), f, now)
	if err != nil {
		writeError(w, err)
		return
	}
	if q.Get("overdue") != "" && f.OverdueAt.IsZero() {
		// overdue=false: the ones not overdue.
		kept := list[:0]
		for _, x := range list {
			if !x.Overdue {
				kept = append(kept, x)
			}
		}
		list = kept
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": list})
}

// request returns the response id names if tok may see it (a liaison, only its party's).
func (s *Server) request(r *http.Request, tok *truce.Token) (*truce.Response, error) {
	resp, err := s.store.Response(r.Context(), r.PathValue("id"))
	if err == nil && tok.Role == truce.RoleLiaison && resp.Party != tok.Party {
		err = truce.Errorf(truce.ENOTFOUND, "no request %q", r.PathValue("id"))
	}
	if err != nil {
		return nil, err
	}
	resp.Overdue = resp.OverdueAt(s.now())
	return resp, nil
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	resp, err := s.request(r, tok)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getRequestHistory(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if _, err := s.request(r, tok); err != nil {
		writeError(w, err)
		return
	}
	history, err := s.store.ResponseHistory(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"history": history})
}

// postAnswer applies the mission's action to a contest or inspection request:
// {"action": "answer"|"close", "reason": "..."} ("answer" when action is left out).
func (s *Server) postAnswer(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	var req struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
	}
	if err := decodeBody(w, r, &req, `{"action": "answer|close", "reason": "..."}`); err != nil {
		writeError(w, err)
		return
	}
	if req.Action == "" {
		req.Action = truce.RequestAnswer
	}
	resp, err := s.store.AnswerRequest(r.Context(), r.PathValue("id"), req.Action, tok.ID, req.Reason)
	if err != nil {
		writeError(w, err)
		return
	}
	s.audit(r, tok, "request "+req.Action+" "+resp.ID, "allowed", resp.State)
	s.pumpNotices(r.Context())
	resp.Overdue = resp.OverdueAt(s.now())
	writeJSON(w, http.StatusOK, resp)
}

// getNotices lists the notices the caller may see after ?after=SEQ (0 by default), oldest
// first, up to ?limit= (100 by default): a liaison's inbox, its party's notices; an observer's
// the public ones; the mission's all. next is the after of the following page.
func (s *Server) getNotices(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	q := r.URL.Query()
	var after int64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, truce.Errorf(truce.EINVALID, "after: %q is not a notice sequence number", v))
			return
		}
		after = n
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		writeError(w, err)
		return
	}
	if limit == 0 {
		limit = 100
	}
	out := []truce.Notice{}
	next := after
	// Read pages until the caller's page is full or the notices run out: most may be of
	// another party.
pages:
	for {
		list, _, err := s.store.Notices(r.Context(), next, 500)
		if err != nil {
			writeError(w, err)
			return
		}
		for _, x := range list {
			if len(out) == limit {
				break pages
			}
			next = x.Seq
			if noticeVisible(&x, tok) {
				out = append(out, x)
			}
		}
		if len(list) < 500 {
			break
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": out, "next": next})
}
