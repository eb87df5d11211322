package ingest_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/sqlite"
)

var clock = time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)

func setup(t *testing.T, opt ingest.Options) (*ingest.Pipeline, *sqlite.DB, string) {
	t.Helper()
	a, err := agreement.Load(filepath.Join("..", "examples", "notional-east"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := rules.Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "truce.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	opt.Now = func() time.Time { return clock }
	p, err := ingest.New(j, db, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return p, db, path
}

func obs(id string) *truce.Observation {
	return &truce.Observation{ID: id, Source: "test", Time: clock.Add(-time.Hour), Kind: "presence.vehicle", Lat: 47.64884, Lon: 36.35962, Party: "east"}
}

func batch(p *ingest.Pipeline, ids ...string) []truce.Judged {
	var b []truce.Judged
	for _, id := range ids {
		b = p.JudgeInto(b, obs(id))
	}
	return b
}

func TestCheckRefusesWhatDependsOnTheClock(t *testing.T) {
	p, _, _ := setup(t, ingest.Options{MaxFuture: 5 * time.Minute})
	defer p.Close()
	o := obs("x")
	o.Time = clock.Add(6 * time.Minute)
	if err := p.Check(o); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("6 minutes ahead: %v", err)
	}
	o.Time = clock.Add(4 * time.Minute)
	if err := p.Check(o); err != nil {
		t.Errorf("4 minutes ahead: %v", err)
	}
	o.Source = ""
	if err := p.Check(o); err == nil {
		t.Error("no source: accepted")
	}
}

// TestConcurrentSubmittersEachLearnTheirOwnDuplicates submits overlapping batches from many
// goroutines, so the writer groups them into shared transactions, and checks that every id is
// stored once and reported as new to exactly one submitter.
func TestConcurrentSubmittersEachLearnTheirOwnDuplicates(t *testing.T) {
	p, db, _ := setup(t, ingest.Options{})
	const submitters, ids = 16, 50
	var mu sync.Mutex
	newBy := map[string]int{}
	var wg sync.WaitGroup
	for s := 0; s < submitters; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			var names []string
			for i := 0; i < ids; i++ {
				names = append(names, fmt.Sprintf("o%d", (s*7+i)%80)) // overlapping ranges
			}
			b := batch(p, names...)
			dup, err := p.Submit(context.Background(), b)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			seen := map[string]bool{}
			for i, d := range dup {
				id := b[i].Observation.ID
				if !d && !seen[id] {
					newBy[id]++
				}
				seen[id] = true
			}
		}(s)
	}
	wg.Wait()
	for id, n := range newBy {
		if n != 1 {
			t.Errorf("%s reported as new to %d submitters", id, n)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	stored, _, err := db.Observations(context.Background(), truce.ObservationFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(newBy) {
		t.Errorf("%d stored, %d reported new", len(stored), len(newBy))
	}
	findings, _, _ := db.Findings(context.Background(), truce.FindingFilter{Limit: 1000})
	if len(findings) != len(stored) { // each observation breaks dmz-presence once
		t.Errorf("%d findings for %d observations", len(findings), len(stored))
	}
}

// TestFullQueueRefusesAtOnce holds the database's write lock from another connection, as a
// backup or a second process might, so the writer waits; once the queue is full the next
// submission is refused at once with EUNAVAILABLE, and when the lock is released every queued
// batch is stored.
func TestFullQueueRefusesAtOnce(t *testing.T) {
	p, db, path := setup(t, ingest.Options{QueueBatches: 2})
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 3)
	for i := 0; i < 3; i++ { // one with the writer, two queued
		go func(i int) {
			_, err := p.Submit(context.Background(), batch(p, fmt.Sprintf("q%d", i)))
			results <- err
		}(i)
		time.Sleep(100 * time.Millisecond)
	}
	start := time.Now()
	_, err = p.Submit(context.Background(), batch(p, "refused"))
	if truce.ErrorCode(err) != truce.EUNAVAILABLE {
		t.Fatalf("a submission to a full queue: %v", err)
	}
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("refusal took %v; it must not wait", time.Since(start))
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := <-results; err != nil {
			t.Errorf("queued batch: %v", err)
		}
	}
	p.Close()
	stored, _, _ := db.Observations(context.Background(), truce.ObservationFilter{Limit: 10})
	if len(stored) != 3 {
		t.Errorf("%d stored, want the 3 queued", len(stored))
	}
}

func TestCloseStoresWhatIsQueuedAndRefusesMore(t *testing.T) {
	p, db, _ := setup(t, ingest.Options{})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p.Submit(context.Background(), batch(p, fmt.Sprintf("c%d", i)))
		}(i)
	}
	wg.Wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Submit(context.Background(), batch(p, "late")); truce.ErrorCode(err) != truce.EUNAVAILABLE {
		t.Errorf("after Close: %v", err)
	}
	stored, _, _ := db.Observations(context.Background(), truce.ObservationFilter{Limit: 100})
	if len(stored) != 20 {
		t.Errorf("%d stored, want 20", len(stored))
	}
	if p.Feed().Last() == 0 {
		t.Error("the feed was not told of what was stored")
	}
}

// BenchmarkSubmit is the pipeline's cost per observation through judging and storing, in
// batches of 1,000, on a real SQLite file.
func BenchmarkSubmit(b *testing.B) {
	a, _ := agreement.Load(filepath.Join("..", "examples", "notional-east"))
	j, _ := rules.Compile(a)
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "truce.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	p, _ := ingest.New(j, db, ingest.Options{Now: func() time.Time { return clock }})
	defer p.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var bt []truce.Judged
		for k := 0; k < 1000; k++ {
			o := obs(fmt.Sprintf("b%d-%d", i, k))
			o.Lon += float64(k%100) * 0.02
			bt = p.JudgeInto(bt, o)
		}
		if _, err := p.Submit(context.Background(), bt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "obs/s")
}
