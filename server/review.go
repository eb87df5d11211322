package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"

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
	s.reviews.publish(*f)
	s.pumpNotices(r.Context())
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

// maxLock bounds how long one request may hold a finding.
const maxLock = time.Hour

// postLock holds a finding for the calling analyst for {"minutes": N} (default 15, at most
// 60); DELETE releases it.
func (s *Server) postLock(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	var req struct {
		Minutes int `json:"minutes"`
	}
	if r.ContentLength != 0 {
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, truce.Errorf(truce.EINVALID, `the body must be {"minutes": N}: %v`, err))
			return
		}
	}
	d := time.Duration(req.Minutes) * time.Minute
	if d <= 0 {
		d = 15 * time.Minute
	}
	until := time.Now().Add(min(d, maxLock)).UTC()
	if err := s.store.Lock(r.Context(), r.PathValue("id"), tok.ID, until); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"locked_by": tok.ID, "until": until})
}

func (s *Server) deleteLock(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if err := s.store.Lock(r.Context(), r.PathValue("id"), tok.ID, time.Time{}); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"locked_by": ""})
}
