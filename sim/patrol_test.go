package sim

import (
	"math"
	"testing"
	"time"

	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/rules"
)

// TestPatrolsDriveAlongTheLineWithStops follows every patrol of notional-east minute by minute
// through a shift: each keeps a few kilometres off the line of contact, drives at 20–40 km/h,
// and stops now and then.
func TestPatrolsDriveAlongTheLineWithStops(t *testing.T) {
	a, err := agreement.Load("../examples/notional-east")
	if err != nil {
		t.Fatal(err)
	}
	j, err := rules.Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(j, Config{Hours: 24, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	r := s.newRun()
	line := a.LineIndex("contact")
	for _, p := range r.patrols {
		var stoppedMin, movingMin int
		prev := p.s
		for m := 1; m <= 10*60; m++ {
			t0 := int64(m) * int64(time.Minute)
			lat, lon, _ := p.position(r, t0)
			j.Engine().Locate(lat, lon, 0, r.loc)
			if d := r.loc.Lines[line].DistanceM; d < 1000 || d > 6000 {
				t.Errorf("%s at minute %d is %.0f m from the line of contact; want a few km", p.id, m, d)
			}
			// Distance covered along the route, unfolding a turn at a sector end.
			moved := math.Abs(p.s - prev)
			if moved > 0 && p.moving {
				movingMin++
			}
			if moved == 0 {
				stoppedMin++
			}
			if kmh := moved / 1000 * 60; kmh > patrolMaxSpeedKmh+0.01 {
				t.Errorf("%s moved at %.1f km/h in minute %d", p.id, kmh, m)
			}
			prev = p.s
		}
		if stoppedMin < 30 || movingMin < 5*60 {
			t.Errorf("%s: %d minutes stopped, %d moving in 10 hours; want both, mostly moving", p.id, stoppedMin, movingMin)
		}
		if p.speed/1000*3600 < patrolMinSpeedKmh || p.speed/1000*3600 > patrolMaxSpeedKmh {
			t.Errorf("%s drives at %.1f km/h", p.id, p.speed*3.6)
		}
	}
	if len(r.patrols) != DefaultPatrols {
		t.Errorf("%d patrols, want %d", len(r.patrols), DefaultPatrols)
	}
}
