package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	truce "github.com/truce-project/truce"
)

// getEvents streams server-sent events: "finding" for each new finding the caller may see and
// "observation" for each new observation (analysts and admins only); "review" for each review
// decision the caller may hear of (see reviewVisible), "notice" for each notice of the
// liaison channel (a liaison hears its party's, an observer the public ones), and "incident"
// for each change of an incident the caller may see (see PublishIncidents). Events of one stored
// observation go out together and the last carries the id "seq"; a client that reconnects with
// Last-Event-ID (or ?last_event_id=) resumes after it, from the store, so nothing is missed. A
// client that gives no id starts with what arrives next.
func (s *Server) getEvents(w http.ResponseWriter, r *http.Request, tok *truce.Token) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, truce.Errorf(truce.EINTERNAL, "streaming is not supported by this connection"))
		return
	}
	last := s.pipeline.Feed().Last()
	resume := r.Header.Get("Last-Event-ID")
	if resume == "" {
		resume = r.URL.Query().Get("last_event_id")
	}
	if resume != "" {
		n, err := strconv.ParseInt(resume, 10, 64)
		if err != nil || n < 0 {
			writeError(w, truce.Errorf(truce.EINVALID, "Last-Event-ID: %q is not an event id", resume))
			return
		}
		last = n
	}
	s.streams.Add(1)
	defer s.streams.Add(-1)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString("retry: 2000\n\n")
	bw.Flush()
	flusher.Flush()

	ctx := r.Context()
	feed := s.pipeline.Feed()
	// Review decisions arrive on their own goroutine; writes to the stream take mu, and once
	// the handler returns (ended is set) nothing more is written.
	var mu sync.Mutex
	ended := false
	defer func() {
		mu.Lock()
		ended = true
		mu.Unlock()
	}()
	reviews := s.reviews.subscribe()
	defer s.reviews.unsubscribe(reviews)
	notices := s.notices.subscribe()
	defer s.notices.unsubscribe(notices)
	incidents := s.incidents.subscribe()
	defer s.incidents.unsubscribe(incidents)
	go func() {
		for {
			var name string
			var v any
			select {
			case <-ctx.Done():
				return
			case f := <-reviews:
				if !reviewVisible(&f, tok) {
					continue
				}
				redact(&f, tok)
				name, v = "review", &f
			case n := <-notices:
				if !noticeVisible(&n, tok) {
					continue
				}
				name, v = "notice", &n
			case inc := <-incidents:
				if !incidentVisible(&inc, tok) {
					continue
				}
				s.redactIncident(r.Context(), &inc, tok)
				name, v = "incident", &inc
			}
			mu.Lock()
			if ended {
				mu.Unlock()
				return
			}
			writeSSE(bw, name, v, 0, false)
			if bw.Flush() == nil {
				flusher.Flush()
			}
			mu.Unlock()
		}
	}()
	var buf []truce.Event
	for {
		events, ok := feed.Since(buf[:0], last, 500)
		if !ok {
			var err error
			if events, err = s.store.Events(ctx, last, 500); err != nil {
				return
			}
		}
		buf = events
		mu.Lock()
		for i := range events {
			writeEvent(bw, &events[i], tok)
			last = events[i].Seq
		}
		if len(events) > 0 {
			if bw.Flush() != nil {
				mu.Unlock()
				return
			}
			flusher.Flush()
		}
		mu.Unlock()
		if len(events) == 500 {
			continue // more to catch up on
		}
		// Wait for news, with a keep-alive comment so proxies keep the connection open.
		wait, cancel := context.WithTimeout(ctx, s.opt.KeepAlive)
		_, more := feed.Wait(wait, last)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if !more {
			mu.Lock()
			_, err := bw.WriteString(": keep-alive\n\n")
			if err == nil {
				err = bw.Flush()
			}
			if err == nil {
				flusher.Flush()
			}
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

// writeEvent writes the events of e that tok may see; the last written carries e.Seq as id.
func writeEvent(bw *bufio.Writer, e *truce.Event, tok *truce.Token) {
	insider := tok.Role == truce.RoleAdmin || tok.Role == truce.RoleAnalyst
	// Events may be shared with other streams (the feed's ring): redact copies.
	var visibleFindings []*truce.Finding
	for i := range e.Findings {
		if visible(&e.Findings[i], tok) {
			f := e.Findings[i]
			redact(&f, tok)
			visibleFindings = append(visibleFindings, &f)
		}
	}
	for i, f := range visibleFindings {
		writeSSE(bw, "finding", f, e.Seq, !insider && i == len(visibleFindings)-1)
	}
	if insider {
		writeSSE(bw, "observation", e.Observation, e.Seq, true)
	}
}

func writeSSE(bw *bufio.Writer, event string, v any, seq int64, withID bool) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	bw.WriteString("event: ")
	bw.WriteString(event)
	bw.WriteString("\ndata: ")
	bw.Write(data)
	if withID {
		bw.WriteString("\nid: ")
		bw.WriteString(strconv.FormatInt(seq, 10))
	}
	bw.WriteString("\n\n")
}
