package tak

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/truce-project/truce/internal/cputime"
)

// BenchmarkBurstToDevices: one device drops a burst of 500 markers in the demilitarised zone
// and 1,000 devices on loopback, in this process, read every finding; an operation ends when
// the last device has read the last finding of the burst. It reports the marker-to-device
// latency over every delivery (p50, p99, max, in ms) and the CPU time of the whole process
// per burst (process-cpu-ns/op), this process being both the server and its devices. No
// positions are sent: it is the burst alone.
func BenchmarkBurstToDevices(b *testing.B) {
	const devices, burst = 1000, 500
	h := newHarness(b, Options{})
	devs := make([]*loadDevice, devices)
	for i := range devs {
		d, err := dialDevice(h.tcpAddr, fmt.Sprintf("BENCH-%04d", i))
		if err != nil {
			b.Fatal(err)
		}
		devs[i] = d
		defer d.conn.Close()
	}
	for _, d := range devs {
		go d.read()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var want int64
	b.ResetTimer()
	cpu := cputime.Process()
	for i := 0; b.Loop(); i++ {
		if err := devs[i%devices].sendMarkers(i, burst, dmzLat, dmzLon, rng); err != nil {
			b.Fatal(err)
		}
		want += burst
		deadline := time.Now().Add(time.Minute)
		for _, d := range devs {
			for d.findings.Load() < want {
				if time.Now().After(deadline) {
					b.Fatalf("a device has %d of %d findings after a minute", d.findings.Load(), want)
				}
				time.Sleep(time.Millisecond)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N), "process-cpu-ns/op")
	var e2e histogram
	for _, d := range devs {
		for i := range e2e {
			e2e[i] += d.e2e[i]
		}
	}
	p := e2e.percentiles()
	b.ReportMetric(float64(p.P50.Milliseconds()), "p50-ms")
	b.ReportMetric(float64(p.P99.Milliseconds()), "p99-ms")
	b.ReportMetric(float64(p.Max.Milliseconds()), "max-ms")
}
