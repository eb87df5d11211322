package fusion_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/fusion"
	"github.com/truce-project/truce/sim"
)

// day20 is a simulated day of notional-east at rate 20 (about 100,000 observations), with the
// findings the judge raised on each, generated once.
var day20 = struct {
	sync.Once
	obs      []truce.Observation
	findings [][]truce.Finding
}{}

func loadDay20(b *testing.B) {
	day20.Do(func() {
		j := loadJudge(b)
		s, err := sim.New(j, sim.Config{Hours: 24, Seed: 1, Rate: 20})
		if err != nil {
			b.Fatal(err)
		}
		for o := range s.Observations() {
			day20.obs = append(day20.obs, o)
			day20.findings = append(day20.findings, j.Judge(&o, nil))
		}
	})
}

// BenchmarkFuseDay fuses the whole day; it reports the time per observation and the share of
// the day's observations fusion takes up (the rest are vessel tracks, which it skips).
func BenchmarkFuseDay(b *testing.B) { benchmarkFuseDay(b, nil) }

// BenchmarkFuseDayWithVessels fuses the vessels' position reports too, as points, which is
// the worst case: every report of the day goes through the index.
func BenchmarkFuseDayWithVessels(b *testing.B) { benchmarkFuseDay(b, []string{}) }

func benchmarkFuseDay(b *testing.B, skip []string) {
	loadDay20(b)
	fused := 0
	for _, o := range day20.obs {
		if o.Kind != "sea.vessel" || skip != nil {
			fused++
		}
	}
	var incidents int
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		incidents = 0
		f := fusion.New(loadJudge(b).Agreement(), loadJudge(b).Engine(), fusion.Config{Skip: skip, OnClose: func(*fusion.Incident) { incidents++ }})
		for i, o := range day20.obs {
			if _, err := f.Add(o, day20.findings[i]); err != nil {
				b.Fatal(err)
			}
		}
		f.Flush()
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(len(day20.obs)), "obs/day")
	b.ReportMetric(float64(fused), "fused/day")
	b.ReportMetric(float64(incidents), "incidents/day")
	b.ReportMetric(per.Seconds(), "s/day")
	b.ReportMetric(float64(per.Microseconds())/float64(len(day20.obs)), "µs/obs")
	b.ReportMetric(float64(per.Microseconds())/float64(fused), "µs/fused-obs")
}

// TestFuseDayWithinFiveSeconds holds a day of rate 20 to the budget: under 5 seconds.
func TestFuseDayWithinFiveSeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a day of 100,000 observations")
	}
	res := testing.Benchmark(BenchmarkFuseDay)
	if res.N == 0 {
		t.Fatal("benchmark did not run")
	}
	perDay := res.T / time.Duration(res.N)
	t.Logf("%d observations a day fused in %v (%v per observation)", len(day20.obs), perDay, perDay/time.Duration(len(day20.obs)))
	if len(day20.obs) < 90000 {
		t.Errorf("the day has %d observations; want about 100,000", len(day20.obs))
	}
	if perDay > 5*time.Second {
		t.Errorf("fusing a day took %v; want under 5 s", perDay)
	}
	// Incremental cost: each Add timed on its own, as the server would call it.
	j := loadJudge(t)
	f := fusion.New(j.Agreement(), j.Engine(), fusion.Config{})
	var fire, other []time.Duration
	for i, o := range day20.obs {
		start := time.Now()
		if _, err := f.Add(o, day20.findings[i]); err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		switch {
		case o.Kind == "sea.vessel":
		case strings.HasPrefix(o.Kind, "fire."):
			fire = append(fire, d)
		default:
			other = append(other, d)
		}
	}
	for _, k := range []struct {
		name string
		ds   []time.Duration
	}{{"fire", fire}, {"other fused kinds", other}} {
		slices.Sort(k.ds)
		var sum time.Duration
		for _, d := range k.ds {
			sum += d
		}
		t.Logf("Add of %s: %d observations, mean %v, median %v, p99 %v, max %v", k.name, len(k.ds),
			sum/time.Duration(len(k.ds)), k.ds[len(k.ds)/2], k.ds[len(k.ds)*99/100], k.ds[len(k.ds)-1])
	}
}
