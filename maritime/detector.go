package maritime

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

var inf = math.Inf(1)

// metresPerDegree is the length of a degree of latitude on the sphere of distanceM.
const metresPerDegree = earthRadiusM * math.Pi / 180

// Detector follows vessels through their sea.vessel observations and reports Events. It is
// safe for concurrent use; observations are judged one at a time, in the order Observe is
// called.
type Detector struct {
	cfg   Config
	a     *truce.Agreement
	eng   *geo.Engine
	loc   *geo.Location
	shore *ShoreQuery
	anch  *anchorages

	// The zones the detectors look at, and the indexes in zones (and in the engine) of the
	// exclusion and stand-off zones and of the corridors.
	zones     []*truce.Zone
	exclusion []int
	corridor  []int

	mu      sync.Mutex
	vessels map[vesselKey]*vessel
	// suspects are the vessels that are military or have sent no static data, the only
	// ones a stand-off can concern; the few there are are looked at directly.
	suspects []*vessel
	order    lru
	grid     grid
	standoff map[[2]*vessel]*pairState
	meet     map[[2]*vessel]*pairState
	newest   int64 // the latest observation time seen, Unix milliseconds
	stats    Stats
}

// pairState follows two vessels that are close: since when, when last confirmed, and
// whether the pair has been reported.
type pairState struct {
	first, last int64
	firstObs    [2]string
	sumLat      float64
	sumLon      float64
	n           int
	done        bool
}

// Stats counts what a Detector has seen.
type Stats struct {
	Observations int64 // sea.vessel observations given to Observe
	Anonymous    int64 // ignored: neither an MMSI nor a track to follow
	Invalid      int64 // ignored: a position or time that is not one
	OutOfOrder   int64 // ignored: not newer than the vessel's newest position
	Outliers     int64 // single positions dropped from a track as spoofed or wrong
	Evicted      int64 // vessels forgotten to stay within MaxVessels
	Events       int64
}

// NewDetector returns a Detector for the zones of agreement a (exclusion and stand-off
// zones, corridor zones, anchorages) and the coastline shore. Either may be nil: without an
// agreement there are no zone or stand-off events; without a shore there are no dark
// periods or loitering, which are defined by the distance from shore.
func NewDetector(a *truce.Agreement, shore *Shore, cfg Config) (*Detector, error) {
	cfg.defaults()
	d := &Detector{
		cfg:      cfg,
		a:        a,
		vessels:  make(map[vesselKey]*vessel),
		grid:     make(grid),
		standoff: make(map[[2]*vessel]*pairState),
		meet:     make(map[[2]*vessel]*pairState),
	}
	if a != nil {
		// The engine is built over the zones the detectors look at and the lines they are
		// drawn around, not the whole agreement, so that locating a position costs only
		// what the detectors use. d.zones maps its zone indexes back to a's.
		sub := &truce.Agreement{ID: a.ID}
		lines := map[string]bool{}
		for _, z := range a.Zones {
			switch z.Kind {
			case truce.ZoneExclusion, truce.ZoneStandoff, truce.ZoneCorridor:
				if z.Band != nil && !lines[z.Band.Line] {
					if li := a.LineIndex(z.Band.Line); li >= 0 {
						lines[z.Band.Line] = true
						sub.Lines = append(sub.Lines, a.Lines[li])
					}
				}
			}
		}
		for i, z := range a.Zones {
			switch z.Kind {
			case truce.ZoneExclusion, truce.ZoneStandoff:
				d.exclusion = append(d.exclusion, len(sub.Zones))
			case truce.ZoneCorridor:
				d.corridor = append(d.corridor, len(sub.Zones))
			default:
				continue
			}
			sub.Zones = append(sub.Zones, z)
			d.zones = append(d.zones, &a.Zones[i])
		}
		if len(sub.Zones) > 0 {
			eng, err := geo.NewEngine(sub)
			if err != nil {
				return nil, err
			}
			d.eng, d.loc = eng, eng.NewLocation()
		}
	}
	if shore != nil {
		d.shore = shore.NewQuery()
	}
	an, err := newAnchorages(a, cfg.Anchorages)
	if err != nil {
		return nil, err
	}
	d.anch = an
	return d, nil
}

