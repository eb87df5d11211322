package ingest

import (
	"context"
	"sync"
)

// Feed tells the live picture that events up to some sequence number are stored. Readers
// fetch the events themselves from the store, so that a slow reader never holds up the
// writer and a reader that falls behind simply reads more at once: nothing is dropped.
type Feed struct {
	mu     sync.Mutex
	last   int64
	wake   chan struct{} // closed and replaced on every publish
	closed bool
}

func newFeed(last int64) *Feed { return &Feed{last: last, wake: make(chan struct{})} }

func (f *Feed) publish(seq int64) {
	f.mu.Lock()
	if seq > f.last {
		f.last = seq
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
