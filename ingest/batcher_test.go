package ingest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ingest"
)

func TestBatcherStoresEverythingAddedAndTellsRefusals(t *testing.T) {
	p, db, _ := setup(t, ingest.Options{})
	var errs []error
	b := p.NewBatcher(7, 20*time.Millisecond, func(err error) { errs = append(errs, err) })
	for i := 0; i < 100; i++ {
		b.Add(obs(fmt.Sprintf("s%d", i)))
	}
	b.Add(obs("s3")) // a duplicate
	bad := obs("bad")
	bad.Kind = "presence.tank"
	b.Add(bad)
	b.Close()
	stored, dups, refused := b.Counts()
	if stored != 100 || dups != 1 || refused != 1 || len(errs) != 1 {
		t.Errorf("stored %d, duplicates %d, refused %d, errors %v", stored, dups, refused, errs)
	}
	p.Close()
	got, _, _ := db.Observations(context.Background(), truce.ObservationFilter{Limit: 1000})
	if len(got) != 100 {
		t.Errorf("%d stored", len(got))
	}
}
