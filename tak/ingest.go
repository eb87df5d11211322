package tak

import (
	"context"
	"sync"
	"time"

	truce "github.com/truce-project/truce"
)

// submitters is how many batches may be in the pipeline at once. The pipeline commits
// concurrent batches together, so a few in flight keep its writer busy while the next batch
// gathers.
const submitters = 4

// ingester gathers judged observations from every connection into batches and submits them.
// A full ingester makes add wait, which stops the readers and so, through TCP, the devices:
// nothing read is ever dropped for want of room.
type ingester struct {
	s       *Server
	in      chan truce.Judged
	batches chan []truce.Judged
	wg      sync.WaitGroup
}

func newIngester(s *Server) *ingester {
	g := &ingester{s: s, in: make(chan truce.Judged, 4*s.opt.MaxBatch), batches: make(chan []truce.Judged)}
	g.wg.Add(1 + submitters)
	go g.gather()
	for range submitters {
		go g.submitLoop()
	}
	return g
}

func (g *ingester) add(j truce.Judged) { g.in <- j }

// close submits what is left and waits until every batch is stored or logged as lost.
func (g *ingester) close() {
	close(g.in)
	g.wg.Wait()
}

// gather makes batches of what the readers add. A batch is submitted when it holds MaxBatch
// observations, or when none has come for BatchDelay, or at the latest ten BatchDelays after
// its first: a burst of markers from a device, which its reader hands over in pieces as the
// reads bring them, goes into the store in one commit rather than one commit waiting behind
// another, and a marker alone waits BatchDelay.
func (g *ingester) gather() {
	defer g.wg.Done()
	defer close(g.batches)
	delay := g.s.opt.BatchDelay
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var (
		batch       []truce.Judged
		first, last time.Time
	)
	for {
		if len(batch) == 0 {
			j, ok := <-g.in
			if !ok {
				return
			}
			batch = append(batch, j)
			first = time.Now()
			last = first
			timer.Reset(delay)
		}
		select {
		case j, ok := <-g.in:
			if !ok {
				g.batches <- batch
				return
			}
			batch = append(batch, j)
			last = time.Now()
			if len(batch) >= g.s.opt.MaxBatch {
				timer.Stop()
				g.batches <- batch
				batch = nil
			}
		case <-timer.C:
			due := last.Add(delay)
			if limit := first.Add(10 * delay); limit.Before(due) {
				due = limit
			}
			if wait := time.Until(due); wait > 0 {
				timer.Reset(wait)
				continue
			}
			g.batches <- batch
			batch = nil
		}
	}
}

func (g *ingester) submitLoop() {
	defer g.wg.Done()
	for b := range g.batches {
		g.submit(b)
	}
}

// submit stores a batch, retrying while the pipeline is busy (EUNAVAILABLE) for up to
// Options.RetryFor. A batch that still fails is logged with its size and first observation.
func (g *ingester) submit(b []truce.Judged) {
	st := &g.s.st
	deadline := time.Now().Add(g.s.opt.RetryFor)
	backoff := 10 * time.Millisecond
	for {
		dup, err := g.s.opt.Pipe.Submit(context.Background(), b)
		if err == nil {
			n := 0
			for _, d := range dup {
				if d {
					n++
				}
			}
			st.duplicates.Add(int64(n))
			st.stored.Add(int64(len(b) - n))
			return
		}
		if left := time.Until(deadline); truce.ErrorCode(err) == truce.EUNAVAILABLE && left > 0 {
			time.Sleep(min(backoff, left))
			backoff = min(2*backoff, 500*time.Millisecond)
			continue
		}
		st.lost.Add(int64(len(b)))
		o := b[0].Observation
		g.s.log.Error("tak: observations could not be stored", "count", len(b), "first_source", o.Source, "first_id", o.ID, "err", err)
		return
	}
}
