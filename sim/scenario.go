// Package sim generates synthetic but realistic observations for an agreement, with the
// ground truth that says which of them break which rules, so that the rest of the system can
// be demonstrated on a live simulated day and measured for precision and recall.
//
// A Scenario is a discrete-event simulation. Every actor — a mission patrol driving along the
// demilitarised zone, an acoustic sensor array near the line, a merchant ship on the maritime
// corridor, a military vessel, the injector of violations — schedules its next action on one
// queue ordered by time (ties broken by the order they were scheduled). Popping the queue runs
// the action, which may schedule observations for now or later (a sound reaches a sensor
// after it travels) and the actor's next action. Observations leave the queue in time order,
// so a day is yielded one observation at a time, never held whole.
//
// All randomness comes from one math/rand/v2 PCG generator seeded from the scenario's seed and
// is drawn in queue order; nothing depends on map iteration order or on the clock, so the
// same agreement, start, hours, seed and rates give the same bytes.
//
// Ground truth rests on the agreement's own judge. Every observation is judged as it is made:
// an ordinary one (a sighting, a ship's position report) that raises a finding is redrawn or
// dropped, so ordinary observations never break a rule; an injected violation is kept only
// when the rule it was made for fires on it, inside its zone, attributed to the party the
// generator chose. The exact relation the truth promises is stated on Label.
package sim

import (
	"container/heap"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"time"
	_ "time/tzdata" // patrol shifts follow the agreement's local time on any machine

	"github.com/paulmach/orb"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/rules"
)

// DefaultStart is the start of a scenario when none is given: a fixed instant, so that the
// output never depends on when it was generated.
var DefaultStart = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// Config says what to simulate. Rates are per hour of simulated time.
type Config struct {
	Start time.Time // zero: DefaultStart
	Hours float64
	Seed  uint64
	// Rate scales how often every actor reports: patrol sightings, acoustic events, ship
	// position reports. Zero means 1, which on notional-east gives about 5,400 observations a
	// day (seed 1); the count grows in proportion: 0.5 gives about 2,700, 20 about 107,000.
	Rate float64
	// ViolationsPerHour is the mean number of injected violations an hour, spread over the
	// agreement's rules in turn. Patrols report what is injected, so violations of rules
	// about anything but vessels are injected only while patrols are on shift (06:00–18:00
	// local time): a day at the default holds about 50. Zero means
	// DefaultViolationsPerHour; a negative value injects none.
	ViolationsPerHour float64
	// Launches makes the acoustic sensors report the launch of artillery, mortar and rocket
	// fire as well as its impact, as counter-battery arrays do: each sensor within
	// launchRangeM of the firing position that hears it reports a bearing to it (kind
	// fire.projectile) at the time the sound of the launch arrives, and the round lands a
	// flight time later; and monitors on patrol within monitorLaunchRangeM who hear it
	// report the direction of fire by ear (a bearing with a standard deviation of 10°, and
	// the time they heard it to within 2 s, attrs.time_sd_s). Off by default, so that a
	// seed's day stays what it was.
	Launches bool
	// Patrols, Sensors and Ships (merchant ships on each corridor route) count the actors;
	// zero means the default (for sensors, one every DefaultSensorSpacingKm of the front) and
	// a negative count means none.
	Patrols, Sensors, Ships int
}

// Defaults of Config.
const (
	DefaultViolationsPerHour = 4
	DefaultPatrols           = 6
	// DefaultSensorSpacingKm sets the default number of acoustic sensors: one for every
	// DefaultSensorSpacingKm of the front (of half a zone's boundary, whose two edges face
	// each other across the zone), so that most explosions are heard by two or three.
	DefaultSensorSpacingKm = 20
	DefaultShips           = 10
)

// Scenario is an agreement and a Config, ready to generate. Each call of Observations runs
// the simulation afresh from the seed and yields the same observations.
type Scenario struct {
	judge *rules.Judge
	a     *truce.Agreement
	cfg   Config
	loc   *time.Location
	front front
}

