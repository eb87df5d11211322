// Package cputime measures the CPU time a benchmark's own thread uses. On a machine shared
// with other work, wall time also counts the time spent waiting for a core; CPU time does not,
// so benchmarks report both.
package cputime

import (
	"runtime"
	"testing"
)

// Report locks the benchmark's goroutine to its thread, restarts the timer and starts
// measuring; the returned function stops and reports the thread's CPU time as cpu-ns/op.
// Work done on other goroutines (the garbage collector's, the store's) is not counted.
func Report(b *testing.B) func() {
	runtime.LockOSThread()
	b.ResetTimer()
	start := Thread()
	return func() {
		// Where the thread's CPU time cannot be read (Thread is 0), only wall time is reported.
		if d := Thread() - start; d > 0 {
			b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
		runtime.UnlockOSThread()
	}
}
