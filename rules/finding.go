package rules

import (
	"math"
	"strconv"
	"strings"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// finding builds the finding of rule r on o. It runs only when a rule is broken, so it may
// spend on the explanation what Judge saves on the observations that break nothing.
func (j *Judge) finding(r *rule, o *truce.Observation, loc *geo.Location, status geo.Containment, zone int) truce.Finding {
	a := j.agreement
	f := truce.Finding{
		ID:          FindingID(o.Source, o.ID, r.def.ID),
		Rule:        r.def.ID,
		Article:     r.def.Article,
		Title:       r.def.Title,
		Observation: o.ID,
		Source:      o.Source,
		Kind:        o.Kind,
		Time:        o.Time,
		Lat:         o.Lat,
		Lon:         o.Lon,
		Attribution: r.def.Attribution,
		Severity:    r.def.Severity,
		Status:      truce.StatusInside,
		Confidence:  1,
		Agreement:   a.Hash,
	}
	var b strings.Builder
	b.Grow(320)
	b.WriteString(o.Kind)
	// A report a detector derived (maritime, fusion) says what it found in its own words.
	if said, ok := o.Attrs["explanation"].(string); ok && said != "" {
		b.WriteString(" (")
		b.WriteString(said)
		b.WriteByte(')')
	}
	if zone >= 0 {
		z := &a.Zones[zone]
		f.Zone = z.ID
		depth := j.depthM(zone, o, loc)
		if status == geo.Possible {
			f.Status = truce.StatusPossible
			f.Confidence = diskFractionInside(depth, o.CEm)
			b.WriteString(" possibly inside ")
			b.WriteString(z.Name)
			b.WriteString(" (position ±")
			writeDistance(&b, (o.CEm))
			b.WriteString(", ")
			writeDistance(&b, (math.Abs(depth)))
			if depth >= 0 {
				b.WriteString(" inside its boundary)")
			} else {
				b.WriteString(" outside its boundary)")
			}
		} else {
			b.WriteByte(' ')
			writeDistance(&b, (math.Max(depth, 0)))
			b.WriteString(" inside ")
			b.WriteString(z.Name)
		}
	}
	if status == geo.Possible && zone < 0 {
		f.Status = truce.StatusPossible
		f.Confidence = 0.5
	}
	// The line that puts the observation in context: the rule's own, else the line of the
	// zone's band, else the nearest line that separates the parties.
	line := r.line
	if line < 0 && zone >= 0 && a.Zones[zone].Band != nil {
		line = a.LineIndex(a.Zones[zone].Band.Line)
	}
	if line < 0 && r.def.Attribution != truce.AttributeNone {
		// Only where responsibility is at stake: a rule that attributes nothing gains nothing
		// from "300 km on Party East's side" of a line it does not concern.
		line = j.nearestSideLine(loc)
	}
	if line >= 0 {
		ls := loc.Lines[line]
		ln := &a.Lines[line]
		if zone >= 0 {
			b.WriteString(", ")
		} else {
			b.WriteByte(' ')
		}
		party := sideParty(ln, ls.Side)
		switch {
		case ls.DistanceM < 0.5:
			b.WriteString("on ")
		case party != "" && ls.SideCertain:
			writeDistance(&b, (ls.DistanceM))
			b.WriteString(" on ")
			b.WriteString(a.PartyName(party))
			b.WriteString("'s side of ")
		case ls.Side != geo.SideNone && ls.SideCertain:
			writeDistance(&b, (ls.DistanceM))
			b.WriteString(" to the ")
			b.WriteString(ls.Side.String())
			b.WriteString(" of ")
		default:
			writeDistance(&b, (ls.DistanceM))
			b.WriteString(" from ")
		}
		b.WriteString(ln.Name)
		if !ls.SideCertain && ls.DistanceM > 0 {
			b.WriteString(" (either side within the position's uncertainty)")
		}
	}
	b.WriteString(" — ")
	b.WriteString(r.def.Article)
	if r.def.Title != "" {
		b.WriteString(" (")
		b.WriteString(r.def.Title)
		b.WriteByte(')')
	}
	if f.Status == truce.StatusPossible {
		b.WriteString("; possible, confidence ")
		b.WriteString(strconv.FormatFloat(f.Confidence, 'f', 2, 64))
	}
	party, reason := j.attribute(r, o, loc, line)
	f.Party = party
	switch {
	case r.def.Attribution == truce.AttributeNone:
	case party == truce.PartyUndetermined:
		b.WriteString("; responsibility undetermined: ")
		b.WriteString(reason)
	default:
		b.WriteString("; attributed to ")
		b.WriteString(a.PartyName(party))
		b.WriteString(" by ")
		b.WriteString(reason)
	}
	f.Explanation = b.String()
	return f
}

// depthM is how far o lies inside zone (negative: outside), for the explanation and the
// confidence. For bands it comes from the distance Locate already measured to the band's line
// (to well under 1% — plenty for a sentence and a two-decimal confidence); other zones ask the
// engine.
func (j *Judge) depthM(zone int, o *truce.Observation, loc *geo.Location) float64 {
	z := &j.agreement.Zones[zone]
	if z.Band == nil {
		return j.engine.ZoneDepthM(zone, o.Lat, o.Lon)
	}
	ls := loc.Lines[j.agreement.LineIndex(z.Band.Line)]
	width := z.Band.Km * 1000
	if z.Band.Side == truce.SideBoth {
		return width - ls.DistanceM
	}
	if sideParty(&truce.Line{Left: truce.SideLeft, Right: truce.SideRight}, ls.Side) != z.Band.Side {
		return -ls.DistanceM
	}
	return math.Min(width-ls.DistanceM, ls.DistanceM)
}

// attribute names the party responsible under the rule's attribution method and says how it
// was decided, or returns PartyUndetermined with the reason.
func (j *Judge) attribute(r *rule, o *truce.Observation, loc *geo.Location, line int) (party, reason string) {
	switch r.def.Attribution {
	case truce.AttributeNone:
		return "", ""
	case truce.AttributeParty:
		if o.Party != "" && j.agreement.Party(o.Party) != nil {
			return o.Party, "observed affiliation"
		}
		return j.sideOf(loc, line)
	case truce.AttributeOrigin:
		lat, okLat := number(o.Attrs, "origin_lat")
		lon, okLon := number(o.Attrs, "origin_lon")
		if !okLat || !okLon || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return truce.PartyUndetermined, "the origin of fire has not been located"
		}
		ce, _ := number(o.Attrs, "origin_ce_m")
		origin := j.locations.Get().(*geo.Location)
		defer j.locations.Put(origin)
		j.engine.Locate(lat, lon, math.Max(ce, 0), origin)
		if line < 0 || j.agreement.Lines[line].Left == "" {
			line = j.nearestSideLine(origin)
		}
		party, reason := j.sideOf(origin, line)
		if party == truce.PartyUndetermined {
			return party, "origin of fire " + reason
		}
		return party, "origin of fire, " + reason
	default: // side
		return j.sideOf(loc, line)
	}
}

