package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	truce "github.com/truce-project/truce"
)

type reviewRequest struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
}

// postReview applies an analyst's review action to a finding: review, verify, dismiss or
// reopen, with a reason for all but review. Two different analysts must verify a finding
// (Options.RequiredApprovals) before it is verified, and so published.
func (s *Server) postReview(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		writeErrorStatus(w, http.StatusRequestEntityTooLarge, truce.EINVALID, tooLarge(64<<10))
		return
	}
	var req reviewRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, truce.Errorf(truce.EINVALID, `the body must be {"action": "review|verify|dismiss|reopen", "reason": "..."}: %v`, err))
		return
	}
	f, err := s.store.Review(r.Context(), r.PathValue("id"), req.Action, tok.ID, req.Reason, s.opt.RequiredApprovals)
	if err != nil {
		writeError(w, err)
		return
	}
	s.audit(r, tok, "review "+req.Action+" "+f.ID, "allowed", f.Review)
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) getHistory(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	history, err := s.store.ReviewHistory(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"history": history})
}
