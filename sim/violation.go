package sim

import (
	"math"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// Injected violations. The injector takes the agreement's rules in turn, each round in a new
// random order, and at each tick of its Poisson clock makes one observation that breaks the
// next rule. It knows nothing of the rule but what the agreement says: it draws candidates of
// the rule's kinds, with attributes from a repertoire wide enough to meet the examples' `when`
// conditions, at points in the rule's zones (or in its line condition's band), first near a
// patrol that could have seen it; the judge keeps the first candidate the rule fires on,
// inside its place and attributed to the party the injector chose.
//
// A patrol reports what it injects, so patrol-reported violations happen on shift; a rule
// about vessels is reported by coastal radar at any hour.
const (
	violationTries     = 400
	violationNearTries = 150 // of which the first are near a patrol
	violationNearMaxM  = 8000
	// duplicateShare is the share of patrol-reported violations that a second patrol reports
	// too.
	duplicateShare = 0.25
)

type injector struct {
	kinds [][]string   // per rule, the kinds it concerns
	hints [][]attrHint // per rule, attribute values its condition suggests
	order []int        // the current round
	next  int
}

func (r *run) startInjector() {
	if r.s.cfg.ViolationsPerHour < 0 || len(r.a.Rules) == 0 {
		return
	}
	r.injector.kinds = make([][]string, len(r.a.Rules))
	r.injector.hints = make([][]attrHint, len(r.a.Rules))
	for i, rule := range r.a.Rules {
		r.injector.hints[i] = conditionHints(rule.When)
		for _, k := range truce.Kinds {
			for _, p := range rule.Kinds {
				if truce.KindMatches(p, k) {
					r.injector.kinds[i] = append(r.injector.kinds[i], k)
					break
				}
			}
		}
	}
	r.schedule(r.exp(r.s.cfg.ViolationsPerHour), (*run).inject)
}

// seaRule reports whether rule i concerns only vessels, which radar reports day and night.
func (r *run) seaRule(i int) bool {
	for _, k := range r.injector.kinds[i] {
		if k != "sea.vessel" {
			return false
		}
	}
	return len(r.injector.kinds[i]) > 0
}

func (r *run) inject() {
	defer r.schedule(r.now+r.exp(r.s.cfg.ViolationsPerHour), (*run).inject)
	in := &r.injector
	if in.next >= len(in.order) {
		in.order = r.rng.Perm(len(r.a.Rules))
		in.next = 0
	}
	ri := in.order[in.next]
	onShift, _ := r.onShift(r.now)
	if !onShift && !r.seaRule(ri) {
		return // the rule waits for the patrols' next shift
	}
	in.next++
	if len(in.kinds[ri]) == 0 {
		return
	}
	r.injectRule(ri)
}

// injectRule makes and queues one violation of rule ri, or nothing when no candidate worked.
func (r *run) injectRule(ri int) {
	def := &r.a.Rules[ri]
	party := ""
	if def.Attribution != truce.AttributeNone {
		party = r.randomParty()
	}
	sea := r.seaRule(ri)
	var near *patrol
	var nearLat, nearLon float64
	if !sea && len(r.patrols) > 0 {
		near = r.patrols[r.rng.IntN(len(r.patrols))]
		nearLat, nearLon, _ = near.position(r, r.now)
	}
	for try := range violationTries {
		kind := r.injector.kinds[ri][r.rng.IntN(len(r.injector.kinds[ri]))]
		var lat, lon float64
		if near != nil && try < violationNearTries {
			lat, lon = destination(nearLat, nearLon, r.uniform(0, 360), r.uniform(200, violationNearMaxM))
		} else {
			var ok bool
			if lat, lon, ok = r.rulePoint(def, kind == "sea.vessel"); !ok {
				continue
			}
		}
		// lat, lon is where the thing truly is; the observation reports it with an error
		// its uncertainty circle covers.
		o := &truce.Observation{
			Time:  r.timeAt(r.now),
			Kind:  kind,
			CEm:   r.ce(r.rng.Float64() < 0.6),
			Attrs: r.violationAttrs(kind),
		}
		// Half the candidates also take values the rule's condition suggests, for conditions
		// on attributes the repertoire does not cover.
		if hints := r.injector.hints[ri]; len(hints) > 0 && r.rng.IntN(2) == 0 {
			for _, h := range hints {
				if r.rng.Float64() < 0.8 {
					o.Attrs[h.key] = h.values[r.rng.IntN(len(h.values))]
				}
			}
		}
		switch def.Attribution {
		case truce.AttributeParty:
			if r.rng.Float64() < 0.85 {
				o.Party = party
			}
		case truce.AttributeSide:
			if r.rng.Float64() < 0.5 {
				o.Party = party
			}
		}
		if sea {
			o.Party = party
			o.CEm = math.Round(r.uniform(200, 500)/10) * 10
		}
		lat, lon = round6(lat), round6(lon)
		o.Lat, o.Lon = r.reported(lat, lon, o.CEm)
		var originLat, originLon *float64
		if def.Attribution == truce.AttributeOrigin {
			olat, olon, ok := r.sidePoint(party, lat, lon, math.NaN(), 2000, 15000)
			if !ok {
				continue
			}
			ce := math.Round(r.uniform(100, 800)/10) * 10
			o.Attrs["origin_lat"], o.Attrs["origin_lon"] = r.reported(olat, olon, ce)
			o.Attrs["origin_ce_m"] = ce
			originLat, originLon = &olat, &olon
		}
		rules, findings := r.judged(o)
		if !r.confirms(def.ID, party, findings) {
			continue
		}
		// The patrol it was drawn near reports it; a violation drawn elsewhere in the rule's
		// place (a naval mine in the corridor, a rocket launcher deep in a withdrawal band) is
		// reported by the patrol nearest to it, as if sent to verify.
		src := near
		if !sea && (src == nil || try >= violationNearTries) {
			if p := r.nearestPatrol(o.Lat, o.Lon); p != nil {
				src = p
			}
		}
		switch {
		case sea:
			o.Source = "coastal-radar"
			r.radarSeq++
			o.ID = seqID("radar", r.radarSeq)
			// A track of its own: a warship the radar has not followed before. Continuing
			// a patrolling warship's track would make it leap to the intrusion, which the
			// maritime detectors rightly report as an impossible jump.
			o.Attrs["track"] = "track-" + party + "-intrusion-" + itoa(r.radarSeq)
		case src != nil:
			src.seq++
			o.Source, o.ID = src.id, seqID(src.id, src.seq)
		default:
			return
		}
		r.violation++
		v := &Violation{
			ID: seqID("violation", r.violation), Rule: def.ID, Article: def.Article, Party: party,
			Time: o.Time, Lat: lat, Lon: lon, Observations: []string{o.ID},
			OriginLat: originLat, OriginLon: originLon,
		}
		r.emit(o, Label{ID: o.ID, Source: o.Source, Generator: GenInjected, Violation: true, Rules: rules,
			Injected: v, InjectedID: v.ID})
		if src != nil && len(r.patrols) > 1 && r.rng.Float64() < duplicateShare {
			r.duplicate(def, v, o, src)
		}
		return
	}
	r.failed++
}

// duplicate has a second patrol report violation v, first reported as o by patrol first, a
// little later and with its own error of position, as happens when two patrols pass the same
// place; fusion must recognise the two as one. The report is kept only if the rule fires on
// it as on the first.
func (r *run) duplicate(def *truce.Rule, v *Violation, o *truce.Observation, first *patrol) {
	i := r.rng.IntN(len(r.patrols) - 1)
	if r.patrols[i] == first {
		i = len(r.patrols) - 1
	}
	second := r.patrols[i]
	at := r.now + int64(r.uniform(5, 30)*float64(time.Minute))
	if at >= r.end {
		return
	}
	o2 := &truce.Observation{
		Time:  r.timeAt(at),
		Kind:  o.Kind,
		CEm:   r.ce(r.rng.Float64() < 0.4),
		Party: o.Party,
		Attrs: cloneAttrs(o.Attrs),
	}
	o2.Lat, o2.Lon = r.reported(v.Lat, v.Lon, o2.CEm)
	if v.OriginLat != nil {
		ce, _ := o.Attrs["origin_ce_m"].(float64)
		o2.Attrs["origin_lat"], o2.Attrs["origin_lon"] = r.reported(*v.OriginLat, *v.OriginLon, ce)
	}
	rules, findings := r.judged(o2)
	if !r.confirms(def.ID, v.Party, findings) {
		return
	}
	second.seq++
	o2.Source, o2.ID = second.id, seqID(second.id, second.seq)
	v.Observations = append(v.Observations, o2.ID)
	r.emit(o2, Label{ID: o2.ID, Source: o2.Source, Generator: GenInjected, Violation: true, Rules: rules,
		Injected: v, InjectedID: v.ID})
}

// cloneAttrs copies attributes deeply enough that no two observations share a map.
func cloneAttrs(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = cloneAttrs(sub)
		}
		c[k] = v
	}
	return c
}

