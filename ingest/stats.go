package ingest

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats counts what the pipeline did, for /metrics and for benchmarks.
type Stats struct {
	accepted, duplicates, findings, refused, failed atomic.Int64

	Registry    *prometheus.Registry
	byRule      *prometheus.CounterVec
	durable     prometheus.Histogram
	acceptedC   prometheus.Counter
	duplicatesC prometheus.Counter
	rejectedC   prometheus.Counter
}

func newStats() *Stats {
	s := &Stats{Registry: prometheus.NewRegistry()}
	s.byRule = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "truce_findings_total", Help: "Findings stored, by rule."}, []string{"rule"})
	s.durable = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "truce_ingest_durable_seconds",
		Help: "Time from a batch being queued to its being durable.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)})
	s.acceptedC = prometheus.NewCounter(prometheus.CounterOpts{Name: "truce_observations_accepted_total", Help: "Observations stored."})
	s.duplicatesC = prometheus.NewCounter(prometheus.CounterOpts{Name: "truce_observations_duplicate_total", Help: "Observations already stored, not stored again."})
	s.rejectedC = prometheus.NewCounter(prometheus.CounterOpts{Name: "truce_observations_rejected_total", Help: "Records refused as invalid."})
	s.Registry.MustRegister(s.byRule, s.durable, s.acceptedC, s.duplicatesC, s.rejectedC,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_ingest_refused_total", Help: "Batches refused because the queue was full."}, func() float64 { return float64(s.refused.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_ingest_failed_total", Help: "Batches the store failed to commit."}, func() float64 { return float64(s.failed.Load()) }),
	)
	return s
}

// Rejected counts records refused before judging.
func (s *Stats) Rejected(n int) { s.rejectedC.Add(float64(n)) }

// Accepted is the number of observations stored since start.
func (s *Stats) Accepted() int64 { return s.accepted.Load() }

func (s *Stats) recordBatch(req *pending, now time.Time) {
	var acc, dup, fnd int64
	for i, j := range req.batch {
		if req.dup[i] {
			dup++
			continue
		}
		acc++
		for k := range j.Findings {
			fnd++
			s.byRule.WithLabelValues(j.Findings[k].Rule).Inc()
		}
	}
	s.accepted.Add(acc)
	s.duplicates.Add(dup)
	s.findings.Add(fnd)
	s.acceptedC.Add(float64(acc))
	s.duplicatesC.Add(float64(dup))
	s.durable.Observe(now.Sub(req.start).Seconds())
}
