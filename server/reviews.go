package server

import (
	"sync"

	truce "github.com/truce-project/truce"
)

// reviewHub hands each review decision to the open event streams, which tell their callers
// as a "review" event: analysts see every change, a party's liaisons the findings concerning
// their party once verified (the liaison channel's notification), observers what is verified.
// Review events carry no event id: a stream that reconnects does not replay them, and the
// finding's current state is always at GET /api/v1/findings/{id}.
type reviewHub struct {
	mu   sync.Mutex
	subs map[chan truce.Finding]struct{}
}

func newReviewHub() *reviewHub { return &reviewHub{subs: map[chan truce.Finding]struct{}{}} }

func (h *reviewHub) subscribe() chan truce.Finding {
	ch := make(chan truce.Finding, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

func (h *reviewHub) unsubscribe(ch chan truce.Finding) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

// publish offers f to every stream; a stream whose buffer is full misses it rather than hold
// up the analyst's request (its caller can read the finding's state at any time).
func (h *reviewHub) publish(f truce.Finding) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- f:
		default:
		}
	}
}

// reviewVisible reports whether a stream of tok is told of a review that left f as it is.
func reviewVisible(f *truce.Finding, tok *truce.Token) bool {
	switch tok.Role {
	case truce.RoleAdmin, truce.RoleAnalyst:
		return true
	case truce.RoleLiaison:
		return f.Party == tok.Party && f.Review == truce.ReviewVerified
	case truce.RoleObserver:
		return f.Review == truce.ReviewVerified
	}
	return false
}
