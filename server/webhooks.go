package server

import (
	"net/http"

	truce "github.com/truce-project/truce"
)

var admins = []truce.Role{truce.RoleAdmin}

func (s *Server) webhookRoutes() {
	s.mux.Handle("POST /api/v1/webhooks", s.allow(admins, s.postWebhook))
	s.mux.Handle("GET /api/v1/webhooks", s.allow(admins, s.getWebhooks))
	s.mux.Handle("DELETE /api/v1/webhooks/{id}", s.allow(admins, s.deleteWebhook))
}

// postWebhook registers a webhook: {"url": "https://...", "party": "east", "secret": "..."}.
// A party's webhook receives that party's notices; one with no party, the public ones. The
// secret, generated when not given, is in the answer and never shown again.
func (s *Server) postWebhook(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	var req struct {
		URL    string `json:"url"`
		Party  string `json:"party"`
		Secret string `json:"secret"`
	}
	if err := decodeBody(w, r, &req, `{"url": "https://...", "party": "PARTY (or none for the public notices)", "secret": "... (optional)"}`); err != nil {
		writeError(w, err)
		return
	}
	if req.Party != "" && s.pipeline.Judge().Agreement().Party(req.Party) == nil {
		writeError(w, truce.Errorf(truce.EINVALID, "party: %q is not a party to the agreement", req.Party))
		return
	}
	if req.Secret != "" && len(req.Secret) < 16 {
		writeError(w, truce.Errorf(truce.EINVALID, "secret: %d characters is too short to sign with; give at least 16, or none to have one generated", len(req.Secret)))
		return
	}
	hook := &truce.Webhook{URL: req.URL, Party: req.Party}
	secret, err := s.store.CreateWebhook(r.Context(), hook, req.Secret)
	if err != nil {
		writeError(w, err)
		return
	}
	s.audit(r, tok, "webhook.create", "allowed", hook.ID+" "+hook.URL)
	writeJSON(w, http.StatusCreated, map[string]any{"webhook": hook, "secret": secret})
}

func (s *Server) getWebhooks(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	list, err := s.store.Webhooks(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": list})
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if err := s.store.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	s.audit(r, tok, "webhook.delete", "allowed", r.PathValue("id"))
	writeJSON(w, http.StatusOK, map[string]any{"deleted": r.PathValue("id")})
}
