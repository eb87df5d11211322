package server

import (
	"net/http"

	truce "github.com/truce-project/truce"
)

type findingsReply struct {
	Findings []truce.Finding `json:"findings"`
	Next     string          `json:"next,omitempty"`
}

// getFindings lists findings. A liaison sees only the findings attributed to its party, and
// never their sources; an observer sees what is published: verified findings, without sources.
func (s *Server) getFindings(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	q := r.URL.Query()
	f := truce.FindingFilter{Kind: q.Get("kind"), Rule: q.Get("rule"), Party: q.Get("party"), Zone: q.Get("zone"), Status: q.Get("status"), Review: q.Get("review"), Cursor: q.Get("cursor")}
	if f.Status != "" && f.Status != truce.StatusInside && f.Status != truce.StatusPossible {
		writeError(w, truce.Errorf(truce.EINVALID, "status: %q is not inside or possible", f.Status))
		return
	}
	var err error
	if f.From, f.To, f.BBox, f.Limit, err = listWindow(q); err != nil {
		writeError(w, err)
		return
	}
	switch tok.Role {
	case truce.RoleObserver:
		if f.Review != "" && f.Review != truce.ReviewVerified {
			writeJSON(w, http.StatusOK, findingsReply{Findings: []truce.Finding{}})
			return
		}
		f.Review = truce.ReviewVerified
	case truce.RoleLiaison:
		var none bool
		if f.Party, none = liaisonParty(tok, f.Party); none {
			writeJSON(w, http.StatusOK, findingsReply{Findings: []truce.Finding{}})
			return
		}
	}
	list, next, err := s.store.Findings(r.Context(), f)
	if err != nil {
		writeError(w, err)
		return
	}
	for i := range list {
		redact(&list[i], tok)
	}
	if list == nil {
		list = []truce.Finding{}
	}
	writeJSON(w, http.StatusOK, findingsReply{Findings: list, Next: next})
}

func (s *Server) getFinding(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	f, err := s.store.Finding(r.Context(), r.PathValue("id"))
	if err == nil && !visible(f, tok) {
		// Not "forbidden": that would confirm to a party that the finding exists.
		err = truce.Errorf(truce.ENOTFOUND, "no finding %q", r.PathValue("id"))
	}
	if err != nil {
		writeError(w, err)
		return
	}
	redact(f, tok)
	writeJSON(w, http.StatusOK, f)
}

// liaisonParty is the party filter of a liaison's list: its own party, whatever it asked
// for. none is true when it asked for another party's, of which it may see nothing.
func liaisonParty(tok *truce.Token, asked string) (party string, none bool) {
	return tok.Party, asked != "" && asked != tok.Party
}

// visible reports whether tok may see finding f at all.
func visible(f *truce.Finding, tok *truce.Token) bool {
	switch tok.Role {
	case truce.RoleAdmin, truce.RoleAnalyst:
		return true
	case truce.RoleLiaison:
		return f.Party == tok.Party
	case truce.RoleObserver:
		return f.Review == truce.ReviewVerified
	}
	return false
}

// redact removes from f what tok's role may not see: the mission's sources are its own.
func redact(f *truce.Finding, tok *truce.Token) {
	if tok.Role != truce.RoleAdmin && tok.Role != truce.RoleAnalyst {
		f.Source = ""
	}
}
