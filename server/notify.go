package server

import (
	"context"
	"sync"

	truce "github.com/truce-project/truce"
)

// notifiers is the one point where the liaison channel's notices leave the server: each
// notice a request makes (a finding concerning a party verified or withdrawn, and the notices
// of the liaison channel) is handed to every notifier once the change that made it is durable.
type notifiers struct {
	mu   sync.RWMutex
	list []truce.Notifier
}

// AddNotifier adds n to the notifiers told of every notice from now on (as Options.Notifiers,
// for parts that start after the server is built).
func (s *Server) AddNotifier(n truce.Notifier) {
	s.notifiers.mu.Lock()
	s.notifiers.list = append(s.notifiers.list, n)
	s.notifiers.mu.Unlock()
}

// notify hands n to every notifier. The context does not end with the request that made the
// notice, so a notifier may keep it for work it finishes later.
func (s *Server) notify(ctx context.Context, n truce.Notice) {
	ctx = context.WithoutCancel(ctx)
	s.notifiers.mu.RLock()
	list := s.notifiers.list
	s.notifiers.mu.RUnlock()
	for _, to := range list {
		to.Notify(ctx, n)
	}
}