// VesselID returns the name under which a sea.vessel observation's vessel is tracked, and
// its MMSI: "mmsi:" and the MMSI for AIS, else the source, '/' and the attribute track for
// a radar or other track without an MMSI. ok is false when the observation has neither.
func VesselID(o *truce.Observation) (id string, mmsi uint32, ok bool) {
	k, ok := keyOf(o)
	if !ok {
		return "", 0, false
	}
	return k.String(), k.mmsi, true
}

// vesselKey identifies a vessel: by MMSI, or by source and track.
type vesselKey struct {
	mmsi          uint32
	source, track string
}

func keyOf(o *truce.Observation) (vesselKey, bool) {
	if m, ok := number(o.Attrs["mmsi"]); ok && m > 0 && m < 1e9 && m == math.Trunc(m) {
		return vesselKey{mmsi: uint32(m)}, true
	}
	if t, ok := o.Attrs["track"].(string); ok && t != "" {
		return vesselKey{source: o.Source, track: t}, true
	}
	return vesselKey{}, false
}

func (k vesselKey) String() string {
	if k.mmsi != 0 {
		return "mmsi:" + strconv.FormatUint(uint64(k.mmsi), 10)
	}
	return k.source + "/" + k.track
}

// number reads a JSON number attribute, or one a Go caller set as an integer.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint32:
		return float64(x), true
	}
	return 0, false
}

// Vessels returns how many vessels are tracked.
func (d *Detector) Vessels() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.vessels)
}

// Stats returns the counts so far.
func (d *Detector) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Position is one position of a vessel's track.
type Position struct {
	Time        time.Time
	Lat, Lon    float64
	SpeedKn     float64 // reported, or derived from the previous position; NaN if neither
	Observation string
}

// Track returns the recent positions of the vessel named id (as VesselID names it), oldest
// first, or nil when it is not tracked.
func (d *Detector) Track(id string) []Position {
	d.mu.Lock()
	defer d.mu.Unlock()
	var v *vessel
	if m, err := strconv.ParseUint(strings.TrimPrefix(id, "mmsi:"), 10, 32); err == nil && strings.HasPrefix(id, "mmsi:") {
		v = d.vessels[vesselKey{mmsi: uint32(m)}]
	} else {
		for k, u := range d.vessels {
			if k.mmsi == 0 && u.id == id {
				v = u
				break
			}
		}
	}
	if v == nil {
		return nil
	}
	out := make([]Position, 0, v.n)
	for k := v.n - 1; k >= 0; k-- {
		f := v.before(k)
		out = append(out, Position{Time: ms(f.t), Lat: f.lat, Lon: f.lon, SpeedKn: f.speedKn, Observation: f.obs})
	}
	return out
}

// pairs returns how many stand-off and encounter pairs are followed, for tests of the
// memory bound.
func (d *Detector) pairs() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.standoff) + len(d.meet)
}

