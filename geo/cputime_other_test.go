//go:build !linux

package geo

import "time"

// threadCPU is not measured off Linux; benchmarks then report wall time only.
func threadCPU() time.Duration { return 0 }
