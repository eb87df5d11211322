package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"

	truce "github.com/truce-project/truce"
)

// Evidence — photos, recordings, documents attached to observations — is kept by its SHA-256
// in a folder: the name of a file is the hash of its bytes, so a file cannot be changed
// without its name, and the name is what an observation's evidence list (and so the logged
// record) holds. Uploading the same bytes twice keeps one file.

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// maxEvidenceBytes bounds one uploaded file.
const maxEvidenceBytes = 256 << 20

func (s *Server) evidenceRoutes() {
	if s.opt.EvidenceDir == "" {
		return
	}
	s.mux.Handle("POST /api/v1/evidence", s.allow(submitters, s.postEvidence))
	s.mux.Handle("GET /api/v1/evidence/{sha256}", s.allow(insiders, s.getEvidence))
}

// postEvidence stores the body and answers with its hash, durable before the answer.
func (s *Server) postEvidence(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	tmp, err := os.CreateTemp(s.opt.EvidenceDir, ".upload-*")
	if err != nil {
		writeError(w, err)
		return
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), http.MaxBytesReader(w, r.Body, maxEvidenceBytes))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeErrorStatus(w, http.StatusRequestEntityTooLarge, truce.EINVALID, tooLarge(maxEvidenceBytes))
		return
	case err != nil:
		writeError(w, err)
		return
	case n == 0:
		writeError(w, truce.Errorf(truce.EINVALID, "the evidence file is empty"))
		return
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := os.Rename(tmp.Name(), filepath.Join(s.opt.EvidenceDir, sum)); err != nil {
		writeError(w, err)
		return
	}
	if d, err := os.Open(s.opt.EvidenceDir); err == nil {
		d.Sync() // the rename itself is durable
		d.Close()
	}
	writeJSON(w, http.StatusOK, map[string]any{"sha256": sum, "bytes": n})
}

func (s *Server) getEvidence(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	sum := r.PathValue("sha256")
	if !hexSHA256.MatchString(sum) {
		writeError(w, truce.Errorf(truce.EINVALID, "%q is not a lowercase hex SHA-256", sum))
		return
	}
	f, err := os.Open(filepath.Join(s.opt.EvidenceDir, sum))
	if errors.Is(err, fs.ErrNotExist) {
		writeError(w, truce.Errorf(truce.ENOTFOUND, "no evidence %s", sum))
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.Copy(w, f)
}
