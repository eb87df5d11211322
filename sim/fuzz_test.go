package sim_test

import (
	"bytes"
	"math"
	"slices"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/sim"
)

// FuzzScenario runs short scenarios of arbitrary seed, start, length and rates and checks the
// invariants every scenario must keep: observations valid and in time order within the
// scenario, and the truth relation of Label on each.
func FuzzScenario(f *testing.F) {
	f.Add(uint64(1), int64(0), 2.0, 1.0, 4.0, uint8(0))
	f.Add(uint64(99), int64(17*3600), 3.0, 5.0, 30.0, uint8(1))
	f.Add(uint64(12345), int64(-40*3600), 0.25, 0.1, -1.0, uint8(0))
	f.Fuzz(func(t *testing.T, seed uint64, startOffsetS int64, hours, rate, vph float64, example uint8) {
		name := examples[int(example)%len(examples)]
		hours = math.Mod(math.Abs(hours), 4)
		start := sim.DefaultStart.Add(time.Duration(startOffsetS%(400*86400)) * time.Second)
		s, err := sim.New(judgeFor(t, name), sim.Config{Hours: hours, Seed: seed, Start: start,
			Rate: math.Min(math.Abs(rate), 20), ViolationsPerHour: math.Min(vph, 100)})
		if err != nil {
			if truce.ErrorCode(err) != truce.EINVALID {
				t.Fatalf("config refused with %v, not an invalid error", err)
			}
			return
		}
		j := judgeFor(t, name)
		var prev time.Time
		for o, l := range s.Observations() {
			if err := o.Validate(); err != nil {
				t.Fatalf("%s: %v", o.ID, err)
			}
			if o.Time.Before(prev) || o.Time.Before(s.Config().Start) || !o.Time.Before(s.End()) {
				t.Fatalf("%s at %s: out of order or outside the scenario", o.ID, o.Time)
			}
			prev = o.Time
			var got []string
			for _, r := range j.Agreement().Rules {
				for _, f := range j.Judge(&o, nil) {
					if f.Rule == r.ID {
						got = append(got, r.ID)
						break
					}
				}
			}
			if !slices.Equal(got, l.Rules) {
				t.Fatalf("%s (%s): judged %v, truth %v", o.ID, l.Generator, got, l.Rules)
			}
		}
	})
}

// FuzzReadTruth checks that reading a truth file never panics and that what it accepts
// writes back to a file it reads the same way.
func FuzzReadTruth(f *testing.F) {
	s, err := sim.New(judgeFor(f, "cyprus"), sim.Config{Hours: 2, Seed: 1, Start: sim.DefaultStart.Add(8 * time.Hour)})
	if err != nil {
		f.Fatal(err)
	}
	tr := sim.NewTruth(s)
	for _, l := range s.Observations() {
		tr.Add(l)
	}
	var buf bytes.Buffer
	if err := tr.WriteJSON(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"observations":[{"id":"x","rules":["a"]}],"violations":[null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		t1, err := sim.ReadTruth(bytes.NewReader(data))
		if err != nil {
			if truce.ErrorCode(err) != truce.EINVALID {
				t.Fatalf("refused with %v, not an invalid error", err)
			}
			return
		}
		var a, b bytes.Buffer
		if err := t1.WriteJSON(&a); err != nil {
			t.Fatal(err)
		}
		t2, err := sim.ReadTruth(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("cannot read back what was written: %v", err)
		}
		if err := t2.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatal("truth changes on a second round trip")
		}
	})
}
