// Package rules judges observations against an agreement. Compile turns each rule into a
// ready-to-run form once (kinds expanded, zones and lines resolved to indexes, the CEL
// condition compiled); Judge then locates an observation with package geo and returns one
// finding per rule it breaks, with the article, the zone, the attributed party, a confidence
// and a sentence a person can read.
package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"cel.dev/cel-go/cel"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// Judge is an agreement compiled for judging. It is safe for concurrent use.
type Judge struct {
	agreement *truce.Agreement
	engine    *geo.Engine
	rules     []rule
	windows   []window
	// byKind maps each observation kind to the rules that concern it, so that an observation
	// no rule mentions costs one map look-up.
	byKind map[string][]int
	// sideLines are the lines with a party on each side, which can settle whose side a place
	// is on; territories are the territory zones with a party, the fallback where no line does.
	sideLines   []int
	territories []int
	locations   sync.Pool // *geo.Location

	conditionErrors atomic.Int64
}

type rule struct {
	def   *truce.Rule
	zones []int // indexes into the agreement's zones; empty: anywhere
	// lineZone is the index of the hidden band zone that states the rule's line distance
	// condition (-1 for none); beyond flips it: the rule wants points outside that band.
	lineZone int
	beyond   int
	line     int // the rule's line, -1 for none
	side     geo.Side
	when     cel.Program
}

type window struct {
	def   *truce.Window
	rules map[string]bool // empty: every rule
	zones []int           // where; empty: everywhere
}

// Compile prepares the agreement for judging. It builds the spatial index and compiles every
// condition, and reports every problem found, each prefixed by the "file:line" of the element.
func Compile(a *truce.Agreement) (*Judge, error) {
	j := &Judge{agreement: a, byKind: map[string][]int{}}
	// The engine indexes the agreement's zones followed by hidden zones that state window
	// places and rule line conditions: geo already decides bands and circles exactly, so
	// these reuse it rather than repeat its geometry here.
	spatial := *a
	spatial.Zones = append([]truce.Zone(nil), a.Zones...)
	hidden := func(z truce.Zone) int {
		spatial.Zones = append(spatial.Zones, z)
		return len(spatial.Zones) - 1
	}
	var errs []error
	for i := range a.Lines {
		if a.Lines[i].Left != "" && a.Lines[i].Right != "" {
			j.sideLines = append(j.sideLines, i)
		}
	}
	for i := range a.Zones {
		if a.Zones[i].Kind == truce.ZoneTerritory && a.Zones[i].Party != "" {
			j.territories = append(j.territories, i)
		}
	}
	for i := range a.Rules {
		def := &a.Rules[i]
		r := rule{def: def, lineZone: -1, beyond: -1, line: -1}
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%srule %q: %s", prefix(def.Where), def.ID, fmt.Sprintf(format, args...)))
		}
		for _, z := range def.Zones {
			zi := a.ZoneIndex(z)
			if zi < 0 {
				fail("zone %q is not defined", z)
				continue
			}
			r.zones = append(r.zones, zi)
		}
		if lc := def.Line; lc != nil {
			r.line = a.LineIndex(lc.Line)
			if r.line < 0 {
				fail("line %q is not defined", lc.Line)
			} else {
				switch lc.Side {
				case truce.SideLeft:
					r.side = geo.SideLeft
				case truce.SideRight:
					r.side = geo.SideRight
				}
				if lc.WithinKm > 0 {
					r.lineZone = hidden(truce.Zone{ID: def.ID + "/within", Kind: truce.ZoneExclusion, Where: def.Where,
						Band: &truce.Band{Line: lc.Line, Km: lc.WithinKm, Side: truce.SideBoth}})
				}
				if lc.BeyondKm > 0 {
					r.beyond = hidden(truce.Zone{ID: def.ID + "/beyond", Kind: truce.ZoneExclusion, Where: def.Where,
						Band: &truce.Band{Line: lc.Line, Km: lc.BeyondKm, Side: truce.SideBoth}})
				}
			}
		}
		if def.When != "" {
			prog, err := compileCondition(def.When)
			if err != nil {
				fail("when: %v", err)
			}
			r.when = prog
		}
		if (def.Attribution == truce.AttributeSide || def.Attribution == truce.AttributeOrigin) && len(j.sideLines) == 0 && len(j.territories) == 0 {
			fail("attribution %q needs a line with left and right parties, or territory zones with a party", def.Attribution)
		}
		j.rules = append(j.rules, r)
		for _, k := range truce.Kinds {
			for _, p := range def.Kinds {
				if truce.KindMatches(p, k) {
					j.byKind[k] = append(j.byKind[k], i)
					break
				}
			}
		}
	}
	for i := range a.Windows {
		def := &a.Windows[i]
		w := window{def: def, rules: map[string]bool{}}
		for _, r := range def.Rules {
			w.rules[r] = true
		}
		for _, z := range def.Zones {
			if zi := a.ZoneIndex(z); zi >= 0 {
				w.zones = append(w.zones, zi)
			} else {
				errs = append(errs, fmt.Errorf("%swindow %q: zone %q is not defined", prefix(def.Where), def.ID, z))
			}
		}
		if def.Circle != nil {
			w.zones = append(w.zones, hidden(truce.Zone{ID: def.ID + "/circle", Kind: truce.ZoneExclusion, Where: def.Where, Circle: def.Circle}))
		}
		j.windows = append(j.windows, w)
	}
	engine, err := geo.NewEngine(&spatial)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	j.engine = engine
	j.locations.New = func() any { return engine.NewLocation() }
	return j, nil
}

