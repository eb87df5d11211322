//go:build !linux

package cputime

import "time"

// Thread is not measured off Linux: it returns 0, and benchmarks report wall time only.
func Thread() time.Duration { return 0 }

// Process is not measured off Linux: it returns 0.
func Process() time.Duration { return 0 }
