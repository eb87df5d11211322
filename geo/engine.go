package geo

import (
	"fmt"
	"math"

	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"
	"github.com/paulmach/orb"

	"github.com/truce-project/truce"
)

// maxSizeKm is the largest band width or circle radius the engine accepts. Anything larger
// is a quarter of the way round the Earth and is a typo (metres written as kilometres), not a
// zone a ceasefire agreement draws.
const maxSizeKm = 2000

// Engine answers where a point stands relative to an agreement's lines and zones. It is built
// once per agreement by NewEngine and is safe for concurrent use: all per-call state lives in
// the Location the caller passes to Locate.
type Engine struct {
	lines []lineGeom
	zones []zoneGeom
}

type lineGeom struct {
	id, where string
	segs      segIndex
	path      []lonLat // the cleaned vertices as given
	// coarse indexes the line simplified to within coarseTolM, so that a point far from the
	// line is placed with fewer pieces; see locateLine.
	coarse segIndex
	// reachM is the largest distance from this line that any zone or rule of the agreement
	// measures. Beyond it (plus the point's uncertainty) no decision depends on the exact
	// distance.
	reachM float64
}

// coarseTolM is how far the simplified line used for distant points may stray from the line.
// It is also the most that LineStatus.DistanceM can be off for a point beyond every distance
// the agreement measures from that line.
const coarseTolM = 50.0

// coarseArcTolM is the densification tolerance of the simplified line.
const coarseArcTolM = 2.0

// minCoarseM is the nearest a point may be to a line and still be placed against the
// simplified line. The side of a point is that of the nearest point of the line, and within a
// few tolerances of the line the simplified line can put that on the other side of a wiggle;
// twenty tolerances away it cannot.
const minCoarseM = 20 * coarseTolM

type zoneShape uint8

const (
	shapePolygon zoneShape = iota
	shapeBand
	shapeCircle
)

type zoneGeom struct {
	id, where string
	shape     zoneShape

	// Polygon zones.
	pip      *pipIndex
	boundary segIndex
	rings    [][][]lonLat // polygons, rings (shell first), cleaned vertices as given
	// minLat..maxLon is the bounding box of the densified rings in degrees.
	minLat, maxLat, minLon, maxLon float64

	// Band zones.
	line  int
	bandM float64
	side  Side // SideNone means both sides

	// Circle zones.
	center  lonLat
	centerP s2.Point
	radiusM float64
}

// NewEngine indexes the agreement's lines and zones once. It fails with a message naming
// the zone or line (and its Where field, a "file:line" string) for geometry it cannot use:
// fewer than 2 distinct points in a line, a ring with fewer than 3 distinct vertices, a
// self-intersecting ring, a band or circle of non-positive or absurd size, a band whose
// Line id is not in a.Lines.
func NewEngine(a *truce.Agreement) (*Engine, error) {
	e := &Engine{}
	for i := range a.Lines {
		l := &a.Lines[i]
		g, err := buildLine(l)
		if err != nil {
			return nil, truce.Errorf(truce.EINVALID, "%sline %q: %s", wherePrefix(l.Where), l.ID, err)
		}
		e.lines = append(e.lines, g)
	}
	for i := range a.Zones {
		z := &a.Zones[i]
		g, err := buildZone(a, z)
		if err != nil {
			return nil, truce.Errorf(truce.EINVALID, "%szone %q: %s", wherePrefix(z.Where), z.ID, err)
		}
		e.zones = append(e.zones, g)
		if g.shape == shapeBand {
			e.lines[g.line].reachM = math.Max(e.lines[g.line].reachM, g.bandM)
		}
	}
	e.buildHints()
	for _, r := range a.Rules {
		if r.Line == nil {
			continue
		}
		if li := a.LineIndex(r.Line.Line); li >= 0 {
			km := math.Max(r.Line.WithinKm, r.Line.BeyondKm)
			if km > 0 && !math.IsInf(km, 0) {
				e.lines[li].reachM = math.Max(e.lines[li].reachM, km*1000)
			}
		}
	}
	return e, nil
}