// reported is where an observer reports a thing truly at lat, lon with uncertainty ceM: off by
// a distance drawn from a half-normal of scale ceM/2, at most ceM, in any direction.
func (r *run) reported(lat, lon, ceM float64) (float64, float64) {
	d := math.Min(math.Abs(r.rng.NormFloat64())*ceM/2, ceM)
	lat, lon = destination(lat, lon, r.uniform(0, 360), d)
	return round6(lat), round6(lon)
}

// confirms reports whether the findings hold one of rule inside its place, attributed to party
// (to no party when party is "").
func (r *run) confirms(rule, party string, findings []truce.Finding) bool {
	for _, f := range findings {
		if f.Rule == rule && f.Status == truce.StatusInside && f.Party == party {
			return true
		}
	}
	return false
}

// rulePoint draws a point in the place of rule def: in one of its zones, else in the band of
// its line condition, else near the front. seaward asks for the eastern side of bands drawn
// on both sides of a line (see warshipTrack).
func (r *run) rulePoint(def *truce.Rule, seaward bool) (float64, float64, bool) {
	if len(def.Zones) > 0 {
		zi := r.a.ZoneIndex(def.Zones[r.rng.IntN(len(def.Zones))])
		if zi < 0 {
			return 0, 0, false
		}
		return r.zonePoint(zi, seaward)
	}
	if lc := def.Line; lc != nil {
		li := r.a.LineIndex(lc.Line)
		if li < 0 {
			return 0, 0, false
		}
		lo, hi := lc.BeyondKm*1000, lc.WithinKm*1000
		if hi == 0 {
			hi = lo + 50_000
		}
		return r.bandPoint(li, lo, hi, lc.Side, seaward)
	}
	f := &r.s.front
	lat, lon, azi := f.path.at(r.uniform(0, f.path.length()))
	lat, lon = offset(lat, lon, azi, r.uniform(-10_000, 10_000))
	return lat, lon, true
}

