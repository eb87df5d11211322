package report_test

import (
	"context"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/cputime"
	"github.com/truce-project/truce/report"
	"github.com/truce-project/truce/sim"
)

// BenchmarkDailyReport100k times the daily report of a simulated day of at least 100,000
// observations on the notional agreement, stored through the real SQLite store with every
// finding of the day verified by two analysts: the JSON built from the store and the HTML
// rendered from it. The target is under 2 s a report.
func BenchmarkDailyReport100k(b *testing.B) {
	j := notionalEast(b)
	db := openStore(b)
	// The day is exactly the report's period: from 19:30 in Kyiv (16:30 UTC in May).
	start := time.Date(2026, 4, 30, 16, 30, 0, 1e6, time.UTC)
	p := playSim(b, j, db, sim.Config{Start: start, Hours: 24, Seed: 1, Rate: 19.5})
	if len(p.obs) < 100_000 {
		b.Fatalf("the day holds %d observations, want at least 100,000", len(p.obs))
	}
	ctx := context.Background()
	for _, f := range p.findings {
		for _, a := range []string{"analyst-a", "analyst-b"} {
			if _, err := db.Review(ctx, f.ID, truce.ActionVerify, a, "confirmed", 2); err != nil {
				b.Fatal(err)
			}
		}
	}
	g, err := report.New(j, db, report.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var d *report.Daily
	var page []byte
	stop := cputime.Report(b)
	proc := cputime.Process()
	for b.Loop() {
		if d, err = g.Daily(ctx, "2026-05-01"); err != nil {
			b.Fatal(err)
		}
		if page, err = g.DailyHTML(d); err != nil {
			b.Fatal(err)
		}
	}
	stop()
	// The whole process's CPU time also counts the garbage collector's and SQLite's helpers.
	if p := cputime.Process() - proc; p > 0 {
		b.ReportMetric(float64(p.Nanoseconds())/float64(b.N), "proc-cpu-ns/op")
	}
	if d.Summary.Violations != len(p.findings) || len(d.Annex) != len(p.findings) {
		b.Fatalf("the report counts %d violations; the day holds %d verified findings", d.Summary.Violations, len(p.findings))
	}
	b.ReportMetric(float64(len(p.obs)), "obs/day")
	b.ReportMetric(float64(len(d.Annex)), "annex")
	b.ReportMetric(float64(len(page))/1024, "KiB-html")
}
