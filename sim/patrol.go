package sim

import (
	"math"
	"time"

	"github.com/paulmach/orb"

	truce "github.com/truce-project/truce"
)

// Patrol behaviour. Patrols work a day shift in the agreement's local time, drive at 20–40
// km/h for legs of a quarter of an hour to an hour and a half, and stop for 5–40 minutes
// between legs. Each covers its own sector of the front, a few kilometres off the line on
// alternate sides, turning back at the sector's ends.
const (
	shiftStartHour        = 6
	shiftEndHour          = 18
	sightingsPerHour      = 6 // per patrol on shift, at Rate 1
	patrolOffsetMinM      = 2000
	patrolOffsetMaxM      = 5000
	patrolSampleStepM     = 1000
	patrolMinSpeedKmh     = 20
	patrolMaxSpeedKmh     = 40
	ordinarySightingTries = 12
)

// patrol is one mission patrol: its route and where along it it is.
type patrol struct {
	id    string
	route path
	s     float64 // metres along route
	dir   float64 // +1 or -1
	speed float64 // metres a second while moving
	// moving says whether the current leg is a drive or a stop, which lasts until `until`;
	// clock is the time the position is valid for. All are nanoseconds since the start.
	moving       bool
	until, clock int64
	seq          int
}

func (r *run) startPatrols() {
	f := &r.s.front
	n := r.s.cfg.Patrols
	total := f.path.length()
	for i := range n {
		lo, hi := total*float64(i)/float64(n), total*float64(i+1)/float64(n)
		side := 1.0
		if i%2 == 1 {
			side = -1
		}
		off := side * r.uniform(patrolOffsetMinM, patrolOffsetMaxM)
		if f.line < 0 {
			// A zone boundary has no agreed side to keep to; drive close to it.
			off = side * r.uniform(100, 800)
		}
		var ls orb.LineString
		for s := lo; ; s += patrolSampleStepM {
			s = math.Min(s, hi)
			lat, lon, azi := f.path.at(s)
			plat, plon := offset(lat, lon, azi, off)
			ls = append(ls, orb.Point{plon, plat})
			if s >= hi {
				break
			}
		}
		p := &patrol{id: "patrol-" + itoa(i+1), route: newPath(ls), dir: 1}
		if len(p.route.lat) < 2 {
			continue
		}
		p.s = r.uniform(0, p.route.length())
		if r.rng.IntN(2) == 0 {
			p.dir = -1
		}
		r.patrols = append(r.patrols, p)
		r.schedule(r.exp(sightingsPerHour*r.s.cfg.Rate), p.sight)
	}
}

// onShift reports whether time t is within the patrols' shift, and if not, when the next
// shift starts.
func (r *run) onShift(t int64) (bool, int64) {
	local := r.timeAt(t).In(r.s.loc)
	h := local.Hour()
	if h >= shiftStartHour && h < shiftEndHour {
		return true, t
	}
	day := local
	if h >= shiftEndHour {
		day = local.AddDate(0, 0, 1)
	}
	next := time.Date(day.Year(), day.Month(), day.Day(), shiftStartHour, 0, 0, 0, r.s.loc)
	return false, next.Sub(r.start).Nanoseconds()
}

// advance moves the patrol to time t.
func (p *patrol) advance(r *run, t int64) {
	for p.clock < t {
		if p.until <= p.clock {
			if p.moving {
				p.moving = false
				p.until = p.clock + int64(r.uniform(5, 40)*float64(time.Minute))
			} else {
				p.moving = true
				p.speed = r.uniform(patrolMinSpeedKmh, patrolMaxSpeedKmh) / 3.6
				p.until = p.clock + int64(r.uniform(15, 90)*float64(time.Minute))
			}
		}
		step := min(t, p.until) - p.clock
		if p.moving {
			p.s += p.dir * p.speed * float64(step) / float64(time.Second)
			length := p.route.length()
			for p.s < 0 || p.s > length {
				if p.s > length {
					p.s, p.dir = 2*length-p.s, -1
				} else {
					p.s, p.dir = -p.s, 1
				}
			}
		}
		p.clock += step
	}
}

// position is where the patrol is at time t, which must not be before its last position.
func (p *patrol) position(r *run, t int64) (lat, lon, azi float64) {
	p.advance(r, t)
	lat, lon, azi = p.route.at(p.s)
	if p.dir < 0 {
		azi = normDeg(azi + 180)
	}
	return lat, lon, azi
}

// sight is the patrol's action: off shift it waits for the next shift (parked where it
// stopped); on shift it reports an ordinary sighting and schedules the next.
func (p *patrol) sight(r *run) {
	rate := sightingsPerHour * r.s.cfg.Rate
	if ok, next := r.onShift(r.now); !ok {
		p.clock, p.until, p.moving = next, next, false
		r.schedule(next+r.exp(rate), p.sight)
		return
	}
	lat, lon, _ := p.position(r, r.now)
	for range ordinarySightingTries {
		o := r.ordinarySighting(lat, lon)
		o.ID = seqID(p.id, p.seq+1)
		o.Source = p.id
		if rules, _ := r.judged(o); len(rules) == 0 {
			p.seq++
			r.emit(o, Label{ID: o.ID, Source: o.Source, Generator: GenPatrol})
			break
		}
	}
	r.schedule(r.now+r.exp(rate), p.sight)
}

