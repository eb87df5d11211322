package ingest

import (
	"context"

	truce "github.com/truce-project/truce"
)

// Follow calls fn with the events stored after seq from, in order, a chunk at a time, and
// then with each new chunk as the pipeline stores it, until ctx ends (it then returns nil) or
// reading the store fails. Events still in the feed's memory come from there, older ones from
// store. fn runs on the caller's goroutine and must not keep the slice.
func (p *Pipeline) Follow(ctx context.Context, store truce.Store, from int64, fn func([]truce.Event)) error {
	feed := p.Feed()
	last := from
	var buf []truce.Event
	for {
		events, ok := feed.Since(buf[:0], last, 1000)
		if !ok {
			var err error
			if events, err = store.Events(ctx, last, 1000); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		buf = events
		if len(events) > 0 {
			fn(events)
			last = events[len(events)-1].Seq
			continue
		}
		if _, more := feed.Wait(ctx, last); !more {
			return nil
		}
	}
}
