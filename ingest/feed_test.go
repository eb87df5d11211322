package ingest

import (
	"testing"

	truce "github.com/truce-project/truce"
)

func events(from, to int64) []truce.Event {
	var out []truce.Event
	for s := from; s <= to; s++ {
		out = append(out, truce.Event{Seq: s})
	}
	return out
}

func TestFeedServesRecentEventsFromMemoryAndSendsLaggardsToTheStore(t *testing.T) {
	f := newFeed(10) // the store already held 10 events when the feed started
	if _, ok := f.Since(nil, 5, 100); ok {
		t.Error("events from before the feed started came from memory")
	}
	f.publish(events(11, 20))
	got, ok := f.Since(nil, 14, 3)
	if !ok || len(got) != 3 || got[0].Seq != 15 || got[2].Seq != 17 {
		t.Errorf("Since(14, 3) = %v, %v", got, ok)
	}
	if got, ok := f.Since(nil, 20, 10); !ok || len(got) != 0 {
		t.Errorf("caught up: %v, %v", got, ok)
	}
	f.publish(events(21, 20+feedRing))
	if _, ok := f.Since(nil, 19, 10); ok {
		t.Error("an event the ring overwrote came from memory")
	}
	if got, ok := f.Since(nil, 21, 1); !ok || got[0].Seq != 22 {
		t.Errorf("oldest held: %v, %v", got, ok)
	}
	// Another process wrote seqs the ring never saw: older readers must go to the store.
	f.publish(events(feedRing+100, feedRing+101))
	if _, ok := f.Since(nil, 22, 10); ok {
		t.Error("a reader behind a gap was served from memory")
	}
	if got, ok := f.Since(nil, feedRing+100, 10); !ok || len(got) != 1 {
		t.Errorf("after the gap: %v, %v", got, ok)
	}
	if f.Last() != feedRing+101 {
		t.Errorf("last %d", f.Last())
	}
}