func prefix(where string) string {
	if where == "" {
		return ""
	}
	return where + ": "
}

// Agreement returns the agreement the judge was compiled from.
func (j *Judge) Agreement() *truce.Agreement { return j.agreement }

// Engine returns the spatial engine, whose zone indexes start with the agreement's zones.
func (j *Judge) Engine() *geo.Engine { return j.engine }

// ConditionErrors counts evaluations of `when` conditions that failed (typically an attribute
// the observation lacks) and were taken as not holding.
func (j *Judge) ConditionErrors() int64 { return j.conditionErrors.Load() }

// Concerns reports whether any rule concerns observations of kind.
func (j *Judge) Concerns(kind string) bool { return len(j.byKind[kind]) > 0 }

// Judge appends to dst the findings for o, which must be valid (see Observation.Validate),
// and returns the extended slice.
func (j *Judge) Judge(o *truce.Observation, dst []truce.Finding) []truce.Finding {
	candidates := j.byKind[o.Kind]
	if len(candidates) == 0 {
		return dst
	}
	loc := j.locations.Get().(*geo.Location)
	defer j.locations.Put(loc)
	j.engine.Locate(o.Lat, o.Lon, o.CEm, loc)
	for _, ri := range candidates {
		r := &j.rules[ri]
		status, zone := j.place(r, loc)
		if status == geo.Outside {
			continue
		}
		if r.when != nil {
			ok, err := holds(r.when, o)
			if err != nil {
				j.conditionErrors.Add(1)
			}
			if !ok {
				continue
			}
		}
		if j.suspended(r, o, loc) {
			continue
		}
		dst = append(dst, j.finding(r, o, loc, status, zone))
	}
	return dst
}

// place decides whether loc meets the rule's place: any of its zones (the best containment
// wins), and its line condition. It returns the weaker of the two and the zone index (-1 when
// the rule names no zone).
func (j *Judge) place(r *rule, loc *geo.Location) (geo.Containment, int) {
	status, zone := geo.Inside, -1
	if len(r.zones) > 0 {
		status = geo.Outside
		for _, zi := range r.zones {
			if c := loc.Zones[zi]; c > status {
				status, zone = c, zi
				if c == geo.Inside {
					break
				}
			}
		}
	}
	if status == geo.Outside || r.line < 0 {
		return status, zone
	}
	if r.lineZone >= 0 {
		status = min(status, loc.Zones[r.lineZone])
	}
	if r.beyond >= 0 {
		status = min(status, geo.Inside-loc.Zones[r.beyond]) // outside the inner band
	}
	if r.side != geo.SideNone {
		ls := loc.Lines[r.line]
		switch {
		case ls.Side != r.side && ls.SideCertain:
			status = geo.Outside
		case !ls.SideCertain:
			status = min(status, geo.Possible)
		}
	}
	return status, zone
}

// suspended reports whether a window suspends rule r for o: the observation's time is within
// the window and its place is, or may be, within the window's place.
func (j *Judge) suspended(r *rule, o *truce.Observation, loc *geo.Location) bool {
	for i := range j.windows {
		w := &j.windows[i]
		if o.Time.Before(w.def.Start) || !o.Time.Before(w.def.End) {
			continue
		}
		if len(w.rules) > 0 && !w.rules[r.def.ID] {
			continue
		}
		if len(w.zones) == 0 {
			return true
		}
		for _, zi := range w.zones {
			if loc.Zones[zi] != geo.Outside {
				return true
			}
		}
	}
	return false
}

// FindingID is the stable id of the finding of rule on observation id from source.
func FindingID(source, observation, rule string) string {
	var stack [256]byte
	in := append(append(append(append(append(stack[:0], source...), 0), observation...), 0), rule...)
	sum := sha256.Sum256(in)
	return hex.EncodeToString(sum[:16])
}