// zonePoint draws a point in zone zi.
func (r *run) zonePoint(zi int, seaward bool) (float64, float64, bool) {
	z := &r.a.Zones[zi]
	switch {
	case z.Band != nil:
		li := r.a.LineIndex(z.Band.Line)
		if li < 0 {
			return 0, 0, false
		}
		return r.bandPoint(li, 0, z.Band.Km*1000, z.Band.Side, seaward)
	case z.Circle != nil:
		c := z.Circle
		lat, lon := destination(c.Center[1], c.Center[0], r.uniform(0, 360), c.RadiusKm*1000*math.Sqrt(r.rng.Float64()))
		return lat, lon, true
	}
	b := z.Area.Bound()
	if b.IsEmpty() {
		return 0, 0, false
	}
	// Rejection sampling from the bounding box; the engine decides what is inside.
	for range 500 {
		lat := r.uniform(b.Min[1], b.Max[1])
		lon := r.uniform(b.Min[0], b.Max[0])
		r.judge.Engine().Locate(lat, lon, 0, r.loc)
		if r.loc.Zones[zi] == geo.Inside {
			return lat, lon, true
		}
	}
	return 0, 0, false
}

// bandPoint draws a point between loM and hiM metres from line li on side (left, right, or
// both/empty for either).
func (r *run) bandPoint(li int, loM, hiM float64, side string, seaward bool) (float64, float64, bool) {
	p := newPathCached(r, li)
	if p.length() <= 0 {
		return 0, 0, false
	}
	lat, lon, azi := p.at(r.uniform(0, p.length()))
	d := r.uniform(loM, hiM)
	switch side {
	case truce.SideLeft:
	case truce.SideRight:
		d = -d
	default:
		if seaward {
			llat, llon := offset(lat, lon, azi, d)
			rlat, rlon := offset(lat, lon, azi, -d)
			if rlon > llon {
				return rlat, rlon, true
			}
			return llat, llon, true
		}
		if r.rng.IntN(2) == 0 {
			d = -d
		}
	}
	lat, lon = offset(lat, lon, azi, d)
	return lat, lon, true
}

