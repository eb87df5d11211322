package server

import (
	"context"
	"sync"
	"time"

	truce "github.com/truce-project/truce"
)

// notifiers is the one point where the liaison channel's notices leave the server. The store
// makes each notice in the transaction of the change that causes it (a finding verified or
// withdrawn, a party's response, the mission's answer, a request overdue); the server then
// reads the notices it has not yet handed on, in order, and hands each to every notifier and
// to the open event streams.
type notifiers struct {
	mu   sync.RWMutex
	list []truce.Notifier

	pump sync.Mutex // one pump at a time, so that notices go out once and in order
	last int64      // the sequence number of the last notice handed on
}

// AddNotifier adds n to the notifiers told of every notice from now on (as Options.Notifiers,
// for parts that start after the server is built).
func (s *Server) AddNotifier(n truce.Notifier) {
	s.notifiers.mu.Lock()
	s.notifiers.list = append(s.notifiers.list, n)
	s.notifiers.mu.Unlock()
}

// notify hands n to every notifier and stream. The context does not end with the request that
// made the notice, so a notifier may keep it for work it finishes later.
func (s *Server) notify(ctx context.Context, n truce.Notice) {
	ctx = context.WithoutCancel(ctx)
	s.notifiers.mu.RLock()
	list := s.notifiers.list
	s.notifiers.mu.RUnlock()
	for _, to := range list {
		to.Notify(ctx, n)
	}
	s.notices.publish(n)
}

// pumpNotices hands on the notices the store made since the last it handed on. Notices made
// before the server started are not handed on (webhooks have them in their outbox).
func (s *Server) pumpNotices(ctx context.Context) {
	s.notifiers.pump.Lock()
	defer s.notifiers.pump.Unlock()
	for {
		list, next, err := s.store.Notices(ctx, s.notifiers.last, 500)
		if err != nil {
			return // the next change, or Watch, tries again
		}
		for _, n := range list {
			s.notify(ctx, n)
		}
		s.notifiers.last = next
		if len(list) < 500 {
			return
		}
	}
}

// Watch flags inspection requests as they become overdue (a NoticeRequestOverdue each) and
// hands on any notice not yet handed on, every interval until ctx ends.
func (s *Server) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.MarkOverdue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// MarkOverdue makes the notices of the inspection requests overdue at the server's clock and
// hands them on; it returns how many became overdue.
func (s *Server) MarkOverdue(ctx context.Context) (int, error) {
	n, err := s.store.MarkOverdue(ctx, s.now())
	s.pumpNotices(ctx)
	return n, err
}

// noticeVisible reports whether a stream of tok is told notice n.
func noticeVisible(n *truce.Notice, tok *truce.Token) bool {
	switch tok.Role {
	case truce.RoleAdmin, truce.RoleAnalyst:
		return true
	case truce.RoleLiaison:
		return n.Party == tok.Party
	case truce.RoleObserver:
		return n.Public
	}
	return false
}

// hub hands values to the open event streams; a stream whose buffer is full misses one rather
// than hold up the request that made it (the stream's caller can read the state at any time).
type hub[T any] struct {
	mu   sync.Mutex
	subs map[chan T]struct{}
}

func newHub[T any]() *hub[T] { return &hub[T]{subs: map[chan T]struct{}{}} }

func (h *hub[T]) subscribe() chan T {
	ch := make(chan T, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

func (h *hub[T]) unsubscribe(ch chan T) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

func (h *hub[T]) publish(v T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- v:
		default:
		}
	}
}
