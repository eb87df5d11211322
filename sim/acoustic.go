package sim

import (
	"time"

	truce "github.com/truce-project/truce"
)

// Acoustic sensing. Sensors stand a few kilometres off the front on alternate sides. A fire
// event is an explosion (a shell or mortar round striking across the line, heard at the
// impact up to explosionRangeM away, and with Config.Launches its launch too, heard at the
// firing position up to launchRangeM away) or a burst (machine-gun fire near the line, heard
// at the firing position up to burstRangeM away). Each sensor in range hears it with probability
// hearProbability, when the sound reaches it at speedOfSound, and reports a bearing from
// itself to the sound with its own Gaussian error of 2–5 degrees (standard deviation).
const (
	eventsPerHour     = 8 // at Rate 1
	explosionRangeM   = 25000
	burstRangeM       = 10000
	hearProbability   = 0.9
	speedOfSound      = 343.0 // metres a second
	sensorOffsetMinM  = 2000
	sensorOffsetMaxM  = 6000
	sensorMinSigmaDeg = 2
	sensorMaxSigmaDeg = 5
	// With Config.Launches: the launch of a round is heard up to launchRangeM away, and it
	// flies at projectileSpeed on average, so it lands distance / projectileSpeed later.
	launchRangeM    = 20000
	projectileSpeed = 400.0 // metres a second
	// Monitors on patrol who hear a launch within monitorLaunchRangeM report the direction
	// of fire, by ear, with a bearing error of monitorSigmaDeg and the time they heard it to
	// within monitorTimeSigmaS (standard deviations), with probability monitorHearProbability.
	monitorLaunchRangeM    = 10000
	monitorSigmaDeg        = 10
	monitorTimeSigmaS      = 2
	monitorHearProbability = 0.7
)

// sensor is a fixed acoustic array at a surveyed position.
type sensor struct {
	id       string
	lat, lon float64
	sigma    float64 // standard deviation of its bearing error in degrees
	seq      int
}

func (r *run) startAcoustic() {
	f := &r.s.front
	n := r.s.cfg.Sensors
	if n == 0 {
		return
	}
	total := f.path.length()
	for i := range n {
		lat, lon, azi := f.path.at(total * (float64(i) + 0.5) / float64(n))
		side := 1.0
		if i%2 == 1 {
			side = -1
		}
		slat, slon := offset(lat, lon, azi, side*r.uniform(sensorOffsetMinM, sensorOffsetMaxM))
		r.sensors = append(r.sensors, sensor{
			id:    "acoustic-" + itoa(i+1),
			lat:   round6(slat),
			lon:   round6(slon),
			sigma: round1(r.uniform(sensorMinSigmaDeg, sensorMaxSigmaDeg)),
		})
	}
	r.schedule(r.exp(eventsPerHour*r.s.cfg.Rate), (*run).fireEvent)
}

