package sim_test

import (
	"io"
	"testing"

	"github.com/truce-project/truce/sim"
)

// BenchmarkGenerate measures generation speed in observations a second: six hours of each
// example at --rate 4, judging every observation as the generator does, without writing.
func BenchmarkGenerate(b *testing.B) {
	for _, name := range examples {
		b.Run(name, func(b *testing.B) {
			s, err := sim.New(judgeFor(b, name), sim.Config{Hours: 6, Seed: 1, Rate: 4})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			b.ResetTimer()
			for b.Loop() {
				for range s.Observations() {
					n++
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "obs/s")
		})
	}
}

// BenchmarkWriteNDJSON is BenchmarkGenerate on notional-east with the NDJSON encoding and the
// truth that truce sim adds.
func BenchmarkWriteNDJSON(b *testing.B) {
	s, err := sim.New(judgeFor(b, "notional-east"), sim.Config{Hours: 6, Seed: 1, Rate: 4})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ResetTimer()
	for b.Loop() {
		tr := sim.NewTruth(s)
		k, err := sim.WriteNDJSON(io.Discard, s.Observations(), tr.Add)
		if err != nil {
			b.Fatal(err)
		}
		n += k
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "obs/s")
}
