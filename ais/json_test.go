package ais

import (
	"math/rand"
	"strconv"
	"testing"
)

// TestFixedPointFormattingMatchesFloatFormatting checks the integer formatting of scaled
// coordinates and tenths against strconv's float formatting, which it replaces for speed.
func TestFixedPointFormattingMatchesFloatFormatting(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	raws := []int32{0, 1, -1, 2, -2, 3, 599999, -599999, 600000, -600000, lonNA, -lonNA, latNA, 108000000, -108000000, 1<<27 - 1, -1 << 27}
	for i := 0; i < 200000; i++ {
		raws = append(raws, int32(r.Int63n(1<<28))-1<<27)
	}
	for _, raw := range raws {
		if got, want := string(appendCoordinate(nil, raw, false, true)), strconv.FormatFloat(float64(raw)/600000, 'f', 7, 64); got != want {
			t.Fatalf("raw %d: got %s, want %s", raw, got, want)
		}
		short := raw >> 10 // type 27's 18-bit range
		if got, want := string(appendCoordinate(nil, short, true, true)), strconv.FormatFloat(float64(short)/600, 'f', 4, 64); got != want {
			t.Fatalf("type 27 raw %d: got %s, want %s", short, got, want)
		}
	}
	for v := uint64(0); v < 5000; v++ {
		if got, want := string(appendTenths(nil, v)), strconv.FormatFloat(float64(v)/10, 'f', 1, 64); got != want {
			t.Fatalf("tenths %d: got %s, want %s", v, got, want)
		}
	}
}