// fireEvent draws one fire event somewhere along the front and queues the reports of the
// sensors that hear it. An event whose last report would arrive after the scenario ends is
// not fired, so that every event in the truth has all its reports in the output.
func (r *run) fireEvent() {
	defer r.schedule(r.now+r.exp(eventsPerHour*r.s.cfg.Rate), (*run).fireEvent)
	f := &r.s.front
	lat, lon, azi := f.path.at(r.uniform(0, f.path.length()))
	party := r.randomParty()
	target := r.otherParty(party)
	e := &Event{Kind: "fire.explosion", Party: party, Time: r.timeAt(r.now)}
	var ok1, ok2 bool
	rangeM := float64(explosionRangeM)
	if r.rng.Float64() < 0.7 {
		e.Weapon = pick(r, "artillery", "mortar", "artillery", "rocket")
		e.OriginLat, e.OriginLon, ok1 = r.sidePoint(party, lat, lon, azi, 4000, 18000)
		e.ImpactLat, e.ImpactLon, ok2 = r.sidePoint(target, lat, lon, azi, 500, 6000)
		e.HeardLat, e.HeardLon = e.ImpactLat, e.ImpactLon
	} else {
		e.Kind, e.Weapon, rangeM = "fire.burst", pick(r, "heavy machine gun", "small arms"), burstRangeM
		e.OriginLat, e.OriginLon, ok1 = r.sidePoint(party, lat, lon, azi, 300, 2000)
		e.ImpactLat, e.ImpactLon, ok2 = r.sidePoint(target, lat, lon, azi, 200, 1500)
		e.HeardLat, e.HeardLon = e.OriginLat, e.OriginLon
	}
	if !ok1 || !ok2 {
		return
	}
	type report struct {
		sensor int
		at     int64
		dist   float64
		azi    float64
	}
	// listen returns the sensors within rangeM of lat, lon that hear a sound made there at
	// time at, and false if one would hear it after the scenario ends.
	listen := func(lat, lon, rangeM float64, at int64) ([]report, bool) {
		var heard []report
		for i := range r.sensors {
			sn := &r.sensors[i]
			d, azi := inverse(sn.lat, sn.lon, lat, lon)
			if d > rangeM || r.rng.Float64() >= hearProbability {
				continue
			}
			arrives := at + int64(d/speedOfSound*float64(time.Second))
			if arrives >= r.end {
				return nil, false
			}
			heard = append(heard, report{i, arrives, d, azi})
		}
		return heard, true
	}
	// Without launches the event happens now, where it is heard; with them, the round is
	// fired now and lands a flight later.
	var launches []report
	exploded := r.now
	if r.s.cfg.Launches && e.Kind == "fire.explosion" {
		flight, _ := inverse(e.OriginLat, e.OriginLon, e.ImpactLat, e.ImpactLon)
		exploded = r.now + int64(flight/projectileSpeed*float64(time.Second))
		e.Launched, e.Time = r.timeAt(r.now), r.timeAt(exploded)
		var ok bool
		if launches, ok = listen(e.OriginLat, e.OriginLon, launchRangeM, r.now); !ok {
			return
		}
	}
	// Monitors on shift who hear the launch: where they stand, and when the sound reaches
	// them.
	type monitorReport struct {
		p        *patrol
		lat, lon float64
		at       int64
		azi      float64
	}
	var monitors []monitorReport
	if launches != nil || (r.s.cfg.Launches && e.Kind == "fire.explosion") {
		if on, _ := r.onShift(r.now); on {
			for _, p := range r.patrols {
				plat, plon, _ := p.position(r, r.now)
				d, azi := inverse(plat, plon, e.OriginLat, e.OriginLon)
				if d > monitorLaunchRangeM || r.rng.Float64() >= monitorHearProbability {
					continue
				}
				at := r.now + int64((d/speedOfSound+r.rng.NormFloat64()*monitorTimeSigmaS)*float64(time.Second))
				if at >= r.end {
					return
				}
				monitors = append(monitors, monitorReport{p, plat, plon, max(at, r.now), azi})
			}
		}
	}
	heard, ok := listen(e.HeardLat, e.HeardLon, rangeM, exploded)
	if !ok || len(heard)+len(launches)+len(monitors) == 0 {
		return
	}
	r.events++
	e.ID = seqID("event", r.events)
	for _, m := range monitors {
		m.p.seq++
		o := &truce.Observation{
			ID:     seqID(m.p.id, m.p.seq),
			Source: m.p.id,
			Time:   r.timeAt(m.at),
			Kind:   "fire.projectile",
			Lat:    round6(m.lat),
			Lon:    round6(m.lon),
			CEm:    10,
			Attrs: map[string]any{
				"bearing_deg":    round1(normDeg(m.azi + r.rng.NormFloat64()*monitorSigmaDeg)),
				"bearing_sd_deg": float64(monitorSigmaDeg),
				"time_sd_s":      float64(monitorTimeSigmaS),
				"note":           "outgoing fire heard",
			},
		}
		rules, _ := r.judged(o)
		e.Launches = append(e.Launches, o.ID)
		r.emit(o, Label{ID: o.ID, Source: o.Source, Generator: GenPatrol, Violation: len(rules) > 0,
			Rules: rules, Event: e, EventID: e.ID})
	}
	for _, h := range launches {
		sn := &r.sensors[h.sensor]
		sn.seq++
		o := &truce.Observation{
			ID:     seqID(sn.id, sn.seq),
			Source: sn.id,
			Time:   r.timeAt(h.at),
			Kind:   "fire.projectile",
			Lat:    sn.lat,
			Lon:    sn.lon,
			CEm:    5,
			Attrs: map[string]any{
				"bearing_deg":    round1(normDeg(h.azi + r.rng.NormFloat64()*sn.sigma)),
				"bearing_sd_deg": sn.sigma,
				"sensor":         sn.id,
				"range_class":    rangeClass(h.dist),
				"weapon":         e.Weapon,
			},
		}
		rules, _ := r.judged(o)
		e.Launches = append(e.Launches, o.ID)
		r.emit(o, Label{ID: o.ID, Source: o.Source, Generator: GenAcoustic, Violation: len(rules) > 0,
			Rules: rules, Event: e, EventID: e.ID})
	}
	for _, h := range heard {
		sn := &r.sensors[h.sensor]
		sn.seq++
		o := &truce.Observation{
			ID:     seqID(sn.id, sn.seq),
			Source: sn.id,
			Time:   r.timeAt(h.at),
			Kind:   e.Kind,
			Lat:    sn.lat,
			Lon:    sn.lon,
			CEm:    5,
			Attrs: map[string]any{
				"bearing_deg":    round1(normDeg(h.azi + r.rng.NormFloat64()*sn.sigma)),
				"bearing_sd_deg": sn.sigma,
				"sensor":         sn.id,
				"range_class":    rangeClass(h.dist),
			},
		}
		rules, _ := r.judged(o)
		e.Reports = append(e.Reports, o.ID)
		r.emit(o, Label{ID: o.ID, Source: o.Source, Generator: GenAcoustic, Violation: len(rules) > 0,
			Rules: rules, Event: e, EventID: e.ID})
	}
}

// rangeClass is the coarse loudness class an acoustic array reports instead of a range.
func rangeClass(m float64) string {
	switch {
	case m < 3000:
		return "near"
	case m < 10000:
		return "medium"
	}
	return "far"
}