// New checks cfg and prepares a scenario on the agreement compiled into judge. The agreement
// must give the patrols somewhere to go: a line with a party on each side, or a
// demilitarised zone.
func New(judge *rules.Judge, cfg Config) (*Scenario, error) {
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	cfg.Start = cfg.Start.UTC()
	if cfg.Rate == 0 {
		cfg.Rate = 1
	}
	if cfg.ViolationsPerHour == 0 {
		cfg.ViolationsPerHour = DefaultViolationsPerHour
	}
	if cfg.Patrols == 0 {
		cfg.Patrols = DefaultPatrols
	}
	if cfg.Ships == 0 {
		cfg.Ships = DefaultShips
	}
	switch {
	case math.IsNaN(cfg.Hours) || cfg.Hours <= 0 || cfg.Hours > 24*366:
		return nil, truce.Errorf(truce.EINVALID, "hours: %v must be more than 0 and at most a year", cfg.Hours)
	case math.IsNaN(cfg.Rate) || cfg.Rate <= 0 || cfg.Rate > 1000:
		return nil, truce.Errorf(truce.EINVALID, "rate: %v must be more than 0 and at most 1000", cfg.Rate)
	case math.IsNaN(cfg.ViolationsPerHour) || cfg.ViolationsPerHour > 10000:
		return nil, truce.Errorf(truce.EINVALID, "violations per hour: %v must be at most 10000", cfg.ViolationsPerHour)
	}
	defaultSensors := cfg.Sensors == 0
	cfg.Patrols, cfg.Sensors, cfg.Ships = max(cfg.Patrols, 0), max(cfg.Sensors, 0), max(cfg.Ships, 0)
	a := judge.Agreement()
	s := &Scenario{judge: judge, a: a, cfg: cfg, loc: time.UTC}
	if a.Timezone != "" {
		if loc, err := time.LoadLocation(a.Timezone); err == nil {
			s.loc = loc
		}
	}
	f, err := newFront(a)
	if err != nil {
		return nil, err
	}
	s.front = f
	if defaultSensors {
		km := f.path.length() / 1000
		if f.line < 0 {
			km /= 2
		}
		s.cfg.Sensors = max(3, int(math.Round(km/DefaultSensorSpacingKm)))
	}
	return s, nil
}

// Config returns the scenario's configuration with defaults filled in.
func (s *Scenario) Config() Config { return s.cfg }

// End is the instant the scenario ends; no observation is at or after it.
func (s *Scenario) End() time.Time {
	return s.cfg.Start.Add(time.Duration(s.cfg.Hours * float64(time.Hour)))
}

// Observations runs the scenario and yields each observation with its label, in time order.
// The observation's Attrs map is fresh and may be kept; stopping early is allowed.
func (s *Scenario) Observations() iter.Seq2[truce.Observation, Label] {
	return func(yield func(truce.Observation, Label) bool) {
		r := s.newRun()
		for r.queue.Len() > 0 {
			it := heap.Pop(&r.queue).(*item)
			if it.at >= r.end {
				return
			}
			r.now = it.at
			if it.obs != nil {
				if !yield(*it.obs, it.label) {
					return
				}
				continue
			}
			it.act(r)
		}
	}
}

// run is the state of one simulation: the clock, the queue, the random source and the actors.
type run struct {
	s     *Scenario
	judge *rules.Judge
	a     *truce.Agreement
	rng   *rand.Rand
	queue queue
	seq   uint64
	start time.Time
	now   int64 // nanoseconds since start
	end   int64

	loc       *geo.Location
	findings  []truce.Finding
	patrols   []*patrol
	sensors   []sensor
	warships  []*warship
	injector  injector
	linePaths []*path

	// Counters: ids handed out, and what could not be made.
	events    int
	violation int
	radarSeq  int
	dropped   int // ordinary reports dropped because they broke a rule
	failed    int // injections for which no candidate worked
}

func (s *Scenario) newRun() *run {
	r := &run{
		s:     s,
		judge: s.judge,
		a:     s.a,
		rng:   rand.New(rand.NewPCG(s.cfg.Seed, 0x7472756365)), // "truce": a fixed second word
		start: s.cfg.Start,
		end:   int64(s.cfg.Hours * float64(time.Hour)),
		loc:   s.judge.Engine().NewLocation(),
	}
	r.startPatrols()
	r.startAcoustic()
	r.startVessels()
	r.startInjector()
	return r
}

// item is one entry of the queue: an observation due at `at`, or an actor's action.
type item struct {
	at    int64
	seq   uint64
	obs   *truce.Observation
	label Label
	act   func(*run)
}

type queue []*item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return it
}

// schedule runs act at time at (nanoseconds since start); actions past the end never run.
func (r *run) schedule(at int64, act func(*run)) {
	if at >= r.end {
		return
	}
	r.seq++
	heap.Push(&r.queue, &item{at: at, seq: r.seq, act: act})
}

// emit queues an observation for its own time, which must not be before now.
func (r *run) emit(o *truce.Observation, l Label) {
	at := o.Time.Sub(r.start).Nanoseconds()
	if at >= r.end {
		return
	}
	r.seq++
	heap.Push(&r.queue, &item{at: at, seq: r.seq, obs: o, label: l})
}

// timeAt is the instant of t nanoseconds after the start, to the millisecond, which is
// the precision observations carry.
func (r *run) timeAt(t int64) time.Time {
	return r.start.Add(time.Duration(t).Round(time.Millisecond)).UTC()
}

// exp draws the wait in nanoseconds until the next event of a Poisson process with the given
// rate per hour.
func (r *run) exp(perHour float64) int64 {
	return int64(r.rng.ExpFloat64() / perHour * float64(time.Hour))
}

// uniform draws from [lo, hi).
func (r *run) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.rng.Float64() }

