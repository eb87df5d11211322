package sqlite

import (
	"context"
	"sync"
	"testing"

	"github.com/truce-project/truce"
)

func TestConcurrentWritersAndReadersSeeWholeBatches(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	const writers, batches, size = 4, 5, 100
	var wg sync.WaitGroup
	seqs := make([][]int64, writers)
	errs := make(chan error, writers*batches+writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				_, seq, err := db.Ingest(ctx, judged((w*batches+b)*size, size))
				if err != nil {
					errs <- err
					return
				}
				seqs[w] = append(seqs[w], seq...)
			}
		}(w)
	}
	// Readers meanwhile must only ever see whole batches: a multiple of size observations.
	done := make(chan struct{})
	var readers sync.WaitGroup
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				events, err := db.Events(ctx, 0, 1000)
				if err != nil {
					errs <- err
					return
				}
				if len(events)%size != 0 {
					errs <- truce.Errorf(truce.EINTERNAL, "a reader saw %d events, not whole batches of %d", len(events), size)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[int64]bool{}
	for _, s := range seqs {
		for _, q := range s {
			if q == 0 || seen[q] {
				t.Fatalf("seq %d given twice or to a stored observation as 0", q)
			}
			seen[q] = true
		}
	}
	if len(seen) != writers*batches*size || count(t, db, "observations") != writers*batches*size {
		t.Errorf("%d seqs and %d observations, want %d", len(seen), count(t, db, "observations"), writers*batches*size)
	}
}
