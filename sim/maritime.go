package sim

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// A maritime scenario is a day and a half of traffic on an agreement's maritime corridor
// with one of each thing the maritime detectors look for, and the truth of each: merchant
// ships sailing the corridor (AIS every three minutes), warships of each party patrolling 20
// nautical miles off it (coastal radar every ten minutes), two tugs lying together at an
// anchorage, and
//
//   - a tanker that switches its transponder off for 14 hours in open sea (dark);
//   - a tanker and a fishing vessel that meet 15 nm off the corridor and lie together for
//     three hours (encounter);
//   - a fishing vessel that drifts for six hours far from shore (loitering);
//   - a merchant ship whose AIS once reports a position 60 nm from where it is (jump);
//   - a warship that closes to 5 nm of the corridor for six hours, inside the stand-off
//     zone (exclusion) and within 10 nm of each merchant ship that passes (standoff).
//
// Unlike Scenario, the whole is generated at once: movements are planned first and the
// reports drawn from the plans, so that the truth can be computed from the true positions
// at any minute. The exclusion and stand-off truth is computed that way for every military
// vessel and every merchant ship, at one-minute steps; the other truths are the planted
// events themselves. Events are named as package maritime names them, and vessels as
// maritime.VesselID does ("mmsi:" and the MMSI, or source "/" track).

// MaritimeConfig says what to simulate. Zero values take the defaults.
type MaritimeConfig struct {
	Start time.Time // zero: DefaultStart
	Seed  uint64
	// Ships is the number of ordinary merchant ships on the corridor (default 8); the
	// planted vessels come on top.
	Ships int
}

// MaritimeDuration is how long a maritime scenario lasts.
const MaritimeDuration = 36 * time.Hour

// MaritimeScenario is the generated traffic and its truth.
type MaritimeScenario struct {
	Observations []truce.Observation // in time order
	Truth        []MaritimeTruth
	// Anchorages are the anchorage points (latitude, longitude) the scenario's tugs lie at,
	// for the encounter detector's configuration.
	Anchorages [][2]float64
}

