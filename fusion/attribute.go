package fusion

import (
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// Attribution is who an incident's fire is attributed to, and why.
type Attribution struct {
	// Party is the party on whose side the whole 95% ellipse of the origin lies,
	// truce.PartyUndetermined when the evidence does not settle it, or "" for an incident
	// that is not fire.
	Party string `json:"party,omitempty"`
	// Line is the id of the line the origin was judged against.
	Line string `json:"line,omitempty"`
	// DistanceM is the origin's distance from that line.
	DistanceM   float64 `json:"distance_m,omitempty"`
	Explanation string  `json:"explanation,omitempty"`
}

// attributor decides sides against an agreement's lines that separate parties.
type attributor struct {
	a     *truce.Agreement
	eng   *geo.Engine
	loc   *geo.Location
	lines []int
}

func newAttributor(a *truce.Agreement, eng *geo.Engine) *attributor {
	at := &attributor{a: a, eng: eng}
	if eng != nil {
		at.loc = eng.NewLocation()
	}
	for i, l := range a.Lines {
		if l.Left != "" && l.Right != "" {
			at.lines = append(at.lines, i)
		}
	}
	return at
}

// attribute judges the origin fix against the nearest line that separates parties.
func (at *attributor) attribute(origin *Fix, heard *Fix) Attribution {
	if origin == nil {
		why := "the origin of fire has not been located"
		if heard != nil && heard.Target == TargetImpact {
			why = "the reports locate the impact (" + fixText(heard) + "), not the firing position, so the origin of fire is not located"
		}
		return Attribution{Party: truce.PartyUndetermined, Explanation: why}
	}
	if at.loc == nil || len(at.lines) == 0 {
		return Attribution{Party: truce.PartyUndetermined, Explanation: "origin " + fixText(origin) + ", but no line of the agreement separates the parties"}
	}
	at.eng.Locate(origin.Lat, origin.Lon, 0, at.loc)
	li := at.lines[0]
	for _, i := range at.lines[1:] {
		if at.loc.Lines[i].DistanceM < at.loc.Lines[li].DistanceM {
			li = i
		}
	}
	ls := at.loc.Lines[li]
	ln := &at.a.Lines[li]
	party := ""
	switch ls.Side {
	case geo.SideLeft:
		party = ln.Left
	case geo.SideRight:
		party = ln.Right
	}
	att := Attribution{Line: ln.ID, DistanceM: ls.DistanceM}
	var b strings.Builder
	b.WriteString("origin ")
	b.WriteString(distanceText(ls.DistanceM))
	if party != "" {
		b.WriteString(" on ")
		b.WriteString(at.a.PartyName(party))
		b.WriteString("'s side of ")
	} else {
		b.WriteString(" from ")
	}
	b.WriteString(ln.Name)
	b.WriteString(", 95% ellipse ")
	b.WriteString(ellipseText(origin.Ellipse))
	if origin.Uncrossed {
		att.Party = truce.PartyUndetermined
		b.WriteString(", but the bearings do not cross (the source is nearly in line with the sensors) and arrival times alone placed it: responsibility undetermined")
	} else if party != "" && ellipseClearOfLine(origin, ls.DistanceM, ln.Path) {
		att.Party = party
		b.WriteString(", entirely on ")
		b.WriteString(at.a.PartyName(party))
		b.WriteString("'s side")
	} else {
		att.Party = truce.PartyUndetermined
		b.WriteString(", which reaches across the line: responsibility undetermined")
	}
	b.WriteString(" (")
	b.WriteString(sourcesText(origin))
	b.WriteByte(')')
	att.Explanation = b.String()
	return att
}

// ellipseClearOfLine reports whether the 95% ellipse of f lies wholly on one side of path,
// whose nearest point is distM from the centre. Far from the line the semi-major axis
// settles it; near it, each segment is mapped into the coordinates where the ellipse is the
// unit circle (x ↦ L⁻¹x, with L Lᵀ the 95% covariance) and must stay outside that circle.
func ellipseClearOfLine(f *Fix, distM float64, path orb.LineString) bool {
	// Where the nearest point of the line is one of its ends, the side changes across the
	// end piece extended, which distM does not measure: only the exact test will do.
	atEnd := false
	if len(path) > 0 {
		for _, p := range []orb.Point{path[0], path[len(path)-1]} {
			if distanceM(f.Lat, f.Lon, p[1], p[0]) <= distM*1.001+1 {
				atEnd = true
			}
		}
	}
	switch {
	case distM > f.Ellipse.SemiMajorM && !atEnd:
		return true
	case distM <= f.Ellipse.SemiMinorM:
		return false
	}
	// Cholesky factor of the 95% covariance.
	c11, c12, c22 := chi2Ellipse95*f.CovEE, chi2Ellipse95*f.CovEN, chi2Ellipse95*f.CovNN
	l11 := math.Sqrt(c11)
	if !(l11 > 0) {
		return false
	}
	l21 := c12 / l11
	l22 := math.Sqrt(math.Max(c22-l21*l21, 0))
	if !(l22 > 0) {
		return false
	}
	white := func(e, n float64) (float64, float64) {
		u := e / l11
		return u, (n - l21*u) / l22
	}
	pl := newPlane(f.Lat, f.Lon)
	reach := f.Ellipse.SemiMajorM * 1.01
	// Beyond its ends the line's side is that of the end piece extended (package geo), so the
	// ends are extended by more than the ellipse's reach.
	n := len(path)
	if n < 2 {
		return false
	}
	pts := make([][2]float64, 0, n+2)
	extend := func(a, b orb.Point) [2]float64 {
		ae, an := pl.xy(a[1], a[0])
		be, bn := pl.xy(b[1], b[0])
		l := math.Hypot(ae-be, an-bn)
		if l == 0 {
			return [2]float64{ae, an}
		}
		k := (l + 2*reach + math.Hypot(ae, an)) / l
		return [2]float64{be + (ae-be)*k, bn + (an-bn)*k}
	}
	pts = append(pts, extend(path[0], path[1]))
	for _, p := range path {
		e, n := pl.xy(p[1], p[0])
		pts = append(pts, [2]float64{e, n})
	}
	pts = append(pts, extend(path[n-1], path[n-2]))
	var pu, pv, pe, pn float64
	for i, p := range pts {
		e, n := p[0], p[1]
		u, v := white(e, n)
		if i > 0 {
			// Only segments that come near the ellipse matter; a long segment far from it is
			// skipped without the distortion of mapping its far end.
			if segDist(0, 0, pe, pn, e, n) <= reach && segDist(0, 0, pu, pv, u, v) <= 1 {
				return false
			}
		}
		pu, pv, pe, pn = u, v, e, n
	}
	return true
}

// segDist is the distance from (x, y) to the segment from (ax, ay) to (bx, by).
func segDist(x, y, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((x-ax)*dx+(y-ay)*dy)/l2))
	}
	return math.Hypot(x-ax-t*dx, y-ay-t*dy)
}