// hintMarginDeg widens the hint grids beyond the agreement's own geometry: observations a
// couple of hundred kilometres outside it still start their searches from a good bound.
const hintMarginDeg = 2

// maxHintCells caps each hint grid; larger areas get coarser cells.
const maxHintCells = 1 << 15

// buildHints lays hint grids (see hintGrid) over the box of everything the agreement draws.
func (e *Engine) buildHints() {
	minLon, minLat, maxLon, maxLat := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	grow := func(v lonLat) {
		minLon, maxLon = math.Min(minLon, v.lon), math.Max(maxLon, v.lon)
		minLat, maxLat = math.Min(minLat, v.lat), math.Max(maxLat, v.lat)
	}
	for i := range e.lines {
		for _, v := range e.lines[i].path {
			grow(v)
		}
	}
	for i := range e.zones {
		z := &e.zones[i]
		switch z.shape {
		case shapePolygon:
			grow(lonLat{z.minLon, z.minLat})
			grow(lonLat{z.maxLon, z.maxLat})
		case shapeCircle:
			grow(z.center)
		}
	}
	if math.IsInf(minLon, 0) {
		return
	}
	minLon, maxLon = math.Max(-180, minLon-hintMarginDeg), math.Min(180, maxLon+hintMarginDeg)
	minLat, maxLat = math.Max(-90, minLat-hintMarginDeg), math.Min(90, maxLat+hintMarginDeg)
	step := math.Max(0.1, math.Sqrt((maxLon-minLon)*(maxLat-minLat)/maxHintCells))
	for i := range e.lines {
		e.lines[i].segs.buildHint(minLon, minLat, maxLon, maxLat, step)
		e.lines[i].coarse.buildHint(minLon, minLat, maxLon, maxLat, step)
	}
}

func wherePrefix(where string) string {
	if where == "" {
		return ""
	}
	return where + ": "
}

func validLonLat(v lonLat) bool {
	return !math.IsNaN(v.lat) && !math.IsNaN(v.lon) && v.lat >= -90 && v.lat <= 90 && v.lon >= -180 && v.lon <= 180
}

func checkCoords(vs []lonLat) error {
	for i, v := range vs {
		if !validLonLat(v) {
			return fmt.Errorf("vertex %d [%g, %g] is not a longitude and latitude in degrees", i, v.lon, v.lat)
		}
	}
	return nil
}

func buildLine(l *truce.Line) (lineGeom, error) {
	path := cleanPath(l.Path, false)
	if err := checkCoords(path); err != nil {
		return lineGeom{}, err
	}
	if distinctCount(path, 2) < 2 {
		return lineGeom{}, fmt.Errorf("a line needs at least 2 distinct points, it has %d", distinctCount(path, 2))
	}
	g := lineGeom{id: l.ID, where: l.Where, path: path}
	dense := densifyPath(path, false)
	if len(dense) > maxPieces {
		return g, fmt.Errorf("the line is too long to index: %d pieces after densification, at most %d", len(dense), maxPieces)
	}
	g.segs.addPath(dense, false)
	g.segs.build()
	// A degree of latitude or longitude is at most 111.7 km anywhere on WGS84, so a planar
	// tolerance of coarseTolM/111700 degrees keeps the simplified line within coarseTolM.
	// Its arcs may stray a further coarseArcTolM from its lon/lat-straight edges.
	g.coarse.addPath(densifyPathTol(simplify(path, coarseTolM/111700), false, coarseArcTolM, 180), false)
	g.coarse.build()
	return g, nil
}

// densifyPath densifies every edge of a path (and the closing edge of a ring).
func densifyPath(vs []lonLat, closed bool) []lonLat {
	return densifyPathTol(vs, closed, densifyTolM, maxPieceDeg)
}

