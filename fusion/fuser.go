package fusion

import (
	"math"
	"slices"
	"strings"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// Config tunes fusion. The zero value of each field means its default.
type Config struct {
	// Horizon is how long, in observation time, an incident stays open after its last member:
	// then it is closed, handed to OnClose and forgotten. Default 2 hours.
	Horizon time.Duration
	// PointWindow is the longest time between two reports of one event when either is a
	// position report (monitors on patrol report minutes apart). Default 45 minutes.
	PointWindow time.Duration
	// AcousticWindow is the longest time between two bearing reports of one sound: the time
	// sound takes to cross the sensors' hearing range and more. Default 90 seconds.
	AcousticWindow time.Duration
	// MixedWindow is the longest time between a bearing report, whose time is when the sound
	// arrived, and a position report of the same fire, which a monitor makes within minutes.
	// Default 5 minutes.
	MixedWindow time.Duration
	// MaxRangeM is the farthest a sensor hears or a monitor sees fire. Default 30 km.
	MaxRangeM float64
	// TimeTolerance is the error allowed in each arrival time, and SoundSpeedTolerance the
	// relative uncertainty of the speed of sound (temperature, wind). Defaults 1 s and 3%.
	TimeTolerance       time.Duration
	SoundSpeedTolerance float64
	// Gate is the largest increase of χ² a report may bring to the fit of an incident it
	// joins, and the largest squared normalised distance between two position reports.
	// Default 10.83, χ²'s 99.9% quantile with one degree of freedom.
	Gate float64
	// MinGateM is added to the sum of two uncertainty radii when comparing positions, for
	// positions reported as exact. Default 25 m.
	MinGateM float64
	// CoLocatedM and CoLocatedTime make reports of two sources one source when they were made
	// this close together (two monitors in one vehicle). Defaults 25 m and 2 minutes.
	CoLocatedM    float64
	CoLocatedTime time.Duration
	// SourceReliability is the probability that one source's report of an event is right.
	// Default 0.6.
	SourceReliability float64
	// Skip lists kinds fusion leaves alone. Default: sea.vessel, whose reports are tracks
	// that package maritime follows.
	Skip []string
	// OnClose, if set, receives each incident as it is closed.
	OnClose func(*Incident)
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	deff := func(f *float64, v float64) {
		if !(*f > 0) {
			*f = v
		}
	}
	def(&c.Horizon, 2*time.Hour)
	def(&c.PointWindow, 45*time.Minute)
	def(&c.AcousticWindow, 90*time.Second)
	def(&c.MixedWindow, 5*time.Minute)
	def(&c.TimeTolerance, time.Second)
	def(&c.CoLocatedTime, 2*time.Minute)
	deff(&c.MaxRangeM, 30000)
	deff(&c.SoundSpeedTolerance, 0.03)
	deff(&c.Gate, 10.83)
	deff(&c.MinGateM, 25)
	deff(&c.CoLocatedM, 25)
	deff(&c.SourceReliability, 0.6)
	if c.Skip == nil {
		c.Skip = []string{"sea.vessel"}
	}
	return c
}

// cellDeg is the size of the grid cells that index position reports.
const cellDeg = 0.1

type cellKey struct {
	class string
	x, y  int32
}

func cellOf(class string, lat, lon float64) cellKey {
	return cellKey{class, int32(math.Floor(lat / cellDeg)), int32(math.Floor(lon / cellDeg))}
}

// Fuser groups observations into incidents as they arrive. It is not safe for concurrent
// use: one goroutine feeds it, in roughly time order.
type Fuser struct {
	cfg   Config
	at    *attributor
	skip  map[string]bool
	byKey map[string]*Incident
	byID  map[string]*Incident
	grid  map[cellKey][]*Incident
	// recent lists incidents that hold a bearing, in order of their start.
	recent    []*Incident
	now       time.Time
	lastSweep time.Time
	maxCE     float64

	scratch []measurement
}

// New returns a Fuser that attributes fire against the lines of agreement a, located by eng
// (the engine compiled from a; package rules' Judge.Engine). Either may be nil, and then fire
// is located but not attributed.
func New(a *truce.Agreement, eng *geo.Engine, cfg Config) *Fuser {
	cfg = cfg.withDefaults()
	f := &Fuser{cfg: cfg, skip: map[string]bool{}, byKey: map[string]*Incident{},
		byID: map[string]*Incident{}, grid: map[cellKey][]*Incident{}}
	if a != nil {
		f.at = newAttributor(a, eng)
	}
	for _, k := range cfg.Skip {
		f.skip[k] = true
	}
	return f
}

// Config returns the configuration with defaults filled in.
func (f *Fuser) Config() Config { return f.cfg }

// Add takes one observation, which must be valid (see truce.Observation.Validate), with the
// findings judged on it, and returns the incident it now belongs to. A report already added
// (the same source and id) returns its incident unchanged. Kinds in Config.Skip return nil.
// An observation whose fusion attributes are malformed (bearing_deg, bearing_sd_deg,
// bearing_of, time_sd_s, origin_lat, origin_lon, origin_ce_m) is not added, and the error
// (code EINVALID) names the observation and the attribute.
//
// The incident returned is the Fuser's own: later reports, merges and splits change it, and
// it must not be changed by the caller.
func (f *Fuser) Add(o truce.Observation, findings []truce.Finding) (*Incident, error) {
	if f.skip[o.Kind] {
		return nil, nil
	}
	key := observationKey(&o)
	if inc := f.byKey[key]; inc != nil {
		return inc, nil
	}
	heard, origin, err := readMeasurements(&o, key)
	if err != nil {
		return nil, err
	}
	if o.Time.After(f.now) {
		f.now = o.Time
	}
	if f.now.Sub(f.lastSweep) >= f.cfg.Horizon/4 {
		f.sweep()
	}
	m := &Member{Observation: o, Findings: findings, key: key, heard: heard, origin: origin}
	cls := class(o.Kind)
	var best *Incident
	var bestFix *Fix
	bestScore := math.Inf(1)
	try := func(inc *Incident) {
		if inc == best {
			return
		}
		if score, fix, ok := f.fits(inc, m, cls); ok && score < bestScore {
			best, bestFix, bestScore = inc, fix, score
		}
	}
	// A position vaguer than the hearing range (ce_m beyond MaxRangeM) could be anything
	// anywhere: it stays an incident of its own, and is left out of the index, whose searches
	// would otherwise widen for everyone after it.
	vague := !heard.bearing && o.CEm > f.cfg.MaxRangeM
	switch {
	case vague:
	case heard.bearing:
		f.eachRecent(o.Time, try)
		f.eachNear(cls, o.Lat, o.Lon, f.cfg.MaxRangeM+f.maxCE, try)
	default:
		f.eachNear(cls, o.Lat, o.Lon, o.CEm+f.maxCE+f.cfg.MinGateM, try)
		if strings.HasPrefix(cls, "fire/") {
			f.eachRecent(o.Time, try)
		}
		f.maxCE = math.Max(f.maxCE, o.CEm)
	}
	if best == nil {
		best = &Incident{ID: IncidentID(o.Source, o.ID), Class: cls, Start: o.Time, End: o.Time,
			sources: map[string]int{}}
		if f.byID[best.ID] != nil {
			// Two sources' ids that hash alike are astronomically unlikely; a re-used id after
			// the first incident was closed is not. Keep both apart.
			best.ID += "-" + o.Time.UTC().Format("20060102T150405.000")
		}
		f.byID[best.ID] = best
	}
	f.join(best, m, bestFix)
	return best, nil
}

// fits reports whether m could be the same event as inc, how well (lower is better), and the
// fit of inc's position with m when it made one.
func (f *Fuser) fits(inc *Incident, m *Member, cls string) (float64, *Fix, bool) {
	o := &m.Observation
	if inc.Class != cls || inc.sources[o.Source] > 0 || inc.apart[m.key] {
		return 0, nil, false
	}
	// Every member must be within the window of every other.
	window := f.cfg.PointWindow
	onlyBearings := m.heard.bearing && len(inc.cells) == 0
	if onlyBearings {
		window = f.cfg.AcousticWindow
	}
	if o.Time.Sub(inc.Start) > window || inc.End.Sub(o.Time) > window {
		return 0, nil, false
	}
	if m.heard.bearing && inc.bearings && (o.Time.Sub(inc.bStart) > f.cfg.AcousticWindow || inc.bEnd.Sub(o.Time) > f.cfg.AcousticWindow) {
		return 0, nil, false
	}
	within := func(a, b time.Time, w time.Duration) bool { d := a.Sub(b); return d <= w && -d <= w }
	if !m.heard.bearing && inc.bearings && (!within(o.Time, inc.bStart, f.cfg.MixedWindow) || !within(o.Time, inc.bEnd, f.cfg.MixedWindow)) {
		return 0, nil, false
	}
	if m.heard.bearing && len(inc.cells) > 0 {
		for _, x := range inc.Members {
			if !x.heard.bearing && !within(o.Time, x.Observation.Time, f.cfg.MixedWindow) {
				return 0, nil, false
			}
		}
	}
	score := 0.0
	// Position reports: every uncertainty circle must meet the new one; in an incident an
	// analyst merged, which may span several places, one of them must.
	if !m.heard.bearing {
		points, meets := 0, 0
		nearest, farthest := math.Inf(1), 0.0
		for _, x := range inc.Members {
			if x.heard.bearing {
				continue
			}
			points++
			d := distanceM(o.Lat, o.Lon, x.Observation.Lat, x.Observation.Lon)
			if d > o.CEm+x.Observation.CEm+f.cfg.MinGateM {
				if !inc.merged {
					return 0, nil, false
				}
				continue
			}
			meets++
			s := d * d / (m.heard.sd*m.heard.sd + x.heard.sd*x.heard.sd)
			nearest, farthest = math.Min(nearest, s), math.Max(farthest, s)
		}
		switch {
		case points > 0 && meets == 0:
			return 0, nil, false
		case inc.merged && meets > 0:
			score = nearest
		default:
			score = farthest
		}
	}
	if !inc.bearings && !m.heard.bearing {
		return score, nil, true
	}
	// Before fitting, the cheap test of reach: a source that two reporters heard or saw is
	// within range of both.
	for _, x := range inc.Members {
		reach := o.CEm + x.Observation.CEm
		if m.heard.bearing {
			reach += f.cfg.MaxRangeM
		}
		if x.heard.bearing {
			reach += f.cfg.MaxRangeM
		}
		if distanceM(o.Lat, o.Lon, x.Observation.Lat, x.Observation.Lon) > reach {
			return 0, nil, false
		}
	}
	// Fire with a bearing involved: the joint fit, arrival times included, must hold
	// together and bring no more than Gate to χ².
	ms := f.scratch[:0]
	for _, x := range inc.Members {
		ms = append(ms, x.heard)
	}
	ms = append(ms, m.heard)
	f.scratch = ms
	fix, err := locate(ms, f.gateTimeSD())
	if err != nil || fix.Inflated || slices.Contains(fix.Outliers, m.key) {
		return 0, nil, false
	}
	d := fix.ChiSq - inc.gateChiSq
	if d > f.cfg.Gate {
		return 0, nil, false
	}
	// Every sensor must be within hearing range.
	for _, x := range ms {
		if x.bearing && distanceM(x.lat, x.lon, fix.Lat, fix.Lon) > f.cfg.MaxRangeM {
			return 0, nil, false
		}
	}
	return math.Max(score, d), &fix, true
}

// gateTimeSD is the standard deviation of an arrival time when fusion tests whether reports
// fit: the configured tolerance, and the error of a speed of sound that is off by its
// tolerance over half the hearing range (a common error in all times cancels out).
func (f *Fuser) gateTimeSD() float64 {
	return f.cfg.TimeTolerance.Seconds() + f.cfg.SoundSpeedTolerance*f.cfg.MaxRangeM/2/SpeedOfSound
}

// join adds m to inc and brings inc's position, origin, attribution and confidence up to date.
func (f *Fuser) join(inc *Incident, m *Member, fix *Fix) {
	o := &m.Observation
	inc.Members = append(inc.Members, m)
	inc.sources[o.Source]++
	f.byKey[m.key] = inc
	if o.Time.Before(inc.Start) {
		inc.Start = o.Time
	}
	if o.Time.After(inc.End) {
		inc.End = o.Time
	}
	if m.heard.bearing {
		if !inc.bearings {
			inc.bearings = true
			inc.bStart, inc.bEnd = o.Time, o.Time
			// Keep recent in order of first bearing; reports come in about time order, so
			// the place is almost always the end.
			i := len(f.recent)
			for i > 0 && f.recent[i-1].bStart.After(o.Time) {
				i--
			}
			f.recent = slices.Insert(f.recent, i, inc)
		}
		if o.Time.Before(inc.bStart) {
			inc.bStart = o.Time
		}
		if o.Time.After(inc.bEnd) {
			inc.bEnd = o.Time
		}
	} else if (len(inc.cells) == 0 || inc.merged) && o.CEm <= f.cfg.MaxRangeM {
		if c := cellOf(inc.Class, o.Lat, o.Lon); !slices.Contains(inc.cells, c) {
			inc.cells = append(inc.cells, c)
			f.grid[c] = append(f.grid[c], inc)
		}
	}
	f.update(inc, fix)
}

// update recomputes what an incident's members say; gate, when not nil, is the fit with
// arrival times of all members already made by fits.
func (f *Fuser) update(inc *Incident, gate *Fix) {
	ms := f.scratch[:0]
	for _, x := range inc.Members {
		ms = append(ms, x.heard)
	}
	f.scratch = ms
	var fix *Fix
	if len(ms) == 1 && !ms[0].bearing {
		// One report: its own position and circle, without a fit.
		x := inc.Members[0]
		v := x.heard.sd * x.heard.sd
		fix = &Fix{Target: x.heard.target, Lat: x.Observation.Lat, Lon: x.Observation.Lon, CovEE: v, CovNN: v, Points: 1}
		fix.Ellipse = ellipseOf(v, 0, v)
	} else if g, err := locate(ms, 0); err == nil {
		fix = &g
	}
	inc.gateChiSq = 0
	if inc.bearings {
		if gate == nil {
			if g, err := locate(ms, f.gateTimeSD()); err == nil {
				gate = &g
			}
		}
		if gate != nil {
			inc.gateChiSq = gate.ChiSq
			if fix == nil || fix.Inflated {
				// Bearings alone do not cross (a source in line with two sensors), or
				// disagree; the arrival times settle where they meet.
				g := *gate
				g.Uncrossed = fix == nil
				fix = &g
			}
		}
	}
	inc.Position = fix
	fire := strings.HasPrefix(inc.Class, "fire")
	var origins []measurement
	for _, x := range inc.Members {
		if x.origin != nil {
			fire = true
			origins = append(origins, *x.origin)
		}
	}
	inc.Origin = nil
	switch {
	case !fire:
	case fix != nil && fix.Target == TargetOrigin && len(origins) == 0:
		inc.Origin = fix
	default:
		if fix == nil || fix.Target != TargetOrigin {
			if len(origins) > 0 {
				if g, err := locate(origins, 0); err == nil {
					inc.Origin = &g
				}
			}
			break
		}
		// The heard origin and monitors' estimates of it, together.
		ms := make([]measurement, 0, len(inc.Members)+len(origins))
		for _, x := range inc.Members {
			ms = append(ms, x.heard)
		}
		ms = append(ms, origins...)
		if g, err := locate(ms, 0); err == nil {
			inc.Origin = &g
		}
	}
	inc.Attribution = Attribution{}
	if fire && f.at != nil {
		inc.Attribution = f.at.attribute(inc.Origin, inc.Position)
	}
	inc.Sources = f.independentSources(inc)
	// Two decimals, as findings give theirs: more would claim a precision the model lacks.
	inc.Confidence = math.Round((1-math.Pow(1-f.cfg.SourceReliability, float64(inc.Sources)))*100) / 100
}

// independentSources counts the members' sources, taking as one the reports of two sources
// made within CoLocatedM and CoLocatedTime of each other.
func (f *Fuser) independentSources(inc *Incident) int {
	n := len(inc.Members)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := 0; i < n; i++ {
		a := &inc.Members[i].Observation
		for j := i + 1; j < n; j++ {
			b := &inc.Members[j].Observation
			same := a.Source == b.Source
			if !same {
				dt := a.Time.Sub(b.Time)
				same = dt <= f.cfg.CoLocatedTime && -dt <= f.cfg.CoLocatedTime &&
					distanceM(a.Lat, a.Lon, b.Lat, b.Lon) <= f.cfg.CoLocatedM
			}
			if same {
				parent[find(i)] = find(j)
			}
		}
	}
	count := 0
	for i := range parent {
		if find(i) == i {
			count++
		}
	}
	return count
}

// eachRecent calls fn with each open incident holding a bearing that started within the
// point window before t.
func (f *Fuser) eachRecent(t time.Time, fn func(*Incident)) {
	from := t.Add(-f.cfg.PointWindow)
	for i := len(f.recent) - 1; i >= 0; i-- {
		inc := f.recent[i]
		// recent is in order of the incidents' first bearings, which arrive in roughly time
		// order; an incident that started before the window cannot take t (see fits).
		if inc.bStart.Before(from.Add(-f.cfg.AcousticWindow)) {
			break
		}
		if !inc.Start.Before(from) {
			fn(inc)
		}
	}
}

// eachNear calls fn with each open incident of class anchored within about radiusM of lat,
// lon.
func (f *Fuser) eachNear(cls string, lat, lon, radiusM float64, fn func(*Incident)) {
	dy := int32(math.Ceil(radiusM / 111000 / cellDeg))
	cos := math.Max(math.Cos(lat*deg), 0.01)
	dx := int32(math.Ceil(radiusM / (111000 * cos) / cellDeg))
	c := cellOf(cls, lat, lon)
	for y := c.x - dy; y <= c.x+dy; y++ {
		for x := c.y - dx; x <= c.y+dx; x++ {
			for _, inc := range f.grid[cellKey{cls, y, x}] {
				fn(inc)
			}
		}
	}
}

// sweep closes the incidents that have taken nothing for a horizon.
func (f *Fuser) sweep() {
	f.lastSweep = f.now
	cut := f.now.Add(-f.cfg.Horizon)
	var closed []*Incident
	for _, inc := range f.byID {
		if inc.End.Before(cut) {
			closed = append(closed, inc)
		}
	}
	// Close in a fixed order, so that OnClose sees the same sequence on every run.
	slices.SortFunc(closed, func(a, b *Incident) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	for _, inc := range closed {
		f.forget(inc)
		inc.closed = true
		if f.cfg.OnClose != nil {
			f.cfg.OnClose(inc)
		}
	}
	f.recent = slices.DeleteFunc(f.recent, func(inc *Incident) bool { return f.byID[inc.ID] != inc })
}

// forget removes inc from every index.
func (f *Fuser) forget(inc *Incident) {
	delete(f.byID, inc.ID)
	for _, m := range inc.Members {
		if f.byKey[m.key] == inc {
			delete(f.byKey, m.key)
		}
	}
	for _, c := range inc.cells {
		cell := f.grid[c]
		if i := slices.Index(cell, inc); i >= 0 {
			cell = slices.Delete(cell, i, i+1)
		}
		if len(cell) == 0 {
			delete(f.grid, c)
		} else {
			f.grid[c] = cell
		}
	}
	inc.cells = nil
}

// Flush closes every open incident, handing each to OnClose, and returns them in order of
// start.
func (f *Fuser) Flush() []*Incident {
	f.now = f.now.Add(f.cfg.Horizon + time.Nanosecond)
	var out []*Incident
	onClose := f.cfg.OnClose
	f.cfg.OnClose = func(inc *Incident) {
		out = append(out, inc)
		if onClose != nil {
			onClose(inc)
		}
	}
	for _, inc := range f.byID {
		if inc.End.After(f.now.Add(-f.cfg.Horizon)) {
			f.now = inc.End.Add(f.cfg.Horizon + time.Nanosecond)
		}
	}
	f.sweep()
	f.cfg.OnClose = onClose
	return out
}

// Open returns the number of open incidents.
func (f *Fuser) Open() int { return len(f.byID) }

// Incident returns the open incident with the given id, or nil.
func (f *Fuser) Incident(id string) *Incident { return f.byID[id] }

// IncidentOf returns the open incident holding the observation id from source, or nil.
func (f *Fuser) IncidentOf(source, id string) *Incident {
	return f.byKey[source+"/"+id]
}

// distanceM is the distance between two nearby points on the local plane, within a few parts
// in ten thousand over tens of kilometres.
func distanceM(lat1, lon1, lat2, lon2 float64) float64 {
	pl := newPlane((lat1+lat2)/2, lon1)
	e, n := pl.xy(lat2, lon2)
	_, n1 := pl.xy(lat1, lon1)
	return math.Hypot(e, n-n1)
}
