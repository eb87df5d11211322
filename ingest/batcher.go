package ingest

import (
	"context"
	"sync"
	"time"

	truce "github.com/truce-project/truce"
)

// Batcher gathers observations from a streaming source (an AIS feed, a TAK connection) into
// batches for Submit: a batch goes when it holds MaxBatch observations or MaxDelay after its
// first arrived. A full queue (EUNAVAILABLE) is retried until the batcher is closed, and
// while a batch waits, Add blocks once MaxPending observations are held: back-pressure on the
// source rather than loss.
type Batcher struct {
	p        *Pipeline
	maxBatch int
	maxDelay time.Duration
	onError  func(error)

	mu      sync.Mutex
	cond    *sync.Cond
	pending []truce.Judged
	closed  bool
	done    chan struct{}
	// refused counts observations that failed Check; stored and duplicates what Submit did.
	refused, stored, duplicates int64
}

// NewBatcher starts a batcher on p. onError (may be nil) hears of refused observations and
// failed batches.
func (p *Pipeline) NewBatcher(maxBatch int, maxDelay time.Duration, onError func(error)) *Batcher {
	if maxBatch <= 0 {
		maxBatch = 500
	}
	if maxDelay <= 0 {
		maxDelay = 200 * time.Millisecond
	}
	b := &Batcher{p: p, maxBatch: maxBatch, maxDelay: maxDelay, onError: onError, done: make(chan struct{})}
	b.cond = sync.NewCond(&b.mu)
	go b.run()
	return b
}

// Add checks, judges and queues o. It blocks while 4×MaxBatch observations wait.
func (b *Batcher) Add(o *truce.Observation) {
	if err := b.p.Check(o); err != nil {
		b.mu.Lock()
		b.refused++
		b.mu.Unlock()
		if b.onError != nil {
			b.onError(truce.Errorf(truce.EINVALID, "observation %q of %q: %s", o.ID, o.Source, truce.ErrorMessage(err)))
		}
		return
	}
	judged := []truce.Judged{{Observation: o, Findings: b.p.judge.Judge(o, nil)}}
	judged[0].EncodeAttrs()
	if b.p.opt.Prepare != nil {
		// Here, in the caller's goroutine, many callers prepare in parallel; Submit, in the
		// batcher's one goroutine, then finds the batch prepared.
		b.p.opt.Prepare(judged)
	}
	b.mu.Lock()
	for len(b.pending) >= 4*b.maxBatch && !b.closed {
		b.cond.Wait()
	}
	b.pending = append(b.pending, judged[0])
	b.cond.Broadcast()
	b.mu.Unlock()
}

func (b *Batcher) run() {
	defer close(b.done)
	for {
		b.mu.Lock()
		for len(b.pending) == 0 && !b.closed {
			b.cond.Wait()
		}
		if len(b.pending) == 0 && b.closed {
			b.mu.Unlock()
			return
		}
		// Wait for a full batch, at most maxDelay after the first observation arrived.
		deadline := time.Now().Add(b.maxDelay)
		for len(b.pending) < b.maxBatch && !b.closed && time.Now().Before(deadline) {
			b.mu.Unlock()
			time.Sleep(min(10*time.Millisecond, time.Until(deadline)))
			b.mu.Lock()
		}
		n := min(len(b.pending), b.maxBatch)
		batch := append([]truce.Judged(nil), b.pending[:n]...)
		b.pending = b.pending[n:]
		b.cond.Broadcast()
		b.mu.Unlock()
		b.submit(batch)
	}
}

func (b *Batcher) submit(batch []truce.Judged) {
	for {
		dup, err := b.p.Submit(context.Background(), batch)
		if truce.ErrorCode(err) == truce.EUNAVAILABLE && !b.p.isClosed() {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			if b.onError != nil {
				b.onError(err)
			}
			return
		}
		b.mu.Lock()
		for _, d := range dup {
			if d {
				b.duplicates++
			} else {
				b.stored++
			}
		}
		b.mu.Unlock()
		return
	}
}

// Close submits what is pending and waits for it to be stored.
func (b *Batcher) Close() {
	b.mu.Lock()
	b.closed = true
	b.cond.Broadcast()
	b.mu.Unlock()
	<-b.done
}

// Counts returns the batcher's counters.
func (b *Batcher) Counts() (stored, duplicates, refused int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stored, b.duplicates, b.refused
}