func densifyPathTol(vs []lonLat, closed bool, tolM, maxDeg float64) []lonLat {
	var out []lonLat
	for i := 0; i+1 < len(vs); i++ {
		out = densifyEdgeTol(out, vs[i], vs[i+1], tolM, maxDeg)
	}
	if closed {
		out = densifyEdgeTol(out, vs[len(vs)-1], vs[0], tolM, maxDeg)
	} else {
		out = append(out, vs[len(vs)-1])
	}
	return out
}

func buildZone(a *truce.Agreement, z *truce.Zone) (zoneGeom, error) {
	g := zoneGeom{id: z.ID, where: z.Where}
	set := 0
	if len(z.Area) > 0 {
		set++
	}
	if z.Band != nil {
		set++
	}
	if z.Circle != nil {
		set++
	}
	if set != 1 {
		return g, fmt.Errorf("exactly one of area, band and circle must be given, found %d", set)
	}
	switch {
	case z.Band != nil:
		b := z.Band
		g.shape = shapeBand
		g.line = a.LineIndex(b.Line)
		if g.line < 0 {
			return g, fmt.Errorf("band line %q is not defined", b.Line)
		}
		if !(b.Km > 0) || b.Km > maxSizeKm {
			return g, fmt.Errorf("band km %g must be more than 0 and at most %d", b.Km, maxSizeKm)
		}
		g.bandM = b.Km * 1000
		switch b.Side {
		case truce.SideLeft:
			g.side = SideLeft
		case truce.SideRight:
			g.side = SideRight
		case truce.SideBoth, "":
			g.side = SideNone
		default:
			return g, fmt.Errorf("band side %q must be left, right or both", b.Side)
		}
	case z.Circle != nil:
		c := z.Circle
		g.shape = shapeCircle
		g.center = lonLat{c.Center[0], c.Center[1]}
		if !validLonLat(g.center) {
			return g, fmt.Errorf("circle center [%g, %g] is not a longitude and latitude in degrees", g.center.lon, g.center.lat)
		}
		if !(c.RadiusKm > 0) || c.RadiusKm > maxSizeKm {
			return g, fmt.Errorf("circle radius_km %g must be more than 0 and at most %d", c.RadiusKm, maxSizeKm)
		}
		g.centerP = pointOf(g.center)
		g.radiusM = c.RadiusKm * 1000
	default:
		if err := buildPolygonZone(&g, z.Area); err != nil {
			return g, err
		}
	}
	return g, nil
}

// buildPolygonZone cleans and checks the rings, then builds the grid index used for
// containment and the piece index of the boundary used for distances.
//
// GeoJSON lets rings run either way round and says the first ring of each polygon is its
// shell and the rest are holes. Containment counts crossings over all rings (even-odd),
// which for valid input (holes inside their shell, polygons that do not overlap) is the
// GeoJSON reading whatever the orientation; checkRings rejects input where it would not be.
func buildPolygonZone(g *zoneGeom, area orb.MultiPolygon) error {
	g.shape = shapePolygon
	g.minLat, g.minLon = math.Inf(1), math.Inf(1)
	g.maxLat, g.maxLon = math.Inf(-1), math.Inf(-1)
	for pi, poly := range area {
		if len(poly) == 0 {
			return fmt.Errorf("polygon %d has no rings", pi)
		}
		var rings [][]lonLat
		for ri, ring := range poly {
			vs := cleanPath(ring, true)
			if err := checkCoords(vs); err != nil {
				return fmt.Errorf("polygon %d ring %d: %s", pi, ri, err)
			}
			if n := distinctCount(vs, 3); n < 3 {
				return fmt.Errorf("polygon %d ring %d has %d distinct vertices, a ring needs at least 3", pi, ri, n)
			}
			rings = append(rings, vs)
		}
		g.rings = append(g.rings, rings)
	}
	if err := checkRings(g.rings); err != nil {
		return err
	}
	pieces := 0
	for _, rings := range g.rings {
		for _, vs := range rings {
			dense := densifyPath(vs, true)
			if pieces += len(dense); pieces > maxPieces {
				return fmt.Errorf("the area is too large to index: more than %d pieces after densification", maxPieces)
			}
			for _, v := range dense {
				g.minLat, g.maxLat = math.Min(g.minLat, v.lat), math.Max(g.maxLat, v.lat)
				g.minLon, g.maxLon = math.Min(g.minLon, v.lon), math.Max(g.maxLon, v.lon)
			}
			g.boundary.addPath(dense, true)
		}
	}
	g.boundary.build()
	g.pip = newPIPIndex(g.rings)
	return nil
}

