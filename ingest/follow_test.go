package ingest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ingest"
)

// TestFollowHandsOverWhatIsStoredThenWhatComes stores a batch before following and one after,
// and checks the follower sees both, in order, each once.
func TestFollowHandsOverWhatIsStoredThenWhatComes(t *testing.T) {
	p, db, _ := setup(t, ingest.Options{})
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := p.Submit(ctx, batch(p, "f1", "f2")); err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- p.Follow(ctx, db, 0, func(events []truce.Event) {
			for _, e := range events {
				seen <- fmt.Sprintf("%d:%s", e.Seq, e.Observation.ID)
			}
		})
	}()
	if _, err := p.Submit(ctx, batch(p, "f3")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1:f1", "2:f2", "3:f3"} {
		select {
		case got := <-seen:
			if got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("no %s within 3 s", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Follow returned %v after its context ended", err)
	}
}
