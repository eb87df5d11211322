package sim

import (
	"math"
	"time"

	"github.com/paulmach/orb"

	truce "github.com/truce-project/truce"
)

// Shipping. Every line that a corridor zone is drawn around is a shipping route. Merchant
// ships sail it at 9–14 knots within the corridor, each at its own distance from the route,
// reporting by AIS (as a shore receiver thins it, every aisIntervalS seconds at Rate 1); at
// either end they spend a few hours in port, unseen, and sail back. Warships of each party
// patrol a track parallel to the middle of the route, well beyond the stand-off distance, seen
// by coastal radar every radarIntervalS seconds with an uncertainty of a few hundred metres.
const (
	knot             = 1852.0 / 3600 // metres a second
	nauticalMile     = 1852.0
	aisIntervalS     = 180
	radarIntervalS   = 600
	warshipMinOffNm  = 16
	warshipMaxOffNm  = 30
	warshipTrackFrom = 0.3 // share of the route where warship tracks start and end
	warshipTrackTo   = 0.8
)

// ship is a merchant ship on a route.
type ship struct {
	mmsi      int
	name      string
	shipType  float64 // AIS ship type: 70 cargo, 80 tanker
	track     path    // the route moved sideways by the ship's own distance from it
	s, dir    float64
	speed     float64 // metres a second
	clock     int64
	portUntil int64
	seq       int
}

// warship is a military vessel patrolling off a route.
type warship struct {
	id     string
	party  string
	class  string
	track  path
	s, dir float64
	speed  float64
	clock  int64
}

var (
	shipWords1 = []string{"NORDIC", "AEGEAN", "BLUE", "GOLDEN", "OCEAN", "SEA", "STAR", "BLACK SEA", "DANUBE", "PONTIC", "AZURE", "SILVER"}
	shipWords2 = []string{"TRADER", "SPIRIT", "PIONEER", "GRACE", "HARMONY", "LEGEND", "VENTURE", "CARRIER", "DAWN", "GLORY", "HOPE", "WAVE"}
)

func (r *run) startVessels() {
	seen := map[string]bool{}
	var routes []struct {
		path  *path
		halfM float64
	}
	for _, z := range r.a.Zones {
		if z.Kind != truce.ZoneCorridor || z.Band == nil || seen[z.Band.Line] {
			continue
		}
		li := r.a.LineIndex(z.Band.Line)
		if li < 0 || len(r.a.Lines[li].Path) < 2 {
			continue
		}
		seen[z.Band.Line] = true
		p := newPath(r.a.Lines[li].Path)
		if p.length() <= 0 {
			continue
		}
		routes = append(routes, struct {
			path  *path
			halfM float64
		}{&p, z.Band.Km * 1000})
	}
	tracks := 0
	for _, rt := range routes {
		for range r.s.cfg.Ships {
			sh := &ship{
				mmsi:     r.mmsi(),
				name:     shipWords1[r.rng.IntN(len(shipWords1))] + " " + shipWords2[r.rng.IntN(len(shipWords2))],
				shipType: []float64{70, 70, 80}[r.rng.IntN(3)],
				track:    shipTrack(rt.path, r.uniform(-0.5, 0.5)*rt.halfM),
				dir:      1,
				speed:    r.uniform(9, 14) * knot,
			}
			sh.s = r.uniform(0, sh.track.length())
			if r.rng.IntN(2) == 0 {
				sh.dir = -1
			}
			r.schedule(int64(r.uniform(0, aisIntervalS/r.s.cfg.Rate)*float64(time.Second)), sh.report)
		}
		for _, party := range r.a.Parties {
			tracks++
			w := &warship{
				id:    "track-" + itoa(tracks),
				party: party.ID,
				class: pick(r, "frigate", "corvette", "patrol boat", "minesweeper"),
				track: r.warshipTrack(rt.path),
				dir:   1,
				speed: r.uniform(8, 16) * knot,
			}
			if len(w.track.lat) < 2 {
				continue
			}
			w.s = r.uniform(0, w.track.length())
			r.warships = append(r.warships, w)
			r.schedule(int64(r.uniform(0, radarIntervalS/r.s.cfg.Rate)*float64(time.Second)), w.report)
		}
	}
}

// shipTrack is the route moved lateralM metres to its left, sampled every kilometre. The
// offset tapers to nothing over the last shipTaperM at either end, where ships converge on the
// port or the strait the route ends in.
func shipTrack(route *path, lateralM float64) path {
	const shipTaperM = 30_000
	length := route.length()
	var ls orb.LineString
	for s := 0.0; ; s += 1000 {
		s = math.Min(s, length)
		lat, lon, azi := route.at(s)
		taper := math.Min(1, math.Min(s, length-s)/shipTaperM)
		lat, lon = offset(lat, lon, azi, lateralM*taper)
		ls = append(ls, orb.Point{lon, lat})
		if s >= length {
			break
		}
	}
	return newPath(ls)
}