// sightingKind is an ordinary thing a patrol reports, with how often, how far from the
// patrol, and whether its position is measured (GPS at the object) or estimated.
type sightingKind struct {
	kind     string
	weight   float64
	minM     float64
	maxM     float64
	measured bool
	attrs    func(r *run) map[string]any
	party    bool
}

var sightingKinds = []sightingKind{
	{kind: "presence.vehicle", weight: 5, minM: 1500, maxM: 10000, party: true, attrs: vehicleAttrs},
	{kind: "presence.vehicle", weight: 2, minM: 100, maxM: 1000, measured: true, party: true, attrs: vehicleAttrs},
	{kind: "presence.personnel", weight: 3, minM: 1000, maxM: 6000, party: true, attrs: func(r *run) map[string]any {
		return map[string]any{"count": count(r, 2, 30)}
	}},
	{kind: "presence.weapon", weight: 2, minM: 1000, maxM: 8000, party: true, attrs: func(r *run) map[string]any {
		w := lightWeapons[r.rng.IntN(len(lightWeapons))]
		return map[string]any{"category": w.category, "caliber_mm": w.caliber}
	}},
	{kind: "presence.fortification", weight: 1, minM: 1000, maxM: 5000, party: true, attrs: func(r *run) map[string]any {
		return map[string]any{"type": pick(r, "trench line", "dugout", "observation post", "anti-tank ditch")}
	}},
	{kind: "air.uav", weight: 1, minM: 0, maxM: 3000, attrs: func(r *run) map[string]any {
		return map[string]any{"operator": "mission", "type": "quadcopter"}
	}},
	{kind: "fire.flare", weight: 1, minM: 1000, maxM: 8000, party: true, attrs: func(r *run) map[string]any {
		return map[string]any{"colour": pick(r, "white", "red", "green")}
	}},
}

var sightingWeight = func() float64 {
	w := 0.0
	for _, k := range sightingKinds {
		w += k.weight
	}
	return w
}()

// lightWeapons are weapons no withdrawal rule of the examples reaches: patrols see them
// outside the demilitarised zone as a matter of course.
var lightWeapons = []struct {
	category string
	caliber  float64
}{{"mortar", 82}, {"mortar", 120}, {"anti_aircraft_gun", 23}, {"anti_tank_gun", 100}, {"tank", 125}}

func vehicleAttrs(r *run) map[string]any {
	return map[string]any{
		"type":  pick(r, "truck", "armoured personnel carrier", "utility vehicle", "fuel tanker", "infantry fighting vehicle"),
		"count": count(r, 1, 6),
	}
}

// count is a count of things as monitors report it: a low, best and high estimate.
func count(r *run, lo, hi int) map[string]any {
	best := lo + r.rng.IntN(hi-lo+1)
	low := max(1, best-r.rng.IntN(best/3+1))
	high := best + r.rng.IntN(best/3+1)
	return map[string]any{"low": float64(low), "best": float64(best), "high": float64(high)}
}

func pick(r *run, choices ...string) string { return choices[r.rng.IntN(len(choices))] }

// ordinarySighting draws a sighting near a patrol at lat, lon; the caller judges it.
func (r *run) ordinarySighting(lat, lon float64) *truce.Observation {
	x := r.rng.Float64() * sightingWeight
	k := &sightingKinds[len(sightingKinds)-1]
	for i := range sightingKinds {
		if x < sightingKinds[i].weight {
			k = &sightingKinds[i]
			break
		}
		x -= sightingKinds[i].weight
	}
	olat, olon := destination(lat, lon, r.uniform(0, 360), r.uniform(k.minM, k.maxM))
	o := &truce.Observation{
		Time:  r.timeAt(r.now),
		Kind:  k.kind,
		Lat:   round6(olat),
		Lon:   round6(olon),
		CEm:   r.ce(k.measured),
		Attrs: k.attrs(r),
	}
	if k.party && r.rng.Float64() < 0.8 {
		o.Party = r.randomParty()
	}
	return o
}

// ce draws a position uncertainty in metres: 10–50 m for an object located by GPS at the
// object, 100–500 m for one whose position was estimated from afar.
func (r *run) ce(measured bool) float64 {
	if measured {
		return math.Round(r.uniform(10, 50))
	}
	return math.Round(r.uniform(100, 500)/10) * 10
}

// nearestPatrol is the patrol on shift nearest to lat, lon at the current time, or nil.
func (r *run) nearestPatrol(lat, lon float64) *patrol {
	if ok, _ := r.onShift(r.now); !ok {
		return nil
	}
	var best *patrol
	bestM := math.Inf(1)
	for _, p := range r.patrols {
		plat, plon, _ := p.position(r, r.now)
		if d, _ := inverse(lat, lon, plat, plon); d < bestM {
			best, bestM = p, d
		}
	}
	return best
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