// Observe adds a sea.vessel observation to its vessel's track and returns the events it
// completes. Other kinds, observations without a position or time, and observations of a
// vessel no newer than its newest position return nothing and are counted in Stats.
//
// A time far in the future would freeze its vessel's track until the clock caught up, so
// observations should come through the ingest pipeline's checks, which refuse them.
func (d *Detector) Observe(o *truce.Observation) []Event {
	if o.Kind != "sea.vessel" {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stats.Observations++
	if !(o.Lat >= -90 && o.Lat <= 90 && o.Lon >= -180 && o.Lon <= 180) || o.Time.IsZero() || math.IsNaN(o.CEm) {
		d.stats.Invalid++
		return nil
	}
	key, ok := keyOf(o)
	if !ok {
		d.stats.Anonymous++
		return nil
	}
	t := o.Time.UnixMilli()
	v := d.vessels[key]
	if v == nil {
		v = d.track(key, t)
	} else if t <= v.last().t {
		d.stats.OutOfOrder++
		return nil
	} else {
		d.order.remove(v)
		d.order.pushFront(v)
	}
	if t > d.newest {
		d.newest = t
	}
	d.learn(v, o)

	f := fix{t: t, lat: o.Lat, lon: o.Lon, speedKn: math.NaN(), anchorM: math.NaN(), corridor: -1, obs: o.ID}
	if s, ok := number(o.Attrs["speed"]); ok && s >= 0 && s < 102.3 {
		f.speedKn = s
	}
	zone := -1
	if d.eng != nil {
		d.eng.Locate(f.lat, f.lon, o.CEm, d.loc)
		for _, i := range d.corridor {
			if d.loc.Zones[i] != geo.Outside {
				f.corridor = int16(i)
				break
			}
		}
		for _, i := range d.exclusion {
			if d.loc.Zones[i] != geo.Outside {
				zone = i
				break
			}
		}
	}

	var events []Event
	if v.n > 0 {
		events = d.checkJump(v, &f, events)
	}
	if p := v.before(0); p != nil {
		events = d.checkGap(v, p, &f, events)
		if math.IsNaN(f.speedKn) && !v.jumped {
			if dt := float64(f.t-p.t) / 1000; dt >= 60 {
				f.speedKn = distanceM(p.lat, p.lon, f.lat, f.lon) / dt / knotMS
			}
		}
	}
	v.push(f)
	d.grid.move(v, f.lat, f.lon)
	nf := v.last()
	events = d.checkZone(v, nf, zone, events)
	events = d.checkStandoff(v, nf, events)
	events = d.checkEncounter(v, nf, events)
	events = d.checkLoiter(v, nf, events)
	if d.stats.Observations&1023 == 0 {
		d.sweep()
	}
	d.stats.Events += int64(len(events))
	return events
}

// track starts tracking a vessel, forgetting the least recently heard one if need be.
func (d *Detector) track(key vesselKey, t int64) *vessel {
	if len(d.vessels) >= d.cfg.MaxVessels {
		old := d.order.back
		d.order.remove(old)
		d.grid.remove(old)
		delete(d.vessels, old.key)
		d.setSuspect(old, false)
		d.stats.Evicted++
	}
	v := &vessel{key: key, id: key.String(), mmsi: key.mmsi, first: t, zone: -1, suspectAt: -1, ring: make([]fix, d.cfg.TrackLength)}
	d.vessels[key] = v
	d.setSuspect(v, true) // until it sends static data
	d.order.pushFront(v)
	return v
}

// learn takes what the observation says about the vessel itself.
func (d *Detector) learn(v *vessel, o *truce.Observation) {
	a := o.Attrs
	if st, ok := number(a["ship_type"]); ok && st > 0 {
		v.static = true
		if st == 35 {
			v.military = true
		}
	}
	for _, k := range [...]string{"ship_name", "shipname"} {
		if n, ok := a[k].(string); ok && n != "" {
			v.static = true
			if n != v.name {
				v.name = n
			}
		}
	}
	if m, ok := a["military"].(bool); ok && m {
		v.military = true
	}
	if o.Party != "" && o.Party != v.party {
		v.party = o.Party
	}
	d.setSuspect(v, !v.static || v.military)
}

// setSuspect adds v to the suspects or removes it, keeping the list in a stable order so
// that events come out in the same order on every run.
func (d *Detector) setSuspect(v *vessel, on bool) {
	switch {
	case on && v.suspectAt < 0:
		v.suspectAt = len(d.suspects)
		d.suspects = append(d.suspects, v)
	case !on && v.suspectAt >= 0:
		last := d.suspects[len(d.suspects)-1]
		d.suspects[v.suspectAt] = last
		last.suspectAt = v.suspectAt
		d.suspects[len(d.suspects)-1] = nil
		d.suspects = d.suspects[:len(d.suspects)-1]
		v.suspectAt = -1
	}
}

// suspect reports whether v is military, or unknown: tracked for UnknownAfter without
// static data.
func (d *Detector) suspect(v *vessel, t int64) bool {
	return v.military || (!v.static && t-v.first >= d.cfg.UnknownAfter.Milliseconds())
}

func (d *Detector) slow(f *fix, maxKn float64) bool { return f.speedKn < maxKn }

// checkJump reports a position no ship could reach from the one before. A single wrong
// position (spoofed, or a receiver's garbling) makes two jumps, there and back; when the
// new position is plausible from the one before the jump, the position jumped to is dropped
// from the track and the jump back is not reported again.
func (d *Detector) checkJump(v *vessel, f *fix, events []Event) []Event {
	p := v.last()
	if !d.isJump(p, f) {
		v.jumped = false
		return events
	}
	if q := v.before(1); v.jumped && q != nil && !d.isJump(q, f) {
		v.pop()
		v.jumped = false
		d.stats.Outliers++
		return events
	}
	v.jumped = true
	dist := distanceM(p.lat, p.lon, f.lat, f.lon)
	dt := float64(f.t-p.t) / 1000
	return append(events, Event{
		Kind: EventJump, Vessels: []string{v.id}, MMSI: []uint32{v.mmsi}, Party: v.party,
		Start: ms(p.t), End: ms(f.t), Lat: p.lat, Lon: p.lon, Lat2: f.lat, Lon2: f.lon, HasSecond: true,
		Observations: []string{p.obs, f.obs},
		Explanation: fmt.Sprintf("%s reported %s then %s, %.1f nm apart %s later: %s, more than any ship can make (%g kn)",
			v.label(), latLon(p.lat, p.lon), latLon(f.lat, f.lon), dist/NauticalMileM, duration(dt), speedText(dist, dt), d.cfg.JumpMaxKn),
	})
}

func (d *Detector) isJump(p, f *fix) bool {
	dist := distanceM(p.lat, p.lon, f.lat, f.lon)
	if dist <= d.cfg.JumpMinM {
		return false
	}
	dt := float64(f.t-p.t) / 1000
	return dt <= 0 || dist/dt > d.cfg.JumpMaxKn*knotMS
}

// checkGap reports a silence of GapMin or more with either end far from shore.
func (d *Detector) checkGap(v *vessel, p, f *fix, events []Event) []Event {
	if d.shore == nil || f.t-p.t < d.cfg.GapMin.Milliseconds() {
		return events
	}
	if !d.shore.BeyondM(p.lat, p.lon, d.cfg.GapShoreM) && !d.shore.BeyondM(f.lat, f.lon, d.cfg.GapShoreM) {
		return events
	}
	dt := float64(f.t-p.t) / 1000
	return append(events, Event{
		Kind: EventDark, Vessels: []string{v.id}, MMSI: []uint32{v.mmsi}, Party: v.party,
		Start: ms(p.t), End: ms(f.t), Lat: p.lat, Lon: p.lon, Lat2: f.lat, Lon2: f.lon, HasSecond: true,
		Observations: []string{p.obs, f.obs},
		Explanation: fmt.Sprintf("%s was silent for %s, from %s (%.0f nm from shore) to %s (%.0f nm from shore)",
			v.label(), duration(dt), latLon(p.lat, p.lon), d.shore.DistanceM(p.lat, p.lon)/NauticalMileM,
			latLon(f.lat, f.lon), d.shore.DistanceM(f.lat, f.lon)/NauticalMileM),
	})
}

// checkZone reports a suspect vessel's stay in an exclusion or stand-off zone, once per stay.
// A stay ends when the vessel has been out of the zone for PairPause, so that a vessel
// along the boundary, whose positions fall in and out of it with their errors, makes one
// stay and not one for every crossing.
func (d *Detector) checkZone(v *vessel, f *fix, zone int, events []Event) []Event {
	if zone < 0 {
		if v.zone >= 0 && v.zoneOut == 0 {
			v.zoneOut = f.t
		}
		if v.zone >= 0 && f.t-v.zoneOut > d.cfg.PairPause.Milliseconds() {
			v.zone, v.zoneDone, v.zoneOut = -1, false, 0
		}
		return events
	}
	if v.zone != zone || (v.zoneOut != 0 && f.t-v.zoneOut > d.cfg.PairPause.Milliseconds()) {
		v.zone, v.zoneSince, v.zoneEntered, v.zoneDone = zone, f.t, f.obs, false
	}
	v.zoneOut = 0
	if v.zoneDone || !d.suspect(v, f.t) {
		return events
	}
	v.zoneDone = true
	z := d.zones[zone]
	depth := d.eng.ZoneDepthM(zone, f.lat, f.lon)
	where := fmt.Sprintf("%.1f nm inside", depth/NauticalMileM)
	if depth < 0 {
		where = fmt.Sprintf("possibly inside (%.1f nm outside, within the position's uncertainty)", -depth/NauticalMileM)
	}
	obs := []string{f.obs}
	if v.zoneEntered != f.obs {
		obs = []string{v.zoneEntered, f.obs}
	}
	return append(events, Event{
		Kind: EventExclusion, Vessels: []string{v.id}, MMSI: []uint32{v.mmsi}, Party: v.party, Zone: z.ID,
		Start: ms(v.zoneSince), End: ms(f.t), Lat: f.lat, Lon: f.lon, Observations: obs,
		Explanation: fmt.Sprintf("%s at %s, %s %s", v.label(), latLon(f.lat, f.lon), where, zoneName(z)),
	})
}

// checkStandoff looks for suspect vessels within the stand-off distance of vessels in a
// corridor, from whichever of the two reported.
func (d *Detector) checkStandoff(v *vessel, f *fix, events []Event) []Event {
	if len(d.corridor) == 0 {
		return events
	}
	suspect := d.suspect(v, f.t)
	if !suspect && f.corridor < 0 {
		return events
	}
	visit := func(u *vessel) {
		if u == v || u.n == 0 {
			return
		}
		g := u.last()
		if abs64(f.t-g.t) > d.cfg.PairMaxAge.Milliseconds() {
			return
		}
		var mil, cor *vessel
		var mf, cf *fix
		switch {
		case suspect && g.corridor >= 0:
			mil, cor, mf, cf = v, u, f, g
		case f.corridor >= 0 && d.suspect(u, f.t):
			mil, cor, mf, cf = u, v, g, f
		default:
			return
		}
		if math.Abs(mf.lat-cf.lat)*metresPerDegree > d.cfg.StandoffM {
			return // a cheap test first: most pairs are far apart in latitude alone
		}
		dist := distanceM(mf.lat, mf.lon, cf.lat, cf.lon)
		if dist > d.cfg.StandoffM {
			return
		}
		st := d.pair(d.standoff, [2]*vessel{mil, cor}, f.t, mf.obs, cf.obs, mf.lat, mf.lon)
		if st.done {
			return
		}
		st.done = true
		events = append(events, Event{
			Kind: EventStandoff, Vessels: []string{mil.id, cor.id}, MMSI: []uint32{mil.mmsi, cor.mmsi}, Party: mil.party,
			Zone:  d.zones[cf.corridor].ID,
			Start: ms(min64(mf.t, cf.t)), End: ms(f.t), Lat: mf.lat, Lon: mf.lon, Lat2: cf.lat, Lon2: cf.lon, HasSecond: true,
			Observations: []string{mf.obs, cf.obs},
			Explanation: fmt.Sprintf("%s at %s was %.1f nm from %s in the corridor at %s, within the stand-off distance of %.0f nm",
				mil.label(), latLon(mf.lat, mf.lon), dist/NauticalMileM, cor.label(), latLon(cf.lat, cf.lon), d.cfg.StandoffM/NauticalMileM),
		})
	}
	if !suspect && len(d.suspects) <= maxSuspectScan {
		// A vessel in the corridor: only suspects can break the stand-off, and there are
		// few, so they are looked at directly rather than through the grid's cells.
		for _, u := range d.suspects {
			visit(u)
		}
		return events
	}
	d.grid.near(f.lat, f.lon, d.cfg.StandoffM, visit)
	return events
}

// maxSuspectScan is how many suspects a corridor vessel's position is compared with
// directly; with more, the grid finds the near ones.
const maxSuspectScan = 64

// pair returns the state of a pair found close at t, starting a new one when the pair is
// new or was last confirmed more than PairPause ago.
func (d *Detector) pair(m map[[2]*vessel]*pairState, k [2]*vessel, t int64, obs0, obs1 string, lat, lon float64) *pairState {
	st := m[k]
	if st == nil || t-st.last > d.cfg.PairPause.Milliseconds() {
		st = &pairState{first: t, firstObs: [2]string{obs0, obs1}}
		m[k] = st
	}
	st.last = t
	st.sumLat += lat
	st.sumLon += lon
	st.n++
	return st
}

// checkEncounter looks for slow vessels close to this slow vessel, away from anchorages.
func (d *Detector) checkEncounter(v *vessel, f *fix, events []Event) []Event {
	if !d.slow(f, d.cfg.EncounterMaxKn) || d.anchorM(f) <= d.cfg.EncounterAnchorageM {
		return events
	}
	d.grid.near(f.lat, f.lon, d.cfg.EncounterM, func(u *vessel) {
		if u == v {
			return
		}
		g := u.last()
		if abs64(f.t-g.t) > d.cfg.PairMaxAge.Milliseconds() || !d.slow(g, d.cfg.EncounterMaxKn) {
			return
		}
		dist := distanceM(f.lat, f.lon, g.lat, g.lon)
		if dist > d.cfg.EncounterM || d.anchorM(g) <= d.cfg.EncounterAnchorageM {
			return
		}
		a, b, fa, fb := v, u, f, g
		if b.id < a.id {
			a, b, fa, fb = b, a, g, f
		}
		st := d.pair(d.meet, [2]*vessel{a, b}, f.t, fa.obs, fb.obs, (f.lat+g.lat)/2, (f.lon+g.lon)/2)
		if st.done || st.last-st.first < d.cfg.EncounterMin.Milliseconds() {
			return
		}
		st.done = true
		lat, lon := st.sumLat/float64(st.n), st.sumLon/float64(st.n)
		events = append(events, Event{
			Kind: EventEncounter, Vessels: []string{a.id, b.id}, MMSI: []uint32{a.mmsi, b.mmsi}, Party: a.party,
			Start: ms(st.first), End: ms(st.last), Lat: lat, Lon: lon,
			Observations: []string{st.firstObs[0], st.firstObs[1], fa.obs, fb.obs},
			Explanation: fmt.Sprintf("%s and %s stayed within %.0f m of each other under %g kn for %s at %s, %.0f km from the nearest anchorage",
				a.label(), b.label(), d.cfg.EncounterM, d.cfg.EncounterMaxKn, duration(float64(st.last-st.first)/1000), latLon(lat, lon), math.Min(d.anchorM(f), 1e7)/1000),
		})
	})
	return events
}

func (d *Detector) anchorM(f *fix) float64 {
	if math.IsNaN(f.anchorM) {
		f.anchorM = d.anch.distanceM(f.lat, f.lon)
	}
	return f.anchorM
}

// checkLoiter follows a vessel's slow run far from shore and reports it once long enough.
func (d *Detector) checkLoiter(v *vessel, f *fix, events []Event) []Event {
	if d.shore == nil || !d.slow(f, d.cfg.LoiterMaxKn) || !d.shore.BeyondM(f.lat, f.lon, d.cfg.LoiterShoreM) {
		v.loiterStart, v.loiterDone = 0, false
		return events
	}
	if v.loiterStart == 0 {
		v.loiterStart, v.loiterLat, v.loiterLon, v.loiterN, v.loiterObs = f.t, 0, 0, 0, f.obs
	}
	v.loiterLat += f.lat
	v.loiterLon += f.lon
	v.loiterN++
	if v.loiterDone || f.t-v.loiterStart < d.cfg.LoiterMin.Milliseconds() {
		return events
	}
	v.loiterDone = true
	lat, lon := v.loiterLat/float64(v.loiterN), v.loiterLon/float64(v.loiterN)
	return append(events, Event{
		Kind: EventLoitering, Vessels: []string{v.id}, MMSI: []uint32{v.mmsi}, Party: v.party,
		Start: ms(v.loiterStart), End: ms(f.t), Lat: lat, Lon: lon, Observations: []string{v.loiterObs, f.obs},
		Explanation: fmt.Sprintf("%s stayed under %g kn for %s around %s, %.0f nm from shore",
			v.label(), d.cfg.LoiterMaxKn, duration(float64(f.t-v.loiterStart)/1000), latLon(lat, lon), d.shore.DistanceM(lat, lon)/NauticalMileM),
	})
}

// sweep forgets pairs not confirmed for PairPause, so that the pair tables hold only the
// pairs active lately, and never more than twice MaxVessels each after a sweep. A pair of
// an evicted vessel goes the same way.
func (d *Detector) sweep() {
	cut := d.newest - d.cfg.PairPause.Milliseconds()
	limit := 2 * d.cfg.MaxVessels
	for _, m := range [...]map[[2]*vessel]*pairState{d.standoff, d.meet} {
		for k, st := range m {
			if st.last < cut {
				delete(m, k)
			}
		}
		for k := range m {
			if len(m) <= limit {
				break
			}
			delete(m, k)
		}
	}
}

func ms(t int64) time.Time { return time.UnixMilli(t).UTC() }

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func latLon(lat, lon float64) string {
	ns, ew := "N", "E"
	if lat < 0 {
		ns, lat = "S", -lat
	}
	if lon < 0 {
		ew, lon = "W", -lon
	}
	return fmt.Sprintf("%.3f%s %.3f%s", lat, ns, lon, ew)
}

func duration(s float64) string {
	if s < 3600 {
		return fmt.Sprintf("%.0f min", s/60)
	}
	return fmt.Sprintf("%.1f h", s/3600)
}

func speedText(distM, dtS float64) string {
	if dtS <= 0 {
		return "at the same instant"
	}
	return fmt.Sprintf("%.0f kn", distM/dtS/knotMS)
}

func zoneName(z *truce.Zone) string {
	if z.Name != "" {
		return z.Name
	}
	return "zone " + z.ID
}
