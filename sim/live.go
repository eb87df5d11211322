package sim

import (
	"context"
	"time"

	truce "github.com/truce-project/truce"
)

// Play feeds the scenario as a live source would: it calls fn with each observation when the
// wall clock reaches the observation's time, the scenario's start being the moment Play is
// called and simulated time running speed times as fast as real time (1 is real time; 60
// plays an hour a minute). It returns nil when the scenario ends, ctx.Err() when ctx is done
// first, and otherwise the first error fn returns.
//
// Pacing changes only when observations are delivered, never what they are. A server that
// wants current timestamps makes the scenario with Config.Start set to the present.
func (s *Scenario) Play(ctx context.Context, speed float64, fn func(truce.Observation, Label) error) error {
	if !(speed > 0) {
		return truce.Errorf(truce.EINVALID, "speed: %v must be more than 0", speed)
	}
	wallStart := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for o, l := range s.Observations() {
		due := wallStart.Add(time.Duration(float64(o.Time.Sub(s.cfg.Start)) / speed))
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
		} else if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(o, l); err != nil {
			return err
		}
	}
	return nil
}