// NewLocation returns a Location sized for the agreement, with the per-call state Locate needs
// so that it allocates nothing.
func (e *Engine) NewLocation() *Location {
	loc := &Location{}
	e.prepare(loc)
	return loc
}

func (e *Engine) prepare(loc *Location) {
	loc.Zones = make([]Containment, len(e.zones))
	loc.Lines = make([]LineStatus, len(e.lines))
	loc.near = make([]lineNear, len(e.lines))
	loc.engine = e
}

// lineNear is what Locate learns about one line for the current point: the nearest piece on
// the sphere, the estimated geodesic distance and its error bound, and the exact distance once
// a decision has needed it.
type lineNear struct {
	seg    int
	theta  float64 // spherical distance to the nearest piece, radians
	estM   float64
	errM   float64
	exactM float64 // NaN until computed
	// marginM is the distance to the nearest place where the side changes: the line itself,
	// or beyond an end, the end piece's great circle extended.
	marginM float64
}

// Locate fills loc for the point (degrees) with uncertainty radius ceM metres (0 = exact).
// It must not allocate.
//
// Coordinates outside [-90, 90] × [-180, 180], NaN or a negative ceM are the caller's to
// reject; Locate does not crash on them, and puts such a point outside every zone at an
// unknown (NaN) distance from every line.
func (e *Engine) Locate(lat, lon, ceM float64, loc *Location) {
	if loc.engine != e {
		e.prepare(loc)
	}
	if !(ceM > 0) {
		ceM = 0
	}
	if !validLonLat(lonLat{lon, lat}) {
		// A point that is nowhere is in no zone and at no known distance from any line.
		for i := range loc.Zones {
			loc.Zones[i] = Outside
		}
		for i := range loc.Lines {
			loc.Lines[i] = LineStatus{DistanceM: math.NaN()}
		}
		return
	}
	p := pointOf(lonLat{lon, lat})
	loc.lat, loc.lon = lat, lon
	for i := range e.lines {
		e.locateLine(i, p, ceM, loc)
	}
	for i := range e.zones {
		z := &e.zones[i]
		switch z.shape {
		case shapeBand:
			loc.Zones[i] = e.bandContainment(z, lat, lon, p, ceM, loc)
		case shapeCircle:
			loc.Zones[i] = circleContainment(z, lat, lon, p, ceM)
		default:
			loc.Zones[i] = polygonContainment(z, lat, lon, p, ceM)
		}
	}
}

