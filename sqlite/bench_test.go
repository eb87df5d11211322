package sqlite

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// cpuTime returns the CPU time (user and system) this process has used. The machine the
// benchmarks run on is shared, so besides wall time they report CPU time, which other
// processes' load does not inflate.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchmarkIngest stores b.N batches of size observations, none a duplicate, each observation
// with findingsEach findings (or i%3 of them for -1: one on average), and reports
// observations a second of wall time and CPU microseconds an observation.
func benchmarkIngest(b *testing.B, size int, findings bool) {
	db := open(b)
	ctx := context.Background()
	const prepared = 16
	batches := make([][]truce.Judged, prepared)
	for i := range batches {
		batches[i] = judged(i*size, size)
		if !findings {
			for j := range batches[i] {
				batches[i][j].Findings = nil
			}
		}
	}
	var cpu, wall time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		batch := batches[n%prepared]
		if n >= prepared {
			// A fresh (source, id) and finding ID for each observation, so the batch is
			// stored, not taken for duplicates. This is not timed.
			b.StopTimer()
			suffix := "+" + strconv.Itoa(n)
			for j := range batch {
				o := *batch[j].Observation
				o.ID = batches[n%prepared][j].Observation.ID + suffix
				batch[j].Observation = &o
				fs := make([]truce.Finding, len(batch[j].Findings))
				for k := range fs {
					fs[k] = batch[j].Findings[k]
					fs[k].ID += suffix
				}
				batch[j].Findings = fs
			}
			b.StartTimer()
		}
		c0, w0 := cpuTime(), time.Now()
		dup, _, err := db.Ingest(ctx, batch)
		cpu += cpuTime() - c0
		wall += time.Since(w0)
		if err != nil {
			b.Fatal(err)
		}
		if dup[0] {
			b.Fatal("a fresh observation was taken for a duplicate")
		}
	}
	obs := float64(b.N * size)
	b.ReportMetric(obs/wall.Seconds(), "obs/s")
	b.ReportMetric(float64(cpu.Microseconds())/obs, "cpu-µs/obs")
	b.ReportMetric(obs/cpu.Seconds(), "obs/cpu-s")
}

// BenchmarkIngest stores batches of 1,000 observations with one finding each on average.
func BenchmarkIngest(b *testing.B) { benchmarkIngest(b, 1000, true) }

// BenchmarkIngestNoFindings stores batches of 1,000 observations without findings, the
// common case of a quiet day.
func BenchmarkIngestNoFindings(b *testing.B) { benchmarkIngest(b, 1000, false) }
