package tak

import (
	"strconv"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/cputime"
)

// BenchmarkEncodeBurstOfFindings: the server's encoding of a burst of 500 findings (half of
// them east's) into the message every monitor is offered and the one east's liaisons are,
// in both encodings, as publish does it.
func BenchmarkEncodeBurstOfFindings(b *testing.B) {
	s := &Server{opt: Options{}}
	s.opt.defaults()
	s.log = s.opt.Log
	events := make([]truce.Event, 500)
	now := time.Now()
	for i := range events {
		party := "east"
		if i%2 == 1 {
			party = "west"
		}
		events[i] = truce.Event{Seq: int64(i + 1), Observation: &truce.Observation{CEm: 20}, Findings: []truce.Finding{{
			ID: "f" + strconv.Itoa(i) + "-0123456789abcdef", Rule: "dmz-vehicle", Article: "Art. 1(1)",
			Kind: "presence.vehicle", Time: now, Lat: dmzLat, Lon: dmzLon, Party: party, Severity: "major", Status: truce.StatusInside,
			Explanation: "presence.vehicle 0.4 km inside the demilitarised zone, 0.3 km on Party East's side of the line of contact — Art. 1(1): no military vehicle may enter the zone"}}}
	}
	b.ReportAllocs()
	defer cputime.Report(b)()
	var size int
	for b.Loop() {
		all, byParty := s.encodeFindings(events, now)
		if len(byParty) != 2 {
			b.Fatalf("%d parties", len(byParty))
		}
		size = len(all.frame)
	}
	b.ReportMetric(float64(size), "frame-bytes")
}