func (e *Engine) locateLine(i int, p s2.Point, ceM float64, loc *Location) {
	l := &e.lines[i]
	n := &loc.near[i]
	n.exactM = math.NaN()
	// The simplified line is within coarseTolM of the line, so the distance to it brackets
	// the distance to the line. When even the low end of the bracket is beyond every
	// distance the agreement measures from this line (and the uncertainty circle, and
	// minCoarseM), the point is far and the simplified line answers; otherwise its distance
	// is a tight first bound for the search of the full line, which then looks at few
	// pieces. The hint grid often shows at once that the point is near (from the distance
	// of its cell's centre, or to the hinted piece, which bounds the distance to the line),
	// and then the full line is searched straight away; or that it is far, and then the full
	// line's hint is not looked at.
	nearM := max(l.reachM+ceM, minCoarseM)
	segs := &l.segs
	var seg int
	var ca s1.ChordAngle
	near := l.segs.hintNear(loc.lat, loc.lon, nearM)
	var h s1.ChordAngle
	if near >= 0 {
		h = l.segs.hinted(loc.lat, loc.lon, p, s1.InfChordAngle())
	}
	if near > 0 || (near == 0 && float64(h) < nearChord(nearM)) {
		seg, ca = l.segs.nearest(p, h)
	} else {
		segs = &l.coarse
		seg, ca = l.coarse.nearest(p, l.coarse.hinted(loc.lat, loc.lon, p, s1.InfChordAngle()))
		ctheta := chordRadians(ca)
		if tol := (coarseTolM + coarseArcTolM + densifyTolM) / kMin; (ctheta-tol)*kMin <= nearM+1 {
			segs = &l.segs
			limit := s1.ChordAngleFromAngle(s1.Angle(ctheta + tol + 1e-9))
			seg, ca = l.segs.nearest(p, l.segs.hinted(loc.lat, loc.lon, p, limit))
		}
	}
	if seg < 0 {
		// Rounding at the very edge of the bound; search without one.
		seg, ca = segs.nearest(p, s1.InfChordAngle())
	}
	if seg < 0 {
		// Only arithmetic gone wrong (an extreme ceM) gets here; report the line as unknown.
		n.seg, n.estM, n.errM, n.marginM, n.theta = 0, math.NaN(), 0, math.NaN(), math.NaN()
		loc.Lines[i] = LineStatus{DistanceM: math.NaN()}
		return
	}
	n.seg = seg
	foot := s2.Project(p, segs.a[seg], segs.b[seg])
	n.theta = chordRadians(ca)
	n.estM = metresAlong(p, foot, ca)
	n.errM = estimateErrM(n.estM)
	side, endTheta := segs.side(p, seg)
	n.marginM = n.estM
	if endTheta >= 0 {
		n.marginM = endTheta * localRadius(p)
	}
	st := &loc.Lines[i]
	st.DistanceM = n.estM
	st.Side = side
	// The side is certain when the uncertainty circle cannot reach a place where it changes.
	st.SideCertain = side != SideNone && !(n.marginM < ceM)
	if side != SideNone && endTheta < 0 && ceM > 0 && math.Abs(n.estM-ceM) <= n.errM {
		st.SideCertain = !(e.exactLineM(i, p, loc) < ceM)
	}
}

// nearChord is the squared chord of the angle that nearM metres spans at the least, so that
// a squared chord below it is certainly within nearM.
func nearChord(nearM float64) float64 {
	a := nearM / kMax
	if a >= math.Pi {
		return 4
	}
	return float64(s1.ChordAngleFromAngle(s1.Angle(a)))
}

// localRadius is a radius of curvature at p, good enough to turn a small angle into metres
// where no exact decision hangs on it.
func localRadius(p s2.Point) float64 {
	return scaleAt(p.Z)
}

// exactLineM returns the exact geodesic distance to line i, computing it once per Locate.
func (e *Engine) exactLineM(i int, p s2.Point, loc *Location) float64 {
	n := &loc.near[i]
	if math.IsNaN(n.exactM) {
		n.exactM = e.lines[i].segs.exactDistanceM(p, loc.lat, loc.lon, n.theta)
		loc.Lines[i].DistanceM = n.exactM
	}
	return n.exactM
}

// lineWithin reports whether the distance to line i is at most x metres, exactly: the
// estimate settles it unless x lies within the estimate's error bound.
func (e *Engine) lineWithin(i int, x float64, p s2.Point, loc *Location) bool {
	n := &loc.near[i]
	if n.estM+n.errM <= x {
		return true
	}
	if n.estM-n.errM > x {
		return false
	}
	return e.exactLineM(i, p, loc) <= x
}

