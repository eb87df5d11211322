package server

import (
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	truce "github.com/truce-project/truce"
)

// handler is an API handler that has been told who is calling.
type handler func(w http.ResponseWriter, r *http.Request, tok *truce.Token)

// allow authenticates the request and lets it through only for the given roles. Refusals
// (401 without a valid token, 403 for a role not allowed) are audited with the route.
func (s *Server) allow(roles []truce.Role, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action := r.Method + " " + r.URL.Path
		secret := bearer(r)
		if secret == "" {
			s.audit(r, nil, action, "unauthorized", "no token")
			writeError(w, truce.Errorf(truce.EUNAUTHORIZED, "a bearer token is required (Authorization: Bearer TOKEN)"))
			return
		}
		tok, err := s.store.Authenticate(r.Context(), secret)
		if err != nil {
			s.audit(r, nil, action, "unauthorized", truce.ErrorMessage(err))
			writeError(w, truce.Errorf(truce.EUNAUTHORIZED, "the token is not valid"))
			return
		}
		if !slices.Contains(roles, tok.Role) {
			s.audit(r, tok, action, "forbidden", "")
			writeError(w, truce.Errorf(truce.EFORBIDDEN, "a %s token may not %s", tok.Role, action))
			return
		}
		h(w, r, tok)
	})
}

// bearer returns the token from the Authorization header, or from the access_token query
// parameter, which is how a browser's EventSource (which cannot set headers) authenticates.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return r.URL.Query().Get("access_token")
}

func (s *Server) audit(r *http.Request, tok *truce.Token, action, outcome, detail string) {
	e := truce.AuditEntry{Time: time.Now().UTC(), Action: action, Outcome: outcome, Detail: detail}
	if tok != nil {
		e.TokenID, e.Role = tok.ID, tok.Role
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		e.Remote = host
	}
	// An audit write that fails must not turn a refusal into a 500; the refusal stands.
	_ = s.store.Audit(r.Context(), e)
}
