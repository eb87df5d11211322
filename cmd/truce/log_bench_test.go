package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/cputime"
	"github.com/truce-project/truce/sim"
	"github.com/truce-project/truce/sqlite"
)

// simulatedBatches returns a simulated day on the notional agreement (rate 20: patrols,
// acoustic sensors, ships, injected violations of every rule), judged, cut into batches of
// size, each observation keeping the JSON line it came in as its raw bytes, as the server
// keeps them. prefix is put in front of every id, so that two calls give distinct
// observations.
func simulatedBatches(tb testing.TB, prefix string, size int) [][]truce.Judged {
	tb.Helper()
	judge, err := benchJudge("")
	if err != nil {
		tb.Fatal(err)
	}
	scenario, err := sim.New(judge, sim.Config{Hours: 24, Seed: 1, Rate: 20})
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]truce.Judged
	var batch []truce.Judged
	for o := range scenario.Observations() {
		o.ID = prefix + o.ID
		raw, err := json.Marshal(&o)
		if err != nil {
			tb.Fatal(err)
		}
		o.Raw = raw
		// As the ingest pipeline judges it: attrs written outside the writer.
		j := truce.Judged{Observation: &o, Findings: judge.Judge(&o, nil)}
		j.EncodeAttrs()
		batch = append(batch, j)
		if len(batch) == size {
			out = append(out, batch)
			batch = nil
		}
	}
	return out
}

// BenchmarkIngestWithLog stores the same simulated batches into two stores alike, one with the
// mission's log wired as `truce serve` wires it (openLog: the ingest hook appends each
// observation and its findings, their records prepared before the writer, as the request
// handlers prepare them) and one without, alternating batch by batch so that both run under
// the same load from the rest of the machine. It reports, per observation, the CPU time of
// the writer's thread (sqlite's Ingest, everything the single writer does, commit included)
// with the log and without, and what the log adds to it: the writer is the server's
// bottleneck, so that is what the log costs of ingest throughput. Preparing the records runs
// in the request handlers, in parallel; its CPU time is reported apart, untimed otherwise.
//
// Run it over 500 batches (-benchtime 500x) for a server that has been running a while: over
// the first hundred or so both stores spend more on pages new to SQLite's page cache
// (pcache1AllocPage: 1.8 ms a batch for the logged store against 0.9 ms for the plain one in
// a run of 100, 1.0 against 0.6 in a run of 500), and the logged store, having more pages,
// more of it.
func BenchmarkIngestWithLog(b *testing.B) {
	for _, size := range []int{1000, 4000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) { benchmarkIngestWithLog(b, size) })
	}
}

func benchmarkIngestWithLog(b *testing.B, size int) {
	plain, err := openStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	dir := b.TempDir()
	logged, err := openStore(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer logged.Close()
	mlog, err := openLog(logged, dir, defaultLogOrigin, "")
	if err != nil {
		b.Fatal(err)
	}
	defer mlog.Close()

	day := simulatedBatches(b, "", size)
	var findings int
	for _, batch := range day {
		for _, j := range batch {
			findings += len(j.Findings)
		}
	}
	b.Logf("%d batches of %d observations, %.2f findings per observation", len(day), size, float64(findings)/float64(len(day)*size))

	// round gives the batches of round r: the day's, with ids made fresh after the first
	// day, so that nothing is taken for a duplicate.
	round := func(r int) [][]truce.Judged {
		if r == 0 {
			return day
		}
		return simulatedBatches(b, fmt.Sprintf("r%d-", r), size)
	}

	ctx := context.Background()
	// A CPU profile (-cpuprofile) tells the two stores apart by the label store=logged or
	// store=plain (go tool pprof -tagfocus store=logged).
	labelled := map[*sqlite.DB]context.Context{
		logged: pprof.WithLabels(ctx, pprof.Labels("store", "logged")),
		plain:  pprof.WithLabels(ctx, pprof.Labels("store", "plain")),
	}
	ingest := func(db *sqlite.DB, batch []truce.Judged) (cpu, wall time.Duration) {
		pprof.SetGoroutineLabels(labelled[db])
		c0, w0 := cputime.Thread(), time.Now()
		dup, _, err := db.Ingest(ctx, batch)
		cpu, wall = cputime.Thread()-c0, time.Since(w0)
		pprof.SetGoroutineLabels(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for i, d := range dup {
			if d {
				b.Fatalf("observation %d of a fresh batch was taken for a duplicate", i)
			}
		}
		return cpu, wall
	}
	copyBatch := func(batch []truce.Judged) []truce.Judged {
		return append([]truce.Judged(nil), batch...)
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpuLog, cpuPlain, wallLog, wallPlain, cpuPrepare time.Duration
	var batches [][]truce.Judged
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		if n%len(day) == 0 {
			b.StopTimer()
			batches = round(n / len(day))
			b.StartTimer()
		}
		batch := batches[n%len(day)]
		withLog := copyBatch(batch)
		c0 := cputime.Thread()
		mlog.prepare(withLog)
		cpuPrepare += cputime.Thread() - c0
		// Which store goes first alternates too, so neither always follows the other's
		// checkpoint or garbage.
		if n%2 == 0 {
			c, w := ingest(logged, withLog)
			cpuLog, wallLog = cpuLog+c, wallLog+w
			c, w = ingest(plain, copyBatch(batch))
			cpuPlain, wallPlain = cpuPlain+c, wallPlain+w
		} else {
			c, w := ingest(plain, copyBatch(batch))
			cpuPlain, wallPlain = cpuPlain+c, wallPlain+w
			c, w = ingest(logged, withLog)
			cpuLog, wallLog = cpuLog+c, wallLog+w
		}
	}
	b.StopTimer()
	obs := float64(b.N * size)
	b.ReportMetric(float64(cpuLog.Nanoseconds())/obs, "logged-cpu-ns/obs")
	b.ReportMetric(float64(cpuPlain.Nanoseconds())/obs, "plain-cpu-ns/obs")
	b.ReportMetric(float64(cpuPrepare.Nanoseconds())/obs, "prepare-cpu-ns/obs")
	// What the log adds to the writer's time, and what it takes from the throughput of a
	// writer that has no time to spare (the measure: throughput with the log is
	// 1/(1+overhead) of throughput without).
	b.ReportMetric(100*(cpuLog.Seconds()/cpuPlain.Seconds()-1), "cpu-overhead-%")
	b.ReportMetric(100*(1-cpuPlain.Seconds()/cpuLog.Seconds()), "throughput-loss-%")
	b.ReportMetric(100*(wallLog.Seconds()/wallPlain.Seconds()-1), "wall-overhead-%")
}