// mmsi draws a ship's MMSI: nine digits starting with a maritime identification digit of
// Europe (2), the Americas (3) or Asia (4–5).
func (r *run) mmsi() int {
	return (2+r.rng.IntN(4))*100_000_000 + r.rng.IntN(100_000_000)
}

// warshipTrack is the track a warship patrols: the middle of the route, moved seawards. Which
// side is seaward the agreement does not say; the track takes the side towards the east,
// which is open sea for the example corridor from Odesa to the Bosporus.
func (r *run) warshipTrack(route *path) path {
	off := r.uniform(warshipMinOffNm, warshipMaxOffNm) * nauticalMile
	lo, hi := warshipTrackFrom*route.length(), warshipTrackTo*route.length()
	var ls orb.LineString
	for s := lo; s < hi; s += 2000 {
		lat, lon, azi := route.at(s)
		llat, llon := offset(lat, lon, azi, off)
		rlat, rlon := offset(lat, lon, azi, -off)
		if rlon > llon {
			llat, llon = rlat, rlon
		}
		ls = append(ls, orb.Point{llon, llat})
	}
	return newPath(ls)
}

// report is the merchant ship's action: sail on, and report by AIS unless in port.
func (sh *ship) report(r *run) {
	dt := float64(r.now-sh.clock) / float64(time.Second)
	sh.clock = r.now
	next := r.now + int64(aisIntervalS/r.s.cfg.Rate*r.uniform(0.8, 1.2)*float64(time.Second))
	if sh.portUntil > r.now {
		r.schedule(sh.portUntil, sh.report)
		return
	}
	sh.s += sh.dir * sh.speed * dt
	if length := sh.track.length(); sh.s < 0 || sh.s > length {
		sh.s = math.Max(0, math.Min(sh.s, length))
		sh.dir = -sh.dir
		sh.portUntil = r.now + int64(r.uniform(2, 6)*float64(time.Hour))
		r.schedule(sh.portUntil, sh.report)
		return
	}
	lat, lon, azi := sh.track.at(sh.s)
	if sh.dir < 0 {
		azi += 180
	}
	lat, lon = destination(lat, lon, r.uniform(0, 360), math.Abs(r.rng.NormFloat64())*5)
	sh.seq++
	o := &truce.Observation{
		ID:     seqID("ais-"+itoa(sh.mmsi), sh.seq),
		Source: "ais",
		Time:   r.timeAt(r.now),
		Kind:   "sea.vessel",
		Lat:    round6(lat),
		Lon:    round6(lon),
		CEm:    10,
		Attrs: map[string]any{
			"mmsi":      float64(sh.mmsi),
			"shipname":  sh.name,
			"ship_type": sh.shipType,
			"speed":     round1(math.Max(0, sh.speed/knot+r.rng.NormFloat64()*0.2)),
			"course":    round1(normDeg(azi + r.rng.NormFloat64()*1.5)),
		},
	}
	r.emitOrdinary(o, GenVessel)
	r.schedule(next, sh.report)
}

// report is the warship's action: steam on along the track, turning at its ends, and be
// seen by radar.
func (w *warship) report(r *run) {
	dt := float64(r.now-w.clock) / float64(time.Second)
	w.clock = r.now
	w.s += w.dir * w.speed * dt
	length := w.track.length()
	for w.s < 0 || w.s > length {
		if w.s > length {
			w.s, w.dir = 2*length-w.s, -1
		} else {
			w.s, w.dir = -w.s, 1
		}
	}
	lat, lon, azi := w.track.at(w.s)
	if w.dir < 0 {
		azi += 180
	}
	ce := math.Round(r.uniform(200, 500)/10) * 10
	lat, lon = destination(lat, lon, r.uniform(0, 360), math.Abs(r.rng.NormFloat64())*ce/2)
	o := &truce.Observation{
		Source: "coastal-radar",
		Time:   r.timeAt(r.now),
		Kind:   "sea.vessel",
		Lat:    round6(lat),
		Lon:    round6(lon),
		CEm:    ce,
		Party:  w.party,
		Attrs: map[string]any{
			"military": true,
			"class":    w.class,
			"track":    w.id,
			"speed":    round1(w.speed/knot + r.rng.NormFloat64()*0.5),
			"course":   round1(normDeg(azi + r.rng.NormFloat64()*5)),
		},
	}
	r.radarSeq++
	o.ID = seqID("radar", r.radarSeq)
	r.emitOrdinary(o, GenVessel)
	r.schedule(r.now+int64(radarIntervalS/r.s.cfg.Rate*r.uniform(0.9, 1.1)*float64(time.Second)), w.report)
}

// emitOrdinary queues an ordinary observation unless it breaks a rule, which an ordinary
// observation must never do (see Label); such a report is dropped.
func (r *run) emitOrdinary(o *truce.Observation, generator string) {
	if rules, _ := r.judged(o); len(rules) > 0 {
		r.dropped++
		return
	}
	r.emit(o, Label{ID: o.ID, Source: o.Source, Generator: generator})
}