// fixText describes a fix for a person: "95% ellipse 1.2 × 0.6 km from 3 bearings".
func fixText(f *Fix) string {
	return "95% ellipse " + ellipseText(f.Ellipse) + ", " + sourcesText(f)
}

func sourcesText(f *Fix) string {
	var parts []string
	if f.Bearings > 0 {
		parts = append(parts, plural(f.Bearings, "bearing"))
	}
	if f.Points > 0 {
		parts = append(parts, plural(f.Points, "reported position"))
	}
	s := "from " + strings.Join(parts, " and ")
	if f.Timed {
		s += " with arrival times"
	}
	if len(f.Outliers) > 0 {
		s += ", " + plural(len(f.Outliers), "inconsistent bearing") + " left out"
	}
	if f.Inflated {
		s += ", enlarged for disagreeing measurements"
	}
	return s
}

func plural(n int, what string) string {
	s := strconv.Itoa(n) + " " + what
	if n != 1 {
		s += "s"
	}
	return s
}

// ellipseText gives the semi-axes: "1.2 km × 600 m".
func ellipseText(e Ellipse) string {
	return distanceText(e.SemiMajorM) + " × " + distanceText(e.SemiMinorM)
}

// distanceText writes metres for a person: "350 m", "3.2 km", "41 km".
func distanceText(m float64) string {
	switch {
	case m < 1000:
		return strconv.FormatFloat(math.Round(m), 'f', 0, 64) + " m"
	case m < 100_000:
		return strconv.FormatFloat(m/1000, 'f', 1, 64) + " km"
	}
	return strconv.FormatFloat(m/1000, 'f', 0, 64) + " km"
}