// newPathCached returns the path of line li, built once per run.
func newPathCached(r *run, li int) *path {
	if r.linePaths == nil {
		r.linePaths = make([]*path, len(r.a.Lines))
	}
	if r.linePaths[li] == nil {
		p := newPath(r.a.Lines[li].Path)
		r.linePaths[li] = &p
	}
	return r.linePaths[li]
}

// heavyWeapons covers the categories and calibres the withdrawal rules name, and some they
// do not, so that the judge rather than the injector decides what breaks which rule.
var heavyWeapons = []struct {
	category string
	caliber  float64
}{
	{"artillery", 152}, {"artillery", 122}, {"artillery", 203}, {"rocket_launcher", 122},
	{"rocket_launcher", 220}, {"rocket_launcher", 300}, {"long_range", 0}, {"tactical_missile", 0},
	{"mortar", 120}, {"tank", 125},
}

// violationAttrs draws the attributes of an observation of kind made to break a rule.
func (r *run) violationAttrs(kind string) map[string]any {
	switch kind {
	case "presence.weapon":
		w := heavyWeapons[r.rng.IntN(len(heavyWeapons))]
		m := map[string]any{"category": w.category, "count": count(r, 1, 6)}
		if w.caliber > 0 {
			m["caliber_mm"] = w.caliber
		}
		return m
	case "presence.vehicle":
		return vehicleAttrs(r)
	case "presence.personnel":
		return map[string]any{"count": count(r, 2, 40)}
	case "presence.fortification":
		return map[string]any{"type": pick(r, "trench line", "dugout", "firing position", "bunker")}
	case "presence.mine":
		return map[string]any{"type": pick(r, "anti-tank", "anti-personnel", "naval contact mine"), "count": count(r, 1, 12)}
	case "air.uav":
		return map[string]any{"type": pick(r, "fixed wing", "quadcopter", "loitering munition"), "altitude_m": math.Round(r.uniform(100, 3000))}
	case "air.aircraft":
		return map[string]any{"type": pick(r, "helicopter", "fixed wing"), "altitude_m": math.Round(r.uniform(100, 6000))}
	case "sea.vessel":
		return map[string]any{"military": true, "class": pick(r, "frigate", "corvette", "patrol boat", "minesweeper"),
			"speed": round1(r.uniform(6, 20)), "course": round1(r.uniform(0, 360))}
	case "access.restriction":
		return map[string]any{"duration_min": math.Round(r.uniform(10, 180)),
			"description": pick(r, "patrol stopped at checkpoint", "road blocked by armed personnel", "patrol denied passage", "patrol ordered to turn back")}
	case "harm.civilian":
		return map[string]any{"count": count(r, 1, 4), "cause": pick(r, "shelling", "mine", "small arms fire")}
	case "damage.infrastructure":
		// Half the damage is to the mission's own equipment, which its daily report lists
		// apart: attrs.asset names what was hit.
		if r.rng.IntN(2) == 0 {
			asset := pick(r, "camera", "uav", "vehicle")
			return map[string]any{"asset": asset, "asset_id": asset + "-" + itoa(1+r.rng.IntN(40)),
				"cause": pick(r, "shelling", "small arms fire", "shrapnel")}
		}
		return map[string]any{"type": pick(r, "power line", "water pipeline", "school", "bridge", "gas pipeline")}
	}
	// Fire: the weapon fits what was seen or heard.
	switch kind {
	case "fire.explosion":
		return map[string]any{"weapon": pick(r, "artillery", "mortar", "rocket")}
	case "fire.burst":
		return map[string]any{"weapon": pick(r, "small arms", "heavy machine gun")}
	case "fire.flash":
		return map[string]any{"weapon": pick(r, "artillery", "tank gun")}
	case "fire.projectile":
		return map[string]any{"weapon": pick(r, "rocket", "anti-tank missile")}
	case "fire.flare":
		return map[string]any{"colour": pick(r, "white", "red", "green")}
	}
	return map[string]any{}
}
