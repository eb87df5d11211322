package ingest

import (
	"context"
	"sync"

	truce "github.com/truce-project/truce"
)

// feedRing is how many of the newest events the feed keeps in memory. A reader that is less
// than this far behind is served from memory; one further behind (a client resuming after a
// long absence) reads from the store.
const feedRing = 1 << 16

// Feed tells the live picture what has been stored. It keeps the newest events in a ring so
// that live readers need not read back from the store what the writer has just written; a
// reader that falls further behind than the ring reads from the store instead, so a slow
// reader never holds up the writer and nothing is missed.
type Feed struct {
	mu     sync.Mutex
	last   int64
	wake   chan struct{} // closed and replaced on every publish
	closed bool
	ring   []truce.Event // ring[seq % len(ring)] holds event seq, for seqs in (last-len(ring), last]
	held   int64         // how many of the newest seqs the ring holds (up to len(ring))
}

func newFeed(last int64) *Feed {
	return &Feed{last: last, wake: make(chan struct{}), ring: make([]truce.Event, feedRing)}
}

// publish adds newly stored events, in seq order, and wakes the readers.
func (f *Feed) publish(events []truce.Event) {
	if len(events) == 0 {
		return
	}
	f.mu.Lock()
	for _, e := range events {
		if e.Seq != f.last+1 {
			// A gap (another process wrote to the store): what the ring holds no longer runs
			// without a break up to e, so readers behind e go to the store.
			f.held = 0
		}
		f.ring[e.Seq%int64(len(f.ring))] = e
		f.last = e.Seq
		f.held = min(f.held+1, int64(len(f.ring)))
	}
	close(f.wake)
	f.wake = make(chan struct{})
	f.mu.Unlock()
}

func (f *Feed) close() {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.wake)
	}
	f.mu.Unlock()
}

// Last is the newest stored sequence number.
func (f *Feed) Last() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// Since appends to dst up to max events with Seq > after, from memory. ok is false when the
// ring no longer holds the event after `after`: the caller must read from the store.
func (f *Feed) Since(dst []truce.Event, after int64, max int) (events []truce.Event, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if after >= f.last {
		return dst, true
	}
	if after < f.last-f.held {
		return dst, false
	}
	for s := after + 1; s <= f.last && len(dst) < max; s++ {
		dst = append(dst, f.ring[s%int64(len(f.ring))])
	}
	return dst, true
}

// Wait blocks until an event after seq is stored, the feed closes or ctx ends. It returns the
// newest sequence number and whether the caller should go on (false once closed or cancelled).
func (f *Feed) Wait(ctx context.Context, seq int64) (int64, bool) {
	for {
		f.mu.Lock()
		last, wake, closed := f.last, f.wake, f.closed
		f.mu.Unlock()
		if last > seq {
			return last, true
		}
		if closed {
			return last, false
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return last, false
		}
	}
}