// bandContainment judges a band by distance to its line, never by a buffered polygon.
//
// A point with uncertainty circle of radius ce is Inside a both-sided band of width K when
// D + ce ≤ K (distance to the line changes by at most ce across the circle), Outside when
// D - ce > K, and Possible otherwise. A one-sided band is also bounded by the line itself
// (and beyond the line's ends, by the end pieces extended, where the side changes): the circle
// must keep clear of that boundary to be Inside, and lies wholly Outside when it is clear of
// it on the other side.
func (e *Engine) bandContainment(z *zoneGeom, lat, lon float64, p s2.Point, ce float64, loc *Location) Containment {
	li := z.line
	k := z.bandM
	if z.side == SideNone {
		if e.lineWithin(li, k-ce, p, loc) {
			return Inside
		}
		if ce == 0 || !e.lineWithin(li, k+ce, p, loc) {
			return Outside
		}
		return Possible
	}
	st := &loc.Lines[li]
	if ce == 0 {
		if st.Side == z.side && e.lineWithin(li, k, p, loc) {
			return Inside
		}
		return Outside
	}
	if !e.lineWithin(li, k+ce, p, loc) {
		return Outside
	}
	clear := st.SideCertain && st.Side != SideNone
	if clear && st.Side != z.side {
		return Outside
	}
	if clear && st.Side == z.side && e.lineWithin(li, k-ce, p, loc) {
		return Inside
	}
	return Possible
}

func circleContainment(z *zoneGeom, lat, lon float64, p s2.Point, ce float64) Containment {
	ca := s2.ChordAngleBetweenPoints(p, z.centerP)
	est := metresAlong(p, z.centerP, ca)
	errM := estimateErrM(est)
	exact := math.NaN()
	within := func(x float64) bool {
		if est+errM <= x {
			return true
		}
		if est-errM > x {
			return false
		}
		if math.IsNaN(exact) {
			exact = geodesicM(lat, lon, z.center.lat, z.center.lon)
		}
		return exact <= x
	}
	if within(z.radiusM - ce) {
		return Inside
	}
	if ce == 0 || !within(z.radiusM+ce) {
		return Outside
	}
	return Possible
}

// polygonContainment tests the point against the polygon's grid index and, when the point
// has an uncertainty circle, whether the circle reaches the boundary.
func polygonContainment(z *zoneGeom, lat, lon float64, p s2.Point, ce float64) Containment {
	// A cheap box test first: most points in an agreement's area are far from most zones.
	// The box is widened by the uncertainty (converted to degrees generously).
	padLat := (ce + 1) / kMin * 180 / math.Pi
	padLon := padLat / math.Max(math.Cos(math.Min(math.Abs(lat)+padLat, 90)*math.Pi/180), 1e-9)
	if lat < z.minLat-padLat || lat > z.maxLat+padLat || lon < z.minLon-padLon || lon > z.maxLon+padLon {
		return Outside
	}
	in := z.pip.contains(lat, lon)
	if ce == 0 {
		if in {
			return Inside
		}
		return Outside
	}
	limit := s1.ChordAngleFromAngle(s1.Angle((ce + estimateErrM(ce) + 1) / kMin))
	seg, ca := z.boundary.nearest(p, limit)
	if seg >= 0 {
		foot := s2.Project(p, z.boundary.a[seg], z.boundary.b[seg])
		est := metresAlong(p, foot, ca)
		errM := estimateErrM(est)
		reach := est+errM <= ce
		if !reach && est-errM <= ce {
			reach = z.boundary.exactDistanceM(p, lat, lon, ca.Angle().Radians()) <= ce
		}
		if reach {
			return Possible
		}
	}
	if in {
		return Inside
	}
	return Outside
}
