package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/fusion"
	"github.com/truce-project/truce/internal/cputime"
	"github.com/truce-project/truce/sim"
	"github.com/truce-project/truce/sqlite"
)

// fusedDay is a simulated day of notional-east at rate 20 (about 100,000 observations),
// judged and stored, and read back as the server's fusion reads it: events in chunks of 1,000.
var fusedDay = struct {
	sync.Once
	db       *sqlite.DB
	chunks   [][]truce.Event
	events   int
	ingestPS float64 // observations per second through Ingest, in batches of 500
	err      error
}{}

func loadFusedDay(b *testing.B) {
	fusedDay.Do(func() {
		judge, err := loadAgreement(examplesDir("notional-east"))
		if err != nil {
			fusedDay.err = err
			return
		}
		s, err := sim.New(judge, sim.Config{Start: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), Hours: 24, Seed: 1, Rate: 20})
		if err != nil {
			fusedDay.err = err
			return
		}
		var all []truce.Judged
		for o := range s.Observations() {
			o := o
			all = append(all, truce.Judged{Observation: &o, Findings: judge.Judge(&o, nil)})
		}
		// The folder outlives the benchmark that made it: the day is shared by every run.
		dir, err := tempDir()
		if err != nil {
			fusedDay.err = err
			return
		}
		db, err := sqlite.Open(filepath.Join(dir, "truce.db"))
		if err != nil {
			fusedDay.err = err
			return
		}
		ctx := context.Background()
		start := time.Now()
		for i := 0; i < len(all); i += 500 {
			if _, _, err := db.Ingest(ctx, all[i:min(i+500, len(all))]); err != nil {
				fusedDay.err = err
				return
			}
		}
		fusedDay.ingestPS = float64(len(all)) / time.Since(start).Seconds()
		for after := int64(0); ; {
			events, err := db.Events(ctx, after, 1000)
			if err != nil {
				fusedDay.err = err
				return
			}
			if len(events) == 0 {
				break
			}
			fusedDay.chunks = append(fusedDay.chunks, events)
			fusedDay.events += len(events)
			after = events[len(events)-1].Seq
		}
		fusedDay.db = db
	})
	if fusedDay.err != nil {
		b.Fatal(fusedDay.err)
	}
}

// BenchmarkFuseDayIntoStore runs a stored day through the server's incremental fusion, as
// `truce serve --fusion` does when it is behind the store: each chunk of events is fused and
// the incidents they changed are stored, with where fusion has read to, a transaction for
// every maxPendingEvents events. It reports observations per
// second through that path (events/s, every stored event; fused/s, those fusion takes), the
// rate at which the same day was ingested into the store in this run, and the ratio of the
// path's rate to the server's recorded ingest rate without the log (56,306/s, bench/README.md).
func BenchmarkFuseDayIntoStore(b *testing.B) {
	loadFusedDay(b)
	db := fusedDay.db
	ctx := context.Background()
	judge, err := loadAgreement(examplesDir("notional-east"))
	if err != nil {
		b.Fatal(err)
	}
	fused := 0
	for _, c := range fusedDay.chunks {
		for i := range c {
			if !notFusedHere(c[i].Observation) {
				fused++
			}
		}
	}
	var elapsed, cpu time.Duration
	var stored int
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for b.Loop() {
		b.StopTimer()
		if err := db.Update(ctx, func(tx *sql.Tx) error {
			for _, table := range []string{"incidents", "incident_members", "incident_actions", "fusion_state"} {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		desk := &incidentDesk{store: db}
		desk.setFuser(fusion.New(judge.Agreement(), judge.Engine(), fusion.Config{OnClose: desk.onClose}))
		b.StartTimer()
		start, startCPU := time.Now(), cputime.Thread()
		for _, c := range fusedDay.chunks {
			if err := desk.fuse(ctx, c, notFusedHere, func(o *truce.Observation, err error) { b.Fatal(err) }); err != nil {
				b.Fatal(err)
			}
		}
		elapsed += time.Since(start)
		cpu += cputime.Thread() - startCPU
		b.StopTimer()
		list, _, err := db.Incidents(ctx, truce.IncidentFilter{Limit: 1})
		if err != nil || len(list) == 0 {
			b.Fatalf("no incident stored: %v", err)
		}
		if err := db.ReadDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents`).Scan(&stored); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	per := elapsed / time.Duration(b.N)
	b.ReportMetric(per.Seconds(), "s/day")
	b.ReportMetric(float64(fusedDay.events)/per.Seconds(), "events/s")
	b.ReportMetric(float64(fused)/per.Seconds(), "fused/s")
	if cpu > 0 {
		// The work is done on the benchmark's thread (SQLite runs in the calling goroutine),
		// so its CPU time is the path's cost without the wait for a core on a shared machine.
		b.ReportMetric(float64(fusedDay.events)/(cpu/time.Duration(b.N)).Seconds(), "events/cpu-s")
	}
	b.ReportMetric(float64(stored), "incidents")
	b.ReportMetric(fusedDay.ingestPS, "ingest-events/s")
	b.ReportMetric(float64(fusedDay.events)/per.Seconds()/56306, "x-server-ingest")
}

// sharedTemp is a folder that benchmarks share across their runs; TestMain removes it.
var sharedTemp string

func tempDir() (string, error) {
	var err error
	if sharedTemp == "" {
		sharedTemp, err = os.MkdirTemp("", "truce-bench-")
	}
	return sharedTemp, err
}

func removeSharedTemp() {
	if fusedDay.db != nil {
		fusedDay.db.Close()
	}
	if sharedTemp != "" {
		os.RemoveAll(sharedTemp)
	}
}
