package server

import (
	"net/http"

	truce "github.com/truce-project/truce"
)

// getAgreement returns the agreement the server judges against, geometry included.
func (s *Server) getAgreement(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	writeJSON(w, http.StatusOK, s.pipeline.Judge().Agreement())
}

// getMap returns the agreement's zones and lines drawn as SVG.
func (s *Server) getMap(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Write(s.mapSVG)
}
