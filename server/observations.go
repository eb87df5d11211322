package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/decode"
)

// ingestReply is the answer to POST /api/v1/observations (a contract: other tools read it).
type ingestReply struct {
	Accepted     int         `json:"accepted"`
	Duplicates   int         `json:"duplicates"`
	DuplicateIDs []string    `json:"duplicate_ids,omitempty"`
	Rejected     []rejection `json:"rejected"`
}

type rejection struct {
	Line  int    `json:"line"`
	ID    string `json:"id,omitempty"`
	Error string `json:"error"`
}

// postObservations decodes the body by its Content-Type, judges every good record, and answers
// once the accepted ones are durable, listing each rejected record with its line and reason.
func (s *Server) postObservations(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	format, err := decode.FormatOfContentType(r.Header.Get("Content-Type"))
	if err != nil {
		writeErrorStatus(w, http.StatusUnsupportedMediaType, truce.EINVALID, truce.ErrorMessage(err))
		return
	}
	if r.ContentLength > s.opt.MaxBodyBytes {
		writeErrorStatus(w, http.StatusRequestEntityTooLarge, truce.EINVALID, tooLarge(s.opt.MaxBodyBytes))
		return
	}
	body := http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes)
	source := tok.Name
	if source == "" {
		source = "token:" + tok.ID
	}
	reply := ingestReply{Rejected: []rejection{}}
	var batch []truce.Judged
	err = decode.Read(body, format, decode.Options{Source: source, KeepRaw: true}, func(line int, o *truce.Observation, rerr *decode.RecordError) error {
		if rerr != nil {
			reply.Rejected = append(reply.Rejected, rejection{Line: line, ID: rerr.ID, Error: recordMessage(rerr)})
			return nil
		}
		if err := s.pipeline.Check(o); err != nil {
			reply.Rejected = append(reply.Rejected, rejection{Line: line, ID: o.ID, Error: truce.ErrorMessage(err)})
			return nil
		}
		batch = s.pipeline.JudgeInto(batch, o)
		return nil
	})
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		writeErrorStatus(w, http.StatusRequestEntityTooLarge, truce.EINVALID, tooLarge(s.opt.MaxBodyBytes))
		return
	case err != nil:
		// The body could not be read any further (a broken JSON array, a CSV header with an
		// unknown column): nothing of it is stored, so that a resend of the fixed body is clean.
		writeError(w, truce.Errorf(truce.EINVALID, "%s", truce.ErrorMessage(err)))
		return
	}
	s.pipeline.Stats().Rejected(len(reply.Rejected))
	dup, err := s.pipeline.Submit(r.Context(), batch)
	if err != nil {
		writeError(w, err)
		return
	}
	for i, d := range dup {
		if d {
			reply.Duplicates++
			reply.DuplicateIDs = append(reply.DuplicateIDs, batch[i].Observation.ID)
		} else {
			reply.Accepted++
		}
	}
	writeJSON(w, http.StatusOK, reply)
}

func tooLarge(limit int64) string {
	return "the request body is larger than the limit of " + strconv.FormatInt(limit, 10) + " bytes; send smaller batches"
}

// recordMessage is a record error without the "line N" the reply already carries.
func recordMessage(e *decode.RecordError) string {
	if e.Field != "" {
		return e.Field + ": " + e.Msg
	}
	return e.Msg
}

type observationsReply struct {
	Observations []truce.Observation `json:"observations"`
	Next         string              `json:"next,omitempty"`
}

func (s *Server) getObservations(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	q := r.URL.Query()
	f := truce.ObservationFilter{Kind: q.Get("kind"), Source: q.Get("source"), Party: q.Get("party"), Cursor: q.Get("cursor")}
	var err error
	if f.From, f.To, f.BBox, f.Limit, err = listWindow(q); err != nil {
		writeError(w, err)
		return
	}
	obs, next, err := s.store.Observations(r.Context(), f)
	if err != nil {
		writeError(w, err)
		return
	}
	if obs == nil {
		obs = []truce.Observation{}
	}
	writeJSON(w, http.StatusOK, observationsReply{Observations: obs, Next: next})
}

// listWindow reads what every list endpoint takes alike from its query: the time range
// (from, to), the box (bbox) and the page size (limit).
func listWindow(q url.Values) (from, to time.Time, bbox *truce.BBox, limit int, err error) {
	if from, to, err = timeRange(q.Get("from"), q.Get("to")); err != nil {
		return
	}
	if bbox, err = parseBBox(q.Get("bbox")); err != nil {
		return
	}
	limit, err = parseLimit(q.Get("limit"))
	return
}

func timeRange(from, to string) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if from != "" {
		if f, err = time.Parse(time.RFC3339, from); err != nil {
			return f, t, truce.Errorf(truce.EINVALID, "from: %q is not an RFC 3339 time", from)
		}
	}
	if to != "" {
		if t, err = time.Parse(time.RFC3339, to); err != nil {
			return f, t, truce.Errorf(truce.EINVALID, "to: %q is not an RFC 3339 time", to)
		}
	}
	return f, t, nil
}

// parseBBox reads "minLon,minLat,maxLon,maxLat".
func parseBBox(s string) (*truce.BBox, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, truce.Errorf(truce.EINVALID, "bbox: want minLon,minLat,maxLon,maxLat")
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, truce.Errorf(truce.EINVALID, "bbox: %q is not a number", p)
		}
		v[i] = f
	}
	b := &truce.BBox{MinLon: v[0], MinLat: v[1], MaxLon: v[2], MaxLat: v[3]}
	if b.MinLon > b.MaxLon || b.MinLat > b.MaxLat || b.MinLat < -90 || b.MaxLat > 90 || b.MinLon < -180 || b.MaxLon > 180 {
		return nil, truce.Errorf(truce.EINVALID, "bbox: %q is not a box of minLon,minLat,maxLon,maxLat on Earth", s)
	}
	return b, nil
}

func parseLimit(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, truce.Errorf(truce.EINVALID, "limit: %q is not a positive whole number", s)
	}
	return n, nil
}

// getSources lists the monitors, sensors and feeds that have reported.
func (s *Server) getSources(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	list, err := s.store.Sources(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	if list == nil {
		list = []truce.Source{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": list})
}