// sideOf names the party on whose side loc lies: by the given line when it separates the
// parties, else by territory.
func (j *Judge) sideOf(loc *geo.Location, line int) (string, string) {
	a := j.agreement
	if line >= 0 && a.Lines[line].Left != "" && a.Lines[line].Right != "" {
		ls := loc.Lines[line]
		if !ls.SideCertain || ls.Side == geo.SideNone {
			return truce.PartyUndetermined, "the position is within its uncertainty of " + a.Lines[line].Name
		}
		return sideParty(&a.Lines[line], ls.Side), "side of " + a.Lines[line].Name
	}
	for _, zi := range j.territories {
		if loc.Zones[zi] == geo.Inside {
			return a.Zones[zi].Party, "territory (" + a.Zones[zi].Name + ")"
		}
	}
	return truce.PartyUndetermined, "no line or territory settles whose side the position is on"
}

// nearestSideLine is the nearest line that separates two parties, or -1.
func (j *Judge) nearestSideLine(loc *geo.Location) int {
	best := -1
	for _, i := range j.sideLines {
		if best < 0 || loc.Lines[i].DistanceM < loc.Lines[best].DistanceM {
			best = i
		}
	}
	return best
}

func sideParty(ln *truce.Line, s geo.Side) string {
	switch s {
	case geo.SideLeft:
		return ln.Left
	case geo.SideRight:
		return ln.Right
	}
	return ""
}

func number(attrs map[string]any, key string) (float64, bool) {
	v, ok := attrs[key].(float64)
	return v, ok && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// writeDistance writes metres for a person: "350 m", "3.2 km", "41 km".
func writeDistance(b *strings.Builder, m float64) {
	var buf [32]byte
	var out []byte
	switch {
	case m < 1000:
		out = append(strconv.AppendFloat(buf[:0], math.Round(m), 'f', 0, 64), " m"...)
	case m < 100_000:
		out = append(strconv.AppendFloat(buf[:0], m/1000, 'f', 1, 64), " km"...)
	default:
		out = append(strconv.AppendFloat(buf[:0], m/1000, 'f', 0, 64), " km"...)
	}
	b.Write(out)
}

// diskFractionInside is the share of a disk of radius r whose centre lies depth metres inside
// a straight boundary (negative: outside) that falls inside: the confidence that a position
// with uncertainty radius r is inside, taking the position as uniform over its circle and the
// boundary as straight at that scale. Rounded to two decimals.
func diskFractionInside(depth, r float64) float64 {
	if r <= 0 {
		if depth >= 0 {
			return 1
		}
		return 0
	}
	d := math.Abs(depth)
	var outside float64 // share of the disk beyond a chord at distance d from the centre
	if d < r {
		theta := 2 * math.Acos(d/r)
		outside = (theta - math.Sin(theta)) / (2 * math.Pi)
	}
	frac := 1 - outside
	if depth < 0 {
		frac = outside
	}
	return math.Round(frac*100) / 100
}