// MaritimeTruth is one thing that truly happened at sea: its kind, the vessels, when, and
// where. For dark, Start and End are the last report before the silence and the first
// after it, and Lat2, Lon2 the true position at End; for jump, Start is the report before
// the false one, End the false report, Lat, Lon the true position before and Lat2, Lon2 the
// false one; for exclusion and standoff, Start and End bound the minutes it held, Lat, Lon
// is the military vessel's true position at Start and Lat2, Lon2 the corridor vessel's;
// for encounter and loitering, Start and End bound the planned stop and Lat, Lon is where.
type MaritimeTruth struct {
	Kind    string    `json:"kind"`
	Vessels []string  `json:"vessels"`
	Zone    string    `json:"zone,omitempty"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Lat     float64   `json:"lat"`
	Lon     float64   `json:"lon"`
	Lat2    float64   `json:"lat2,omitempty"`
	Lon2    float64   `json:"lon2,omitempty"`
	// Marginal marks a stand-off whose closest approach is within a nautical mile of the
	// distance either way: what a detector sees through position errors and reports minutes
	// apart may or may not cross the line, so a detection is allowed but not required. Start
	// and End bound the minutes within the distance, or are the minute of closest approach
	// when it was never within.
	Marginal bool `json:"marginal,omitempty"`
}

const (
	seaNm       = 1852.0
	seaKnot     = seaNm / 3600
	seaAISStep  = 3 * time.Minute
	seaRadarStp = 10 * time.Minute
)

// seaMover is where a vessel truly is at a time since the start, and its speed (knots) and
// course; ok is false when it is not at sea (before or after its plan).
type seaMover interface {
	at(t time.Duration) (lat, lon, kn, course float64, ok bool)
}

// seaVessel is one simulated vessel and how it reports.
type seaVessel struct {
	id       string // as maritime.VesselID names it
	mmsi     int
	track    string
	name     string
	shipType float64
	military bool
	party    string
	merchant bool // sails the corridor, for the stand-off truth
	move     seaMover
	step     time.Duration
	ceM      float64
	// quiet is a silence: no reports from quiet[0] to quiet[1].
	quiet [2]time.Duration
	// spoofAt, when set, is the time of the report that gives a position 60 nm east of the
	// truth.
	spoofAt time.Duration
}

// Maritime generates a maritime scenario on the first corridor zone of a (a band around a
// line, as in examples/notional-east). It fails when a has no such zone. The planted events
// are placed by distance along the route and east of it, for the example corridor from
// Odesa to the Bosporus, where those places are open sea; on another route some may fall
// near or on land, and the truth would then no longer be what the detectors should find.
func Maritime(a *truce.Agreement, cfg MaritimeConfig) (*MaritimeScenario, error) {
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	if cfg.Ships <= 0 {
		cfg.Ships = 8
	}
	var route *seaRoute
	var halfM float64
	for _, z := range a.Zones {
		if z.Kind == truce.ZoneCorridor && z.Band != nil {
			if li := a.LineIndex(z.Band.Line); li >= 0 && len(a.Lines[li].Path) >= 2 {
				route = newSeaRoute(a.Lines[li].Path)
				halfM = z.Band.Km * 1000
				break
			}
		}
	}
	if route == nil || route.length() < 300*seaNm {
		return nil, errors.New("maritime scenario: the agreement needs a corridor zone drawn around a route of 300 nm or more")
	}
	eng, err := geo.NewEngine(a)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5ea))
	uni := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	mmsi := func() int { return (2+rng.IntN(4))*100_000_000 + rng.IntN(100_000_000) }
	names := []string{"NORDIC", "AEGEAN", "BLUE", "GOLDEN", "PONTIC", "AZURE", "SILVER", "DANUBE"}
	nouns := []string{"TRADER", "SPIRIT", "PIONEER", "GRACE", "VENTURE", "CARRIER", "DAWN", "HOPE"}
	name := func() string { return names[rng.IntN(len(names))] + " " + nouns[rng.IntN(len(nouns))] }
	// east is the offset to the east of the route where it runs southwards, as the example
	// corridor from Odesa to the Bosporus does: positive offsets are to the left of the
	// route's direction, which heading south is east.
	east := func(sNm, offNm float64) [2]float64 {
		lat, lon, azi := route.at(sNm * seaNm)
		if math.Abs(normAzi(azi)-180) > 90 {
			offNm = -offNm
		}
		return seaMove([2]float64{lat, lon}, azi-90, offNm*seaNm)
	}

	var vs []*seaVessel
	merchant := func(s0Nm, dir, kn, lateralM float64, shipType float64) *seaVessel {
		m := mmsi()
		v := &seaVessel{id: "mmsi:" + strconv.Itoa(m), mmsi: m, name: name(), shipType: shipType, merchant: true,
			move: &routeMover{r: route, lateralM: lateralM, s0: s0Nm * seaNm, dir: dir, speed: kn * seaKnot},
			step: seaAISStep, ceM: 10}
		vs = append(vs, v)
		return v
	}
	for range cfg.Ships {
		merchant(uni(0, route.length()/seaNm), []float64{-1, 1}[rng.IntN(2)], uni(10, 14), uni(-0.5, 0.5)*halfM, []float64{70, 70, 80}[rng.IntN(3)])
	}
	warship := func(track, party string, legs ...seaLeg) *seaVessel {
		v := &seaVessel{id: "coastal-radar/" + track, track: track, military: true, party: party,
			move: &legMover{legs: legs}, step: seaRadarStp, ceM: math.Round(uni(200, 500)/10) * 10}
		vs = append(vs, v)
		return v
	}
	var partyIDs []string
	for _, p := range a.Parties {
		partyIDs = append(partyIDs, p.ID)
	}
	if len(partyIDs) == 0 {
		partyIDs = []string{""}
	}
	// Ordinary warships patrol 20 and 26 nm off the corridor, back and forth.
	for i, off := range []float64{20, 26} {
		p, q := east(60, off), east(150, off)
		legs := patrolLegs(p, q, 12, MaritimeDuration)
		warship("patrol-"+strconv.Itoa(i+1), partyIDs[i%len(partyIDs)], legs...)
	}
	// Two tugs lie together at an anchorage off the northern end of the route.
	anchor := east(8, 2)
	for i := 0; i < 2; i++ {
		m := mmsi()
		vs = append(vs, &seaVessel{id: "mmsi:" + strconv.Itoa(m), mmsi: m, name: name(), shipType: 52,
			move: &legMover{legs: []seaLeg{{from: seaMove(anchor, 90, float64(i)*150), t0: 0, t1: MaritimeDuration, circleM: 60}}},
			step: seaAISStep, ceM: 10})
	}

	var truth []MaritimeTruth
	hour := time.Hour
	at := func(d time.Duration) time.Time { return cfg.Start.Add(d) }

	// Dark: a tanker southbound from 60 nm at 10 kn, silent from 6 h to 20 h.
	dark := merchant(60, 1, 10, 0.1*halfM, 80)
	dark.quiet = [2]time.Duration{6 * hour, 20 * hour}

	// Jump: a cargo ship northbound from 300 nm at 12 kn; one report, near 8 h, is 60 nm
	// east of where it is.
	spoof := merchant(300, -1, 12, -0.2*halfM, 70)
	spoof.spoofAt = 8 * hour

	// Encounter: a tanker from the south-east and a fishing vessel from the north-east meet
	// 15 nm east of the corridor at 200 nm, lie together from 10 h to 13 h, and leave.
	x := east(200, 15)
	meetA := &seaVessel{mmsi: mmsi(), name: name(), shipType: 80, step: seaAISStep, ceM: 10,
		move: &legMover{legs: []seaLeg{
			{from: seaMove(x, 160, 44*seaNm), to: x, t0: 6 * hour, t1: 10 * hour},
			{from: x, t0: 10 * hour, t1: 13 * hour, circleM: 40},
			{from: x, to: seaMove(x, 160, 33*seaNm), t0: 13 * hour, t1: 16 * hour},
		}}}
	meetB := &seaVessel{mmsi: mmsi(), name: name(), shipType: 30, step: seaAISStep, ceM: 10,
		move: &legMover{legs: []seaLeg{
			{from: seaMove(x, 60, 33*seaNm), to: seaMove(x, 0, 120), t0: 7 * hour, t1: 10 * hour},
			{from: seaMove(x, 0, 120), t0: 10 * hour, t1: 13 * hour, circleM: 40},
			{from: seaMove(x, 0, 120), to: seaMove(x, 60, 27*seaNm), t0: 13 * hour, t1: 16 * hour},
		}}}
	for _, v := range []*seaVessel{meetA, meetB} {
		v.id = "mmsi:" + strconv.Itoa(v.mmsi)
		vs = append(vs, v)
	}
	truth = append(truth, MaritimeTruth{Kind: "encounter", Vessels: sortedIDs(meetA.id, meetB.id),
		Start: at(10 * hour), End: at(13 * hour), Lat: x[0], Lon: x[1]})

	// Loitering: a fishing vessel drifts in a slow circle 95 nm east of the corridor from
	// 15 h to 21 h.
	y := east(225, 95)
	loiter := &seaVessel{mmsi: mmsi(), name: name(), shipType: 30, step: seaAISStep, ceM: 10,
		move: &legMover{legs: []seaLeg{
			{from: seaMove(y, 300, 30*seaNm), to: y, t0: 12 * hour, t1: 15 * hour},
			{from: y, t0: 15 * hour, t1: 21 * hour, circleM: 300},
			{from: y, to: seaMove(y, 300, 30*seaNm), t0: 21 * hour, t1: 24 * hour},
		}}}
	loiter.id = "mmsi:" + strconv.Itoa(loiter.mmsi)
	vs = append(vs, loiter)
	truth = append(truth, MaritimeTruth{Kind: "loitering", Vessels: []string{loiter.id},
		Start: at(15 * hour), End: at(21 * hour), Lat: y[0], Lon: y[1]})

	// Stand-off breach: a warship of the last party comes from 25 nm off to 5 nm off the
	// corridor at 100 nm, holds there from 24 h to 30 h, and goes back. A merchant ship
	// northbound at 12 kn passes it at 27 h.
	q0, q1 := east(100, 25), east(100, 5)
	warship("breach", partyIDs[len(partyIDs)-1],
		seaLeg{from: q0, t0: 0, t1: 22 * hour, circleM: 1500},
		seaLeg{from: q0, to: q1, t0: 22 * hour, t1: 24 * hour},
		seaLeg{from: q1, t0: 24 * hour, t1: 30 * hour, circleM: 2500},
		seaLeg{from: q1, to: q0, t0: 30 * hour, t1: 32 * hour},
		seaLeg{from: q0, t0: 32 * hour, t1: MaritimeDuration, circleM: 1500},
	)
	merchant(100+12*27, -1, 12, 0.2*halfM, 70)

	// Reports.
	var obs []truce.Observation
	radarSeq := 0
	for _, v := range vs {
		first := true
		var lastT time.Duration
		var last [2]float64
		for t := time.Duration(uni(0, 1) * float64(v.step)); t < MaritimeDuration; t += time.Duration(uni(0.8, 1.2) * float64(v.step)) {
			lat, lon, kn, course, ok := v.move.at(t)
			if !ok || (t >= v.quiet[0] && t < v.quiet[1]) {
				continue
			}
			if v.quiet[1] > 0 && t >= v.quiet[1] && lastT < v.quiet[0] && !first {
				truth = append(truth, MaritimeTruth{Kind: "dark", Vessels: []string{v.id},
					Start: at(lastT).Truncate(time.Millisecond), End: at(t).Truncate(time.Millisecond),
					Lat: last[0], Lon: last[1], Lat2: lat, Lon2: lon})
			}
			rlat, rlon := lat, lon
			if v.spoofAt > 0 && t >= v.spoofAt && lastT < v.spoofAt && !first {
				p := seaMove([2]float64{lat, lon}, 90, 60*seaNm)
				rlat, rlon = p[0], p[1]
				truth = append(truth, MaritimeTruth{Kind: "jump", Vessels: []string{v.id},
					Start: at(lastT).Truncate(time.Millisecond), End: at(t).Truncate(time.Millisecond),
					Lat: last[0], Lon: last[1], Lat2: seaRound6(rlat), Lon2: seaRound6(rlon)})
			} else {
				// Position error: a few metres for AIS, within the uncertainty for radar.
				p := seaMove([2]float64{lat, lon}, uni(0, 360), math.Abs(rng.NormFloat64())*math.Min(5, v.ceM/2)+boolF(v.military)*uni(0, v.ceM/2))
				rlat, rlon = p[0], p[1]
			}
			first = false
			lastT, last = t, [2]float64{lat, lon}
			o := truce.Observation{
				Time: at(t).Truncate(time.Millisecond), Kind: "sea.vessel",
				Lat: seaRound6(rlat), Lon: seaRound6(rlon), CEm: v.ceM, Party: v.party,
				Attrs: map[string]any{
					"speed":  math.Round(math.Max(0, kn+rng.NormFloat64()*0.1)*10) / 10,
					"course": math.Round(normAzi(course+rng.NormFloat64())*10) / 10,
				},
			}
			if v.mmsi != 0 {
				o.Source = "ais"
				o.ID = "ais:" + strconv.Itoa(v.mmsi) + ":" + strconv.FormatInt(o.Time.UnixMilli(), 10)
				o.Attrs["mmsi"] = float64(v.mmsi)
				o.Attrs["ship_name"] = v.name
				o.Attrs["ship_type"] = v.shipType
				o.Attrs["class"] = "A"
			} else {
				radarSeq++
				o.Source = "coastal-radar"
				o.ID = "maritime-radar-" + strconv.Itoa(radarSeq)
				o.Attrs["track"] = v.track
				o.Attrs["military"] = true
			}
			obs = append(obs, o)
		}
	}
	sort.SliceStable(obs, func(i, j int) bool { return obs[i].Time.Before(obs[j].Time) })

	truth = append(truth, zoneTruth(a, eng, vs, cfg.Start)...)
	sort.SliceStable(truth, func(i, j int) bool { return truth[i].Start.Before(truth[j].Start) })
	return &MaritimeScenario{Observations: obs, Truth: truth, Anchorages: [][2]float64{anchor}}, nil
}

// zoneTruth computes, minute by minute from the true positions, when each military vessel
// is inside an exclusion or stand-off zone, and within 10 nm of a merchant ship in a
// corridor zone.
func zoneTruth(a *truce.Agreement, eng *geo.Engine, vs []*seaVessel, start time.Time) []MaritimeTruth {
	var excl, corr []int
	for i, z := range a.Zones {
		switch z.Kind {
		case truce.ZoneExclusion, truce.ZoneStandoff:
			excl = append(excl, i)
		case truce.ZoneCorridor:
			corr = append(corr, i)
		}
	}
	loc := eng.NewLocation()
	inZone := func(lat, lon float64, zones []int) int {
		eng.Locate(lat, lon, 0, loc)
		for _, i := range zones {
			if loc.Zones[i] == geo.Inside {
				return i
			}
		}
		return -1
	}
	var out []MaritimeTruth
	for _, m := range vs {
		if !m.military {
			continue
		}
		zone := -1                      // index in out of the open exclusion truth
		pairs := map[*seaVessel]*pass{} // the open stand-off passes
		for t := time.Duration(0); t < MaritimeDuration; t += time.Minute {
			lat, lon, _, _, ok := m.move.at(t)
			if !ok {
				continue
			}
			if zi := inZone(lat, lon, excl); zi >= 0 {
				if zone < 0 {
					out = append(out, MaritimeTruth{Kind: "exclusion", Vessels: []string{m.id}, Zone: a.Zones[zi].ID,
						Start: start.Add(t), Lat: lat, Lon: lon})
					zone = len(out) - 1
				}
				out[zone].End = start.Add(t)
			} else {
				zone = -1
			}
			for _, c := range vs {
				if !c.merchant {
					continue
				}
				clat, clon, _, _, ok := c.move.at(t)
				d := math.Inf(1)
				if ok {
					d = seaDistM(lat, lon, clat, clon)
				}
				near := d <= (standoffNm+marginNm)*seaNm && inZone(clat, clon, corr) >= 0
				p, open := pairs[c]
				if !near {
					if open {
						closePass(out, p)
						delete(pairs, c)
					}
					continue
				}
				if !open {
					out = append(out, MaritimeTruth{Kind: "standoff", Vessels: []string{m.id, c.id}})
					p = &pass{i: len(out) - 1, minD: math.Inf(1)}
					pairs[c] = p
				}
				if d < p.minD {
					p.minD, p.minT = d, start.Add(t)
					p.minPos = [4]float64{lat, lon, clat, clon}
				}
				if d <= standoffNm*seaNm {
					if !p.within {
						p.within = true
						out[p.i].Start = start.Add(t)
						out[p.i].Lat, out[p.i].Lon, out[p.i].Lat2, out[p.i].Lon2 = lat, lon, clat, clon
					}
					out[p.i].End = start.Add(t)
				}
			}
		}
		for _, p := range pairs {
			closePass(out, p)
		}
	}
	return out
}

// Stand-off truth: the distance, and the margin either side of it within which a pass is
// marginal (see MaritimeTruth.Marginal).
const (
	standoffNm = 10
	marginNm   = 1
)

// pass is a stand-off pass being followed: its truth's index, the closest approach, and
// whether it has come within the distance.
type pass struct {
	i      int
	minD   float64
	minT   time.Time
	minPos [4]float64
	within bool
}

// closePass settles a pass once the vessels are apart: marginal when the closest approach
// was within the margin of the distance, placed at the closest approach when it never came
// within.
func closePass(out []MaritimeTruth, p *pass) {
	w := &out[p.i]
	w.Marginal = p.minD > (standoffNm-marginNm)*seaNm
	if !p.within {
		w.Start, w.End = p.minT, p.minT
		w.Lat, w.Lon, w.Lat2, w.Lon2 = p.minPos[0], p.minPos[1], p.minPos[2], p.minPos[3]
	}
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sortedIDs(a, b string) []string {
	if b < a {
		a, b = b, a
	}
	return []string{a, b}
}

// seaRoute is a polyline addressed by the distance along it, its edges straight in
// longitude and latitude as GeoJSON draws them.
type seaRoute struct {
	lat, lon, cum, azi []float64
}

func newSeaRoute(ls orb.LineString) *seaRoute {
	r := &seaRoute{}
	for _, p := range ls {
		if n := len(r.lat); n > 0 && r.lat[n-1] == p[1] && r.lon[n-1] == p[0] {
			continue
		}
		r.lat = append(r.lat, p[1])
		r.lon = append(r.lon, p[0])
	}
	r.cum = make([]float64, len(r.lat))
	r.azi = make([]float64, len(r.lat))
	for i := 1; i < len(r.lat); i++ {
		var d, az float64
		geodesic.WGS84.Inverse(r.lat[i-1], r.lon[i-1], r.lat[i], r.lon[i], &d, &az, nil)
		r.cum[i] = r.cum[i-1] + d
		r.azi[i-1] = az
	}
	if n := len(r.azi); n > 1 {
		r.azi[n-1] = r.azi[n-2]
	}
	return r
}

func (r *seaRoute) length() float64 { return r.cum[len(r.cum)-1] }

func (r *seaRoute) at(s float64) (lat, lon, azi float64) {
	s = math.Max(0, math.Min(s, r.length()))
	i := sort.SearchFloat64s(r.cum, s)
	if i == 0 {
		return r.lat[0], r.lon[0], r.azi[0]
	}
	f := (s - r.cum[i-1]) / (r.cum[i] - r.cum[i-1])
	return r.lat[i-1] + f*(r.lat[i]-r.lat[i-1]), r.lon[i-1] + f*(r.lon[i]-r.lon[i-1]), r.azi[i-1]
}

// routeMover sails a route back and forth at a steady speed, lateralM to the left of it
// (tapering to nothing over the last 30 km at either end, where ships converge on a port).
type routeMover struct {
	r        *seaRoute
	lateralM float64
	s0, dir  float64
	speed    float64
}

func (m *routeMover) at(t time.Duration) (lat, lon, kn, course float64, ok bool) {
	l := m.r.length()
	s := m.s0 + m.dir*m.speed*t.Seconds()
	dir := m.dir
	period := 2 * l
	s = math.Mod(s, period)
	if s < 0 {
		s += period
	}
	if s > l {
		s, dir = period-s, -dir
	}
	lat, lon, azi := m.r.at(s)
	taper := math.Min(1, math.Min(s, l-s)/30_000)
	p := seaMove([2]float64{lat, lon}, azi-90, m.lateralM*taper)
	if dir < 0 {
		azi += 180
	}
	return p[0], p[1], m.speed / seaKnot, normAzi(azi), true
}

// seaLeg is a straight passage from one point to another between two times, or, with no
// destination, a slow circle of circleM metres around from (lying at anchor, drifting,
// holding station).
type seaLeg struct {
	from, to [2]float64
	t0, t1   time.Duration
	circleM  float64
}

type legMover struct{ legs []seaLeg }

func (m *legMover) at(t time.Duration) (lat, lon, kn, course float64, ok bool) {
	for _, l := range m.legs {
		if t < l.t0 || t >= l.t1 {
			continue
		}
		if l.to == ([2]float64{}) {
			// Once round the circle every two hours.
			const period = 2 * time.Hour
			ang := 360 * float64(t%period) / float64(period)
			p := seaMove(l.from, ang, l.circleM)
			return p[0], p[1], 2 * math.Pi * l.circleM / period.Seconds() / seaKnot, normAzi(ang + 90), true
		}
		var d, az float64
		geodesic.WGS84.Inverse(l.from[0], l.from[1], l.to[0], l.to[1], &d, &az, nil)
		f := float64(t-l.t0) / float64(l.t1-l.t0)
		p := seaMove(l.from, az, d*f)
		return p[0], p[1], d / (l.t1 - l.t0).Seconds() / seaKnot, normAzi(az), true
	}
	return 0, 0, 0, 0, false
}

// patrolLegs goes from p to q and back at kn knots until the end.
func patrolLegs(p, q [2]float64, kn float64, until time.Duration) []seaLeg {
	var d float64
	geodesic.WGS84.Inverse(p[0], p[1], q[0], q[1], &d, nil, nil)
	leg := time.Duration(d / (kn * seaKnot) * float64(time.Second))
	var legs []seaLeg
	for t := time.Duration(0); t < until; t += leg {
		legs = append(legs, seaLeg{from: p, to: q, t0: t, t1: t + leg})
		p, q = q, p
	}
	return legs
}

func seaMove(p [2]float64, azi, m float64) [2]float64 {
	var lat, lon float64
	geodesic.WGS84.Direct(p[0], p[1], azi, m, &lat, &lon, nil)
	return [2]float64{lat, lon}
}

func seaDistM(lat1, lon1, lat2, lon2 float64) float64 {
	var d float64
	geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2, &d, nil, nil)
	return d
}

func normAzi(a float64) float64 {
	a = math.Mod(a, 360)
	if a < 0 {
		a += 360
	}
	return a
}

func seaRound6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