// judged judges o and returns the ids of the rules it breaks, in agreement order, and the
// findings (valid until the next call).
func (r *run) judged(o *truce.Observation) ([]string, []truce.Finding) {
	r.findings = r.judge.Judge(o, r.findings[:0])
	if len(r.findings) == 0 {
		return nil, r.findings
	}
	ids := make([]string, 0, len(r.findings))
	for _, rule := range r.a.Rules {
		for _, f := range r.findings {
			if f.Rule == rule.ID {
				ids = append(ids, rule.ID)
				break
			}
		}
	}
	return ids, r.findings
}

// front is where the two sides meet, which patrols follow and sensors watch: a line with a
// party on each side, else the boundary of the widest demilitarised zone.
type front struct {
	path path
	// line is the index of the agreement's line the front follows, or -1 when it follows a
	// zone's boundary.
	line int
	// zone is the index of the demilitarised zone whose boundary the front follows, or -1.
	zone int
}

func newFront(a *truce.Agreement) (front, error) {
	for i, l := range a.Lines {
		if l.Left != "" && l.Right != "" && len(l.Path) >= 2 {
			f := front{path: newPath(l.Path), line: i, zone: -1}
			if f.path.length() > 0 {
				return f, nil
			}
		}
	}
	best, bestLen := -1, 0.0
	var bestPath path
	for i, z := range a.Zones {
		if z.Kind != truce.ZoneDemilitarized {
			continue
		}
		for _, poly := range z.Area {
			if len(poly) == 0 {
				continue
			}
			p := newPath(orb.LineString(poly[0]))
			if p.length() > bestLen {
				best, bestLen, bestPath = i, p.length(), p
			}
		}
	}
	if best < 0 {
		return front{}, truce.Errorf(truce.EINVALID, "agreement %q: nothing for patrols to follow: no line with a party on each side and no demilitarised zone drawn as an area", a.ID)
	}
	return front{path: bestPath, line: -1, zone: best}, nil
}

// partyAt names the party on whose side lat, lon lies, the way the judge attributes by side:
// the nearest line with a party on each side when the point is certainly on one side of it,
// else a territory zone that holds it. It returns "" when neither settles it.
func (r *run) partyAt(lat, lon float64) string {
	r.judge.Engine().Locate(lat, lon, 0, r.loc)
	best := -1
	for i, l := range r.a.Lines {
		if l.Left == "" || l.Right == "" {
			continue
		}
		if best < 0 || r.loc.Lines[i].DistanceM < r.loc.Lines[best].DistanceM {
			best = i
		}
	}
	if best >= 0 {
		ls := r.loc.Lines[best]
		if !ls.SideCertain {
			return ""
		}
		switch ls.Side {
		case geo.SideLeft:
			return r.a.Lines[best].Left
		case geo.SideRight:
			return r.a.Lines[best].Right
		}
		return ""
	}
	for i, z := range r.a.Zones {
		if z.Kind == truce.ZoneTerritory && z.Party != "" && r.loc.Zones[i] == geo.Inside {
			return z.Party
		}
	}
	return ""
}

// sidePoint draws a point on party's side between minM and maxM metres from lat, lon. Along a
// line front, given the front's azimuth azi there, it aims across the line towards the
// party's side; otherwise (or when azi is NaN) in any direction.
// It reports false when no draw landed on the party's side.
func (r *run) sidePoint(party string, lat, lon, azi, minM, maxM float64) (float64, float64, bool) {
	toward := math.NaN()
	if r.s.front.line >= 0 && !math.IsNaN(azi) {
		l := r.a.Lines[r.s.front.line]
		switch party {
		case l.Left:
			toward = azi - 90
		case l.Right:
			toward = azi + 90
		}
	}
	for try := 0; try < 60; try++ {
		dir := r.uniform(0, 360)
		if !math.IsNaN(toward) && try < 40 {
			dir = toward + r.rng.NormFloat64()*25
		}
		plat, plon := destination(lat, lon, dir, r.uniform(minM, maxM))
		plat, plon = round6(plat), round6(plon)
		if r.partyAt(plat, plon) == party {
			return plat, plon, true
		}
	}
	return 0, 0, false
}

// otherParty draws a party other than p.
func (r *run) otherParty(p string) string {
	var others []string
	for _, q := range r.a.Parties {
		if q.ID != p {
			others = append(others, q.ID)
		}
	}
	if len(others) == 0 {
		return p
	}
	return others[r.rng.IntN(len(others))]
}

// randomParty draws one of the agreement's parties, or "" when it names none.
func (r *run) randomParty() string {
	if len(r.a.Parties) == 0 {
		return ""
	}
	return r.a.Parties[r.rng.IntN(len(r.a.Parties))].ID
}

// seqID is an observation or record id: a prefix and a zero-padded sequence number, so that
// ids of one source sort in the order they were made.
func seqID(prefix string, n int) string { return fmt.Sprintf("%s-%06d", prefix, n) }
