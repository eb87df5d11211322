package server

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	truce "github.com/truce-project/truce"
)

// Log is the mission's tamper-evident record as the API serves it (package ledger keeps it;
// cmd/truce adapts it). Sizes and indexes count records from zero.
type Log interface {
	// Checkpoint returns the latest signed checkpoint note with the cosignatures witnesses
	// have posted for it. Errors: ENOTFOUND while the log is empty.
	Checkpoint(ctx context.Context) ([]byte, error)
	// SignCheckpoint signs a checkpoint of the log now, if it has grown since the last one.
	SignCheckpoint(ctx context.Context) error
	// InclusionProof proves that record index is in the tree of size records.
	InclusionProof(ctx context.Context, index, size int64) (tlog.RecordProof, error)
	// ConsistencyProof proves that the tree of from records is a prefix of the tree of to.
	ConsistencyProof(ctx context.Context, from, to int64) (tlog.TreeProof, error)
	// Entries returns the canonical encodings of records start to end-1.
	Entries(ctx context.Context, start, end int64) ([][]byte, error)
	// LeafHashes returns the tree's stored leaf hashes of records start to end-1.
	LeafHashes(ctx context.Context, start, end int64) ([]tlog.Hash, error)
	// AddCosignature keeps a witness's cosignature: note is a checkpoint the mission signed,
	// with the witness's signature added. Errors: EINVALID when the mission's signature does
	// not verify or the checkpoint is not one the mission published.
	AddCosignature(ctx context.Context, note []byte) error
}

// maxEntries is the most records one GET /log/entries returns.
const maxEntries = 1000

func (s *Server) logRoutes() {
	if s.opt.Log == nil {
		return
	}
	// Checkpoints and proofs reveal nothing of the records: anyone with a token may check them.
	// Entries are the records themselves, sources included: the mission's insiders only (the
	// parties verify exports the mission hands them).
	everyone := []truce.Role{truce.RoleAdmin, truce.RoleMonitor, truce.RoleAnalyst, truce.RoleLiaison, truce.RoleObserver}
	witnesses := []truce.Role{truce.RoleAdmin, truce.RoleLiaison, truce.RoleObserver}
	s.mux.Handle("GET /api/v1/log/checkpoint", s.allow(everyone, s.getCheckpoint))
	// A checkpoint on demand, before a report or an export, without waiting for the next one.
	s.mux.Handle("POST /api/v1/log/checkpoint", s.allow(insiders, s.postCheckpoint))
	s.mux.Handle("GET /api/v1/log/proof/inclusion", s.allow(everyone, s.getInclusion))
	s.mux.Handle("GET /api/v1/log/proof/consistency", s.allow(everyone, s.getConsistency))
	s.mux.Handle("GET /api/v1/log/entries", s.allow(insiders, s.getEntries))
	// The leaf hashes are what an export made from the server carries beside the records,
	// so that verify can name a record altered in the mission's database.
	s.mux.Handle("GET /api/v1/log/leaves", s.allow(insiders, s.getLeaves))
	s.mux.Handle("POST /api/v1/log/cosignature", s.allow(witnesses, s.postCosignature))
}

func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request, _ *truce.Token) {
	note, err := s.opt.Log.Checkpoint(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(note)
}

// postCheckpoint signs a checkpoint of the log as it is now (if it has grown) and answers with
// the latest, as GET does.
func (s *Server) postCheckpoint(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	if err := s.opt.Log.SignCheckpoint(r.Context()); err != nil {
		writeError(w, err)
		return
	}
	s.getCheckpoint(w, r, tok)
}

type proofReply struct {
	Index int64    `json:"index,omitempty"`
	Size  int64    `json:"size,omitempty"`
	From  int64    `json:"from,omitempty"`
	To    int64    `json:"to,omitempty"`
	Proof []string `json:"proof"` // base64 hashes, leaf to root
}

func hashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// intParams reads the named non-negative integer query parameters.
func intParams(r *http.Request, names ...string) ([]int64, error) {
	out := make([]int64, len(names))
	for i, n := range names {
		v := r.URL.Query().Get(n)
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil || x < 0 {
			return nil, truce.Errorf(truce.EINVALID, "%s: %q is not a whole number, 0 or more", n, v)
		}
		out[i] = x
	}
	return out, nil
}

func (s *Server) getInclusion(w http.ResponseWriter, r *http.Request, _ *truce.Token) {
	p, err := intParams(r, "index", "size")
	if err == nil {
		var proof tlog.RecordProof
		if proof, err = s.opt.Log.InclusionProof(r.Context(), p[0], p[1]); err == nil {
			writeJSON(w, http.StatusOK, proofReply{Index: p[0], Size: p[1], Proof: hashes(proof)})
			return
		}
	}
	writeError(w, err)
}

func (s *Server) getConsistency(w http.ResponseWriter, r *http.Request, _ *truce.Token) {
	p, err := intParams(r, "from", "to")
	if err == nil {
		var proof tlog.TreeProof
		if proof, err = s.opt.Log.ConsistencyProof(r.Context(), p[0], p[1]); err == nil {
			writeJSON(w, http.StatusOK, proofReply{From: p[0], To: p[1], Proof: hashes(proof)})
			return
		}
	}
	writeError(w, err)
}

// getEntries streams records start to end-1 (at most maxEntries) as their canonical
// encodings, one per line: exactly the bytes the log hashes.
func (s *Server) getEntries(w http.ResponseWriter, r *http.Request, _ *truce.Token) {
	p, err := intParams(r, "start", "end")
	if err == nil && (p[1] < p[0] || p[1]-p[0] > maxEntries) {
		err = truce.Errorf(truce.EINVALID, "end must be from start to start+%d", maxEntries)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	entries, err := s.opt.Log.Entries(r.Context(), p[0], p[1])
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	for _, e := range entries {
		w.Write(e)
		w.Write([]byte{'\n'})
	}
}

// leavesReply is the body of GET /log/leaves.
type leavesReply struct {
	Start  int64    `json:"start"`
	Leaves []string `json:"leaves"` // base64 leaf hashes of records start, start+1, ...
}

// getLeaves serves the tree's stored leaf hashes of records start to end-1 (at most
// maxEntries).
func (s *Server) getLeaves(w http.ResponseWriter, r *http.Request, _ *truce.Token) {
	p, err := intParams(r, "start", "end")
	if err == nil && (p[1] < p[0] || p[1]-p[0] > maxEntries) {
		err = truce.Errorf(truce.EINVALID, "end must be from start to start+%d", maxEntries)
	}
	var leaves []tlog.Hash
	if err == nil {
		leaves, err = s.opt.Log.LeafHashes(r.Context(), p[0], p[1])
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, leavesReply{Start: p[0], Leaves: hashes(leaves)})
}

func (s *Server) postCosignature(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	note, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		writeErrorStatus(w, http.StatusRequestEntityTooLarge, truce.EINVALID, "a cosigned checkpoint is a few hundred bytes; this body is too large")
		return
	}
	if err := s.opt.Log.AddCosignature(r.Context(), note); err != nil {
		writeError(w, err)
		return
	}
	s.audit(r, tok, "POST /api/v1/log/cosignature", "allowed", "")
	writeJSON(w, http.StatusOK, map[string]string{"status": "kept"})
}
