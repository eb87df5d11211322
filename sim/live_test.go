package sim_test

import (
	"context"
	"errors"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/sim"
)

func TestPlayDeliversEveryObservationPaced(t *testing.T) {
	j := judgeFor(t, "notional-east")
	s, err := sim.New(j, sim.Config{Hours: 1, Seed: 9, Start: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for o := range s.Observations() {
		want = append(want, o.ID)
	}
	// An hour at 36,000 times real time takes 100 ms.
	const speed = 36000
	began := time.Now()
	var got []string
	late := 0
	err = s.Play(context.Background(), speed, func(o truce.Observation, _ sim.Label) error {
		// No observation may be delivered before its due time on the scaled clock.
		due := began.Add(time.Duration(float64(o.Time.Sub(s.Config().Start)) / speed))
		if time.Now().Before(due.Add(-time.Millisecond)) {
			late++
		}
		got = append(got, o.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Play delivered %d observations, the scenario has %d", len(got), len(want))
	}
	if late > 0 {
		t.Errorf("%d observations delivered before they were due", late)
	}
	if elapsed := time.Since(began); elapsed < 80*time.Millisecond {
		t.Errorf("an hour at %d× took %v; want about 100 ms", speed, elapsed)
	}
}

func TestPlayStopsWhenTheContextEnds(t *testing.T) {
	j := judgeFor(t, "notional-east")
	s, err := sim.New(j, sim.Config{Hours: 24, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n := 0
	err = s.Play(ctx, 1, func(truce.Observation, sim.Label) error { n++; return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v after %d observations, want the context's deadline", err, n)
	}
}

func TestPlayReturnsTheCallbacksError(t *testing.T) {
	j := judgeFor(t, "notional-east")
	s, err := sim.New(j, sim.Config{Hours: 1, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("store is full")
	if err := s.Play(context.Background(), 1e9, func(truce.Observation, sim.Label) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("got %v, want the callback's error", err)
	}
	if err := s.Play(context.Background(), 0, nil); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("speed 0: got %v, want an invalid error", err)
	}
}
