// Package report makes the mission's reports: the daily report of a reporting day, cut off at
// a local time of day (19:30 by default), and the spot report of a single finding. A report
// is built first as data (the JSON that is its source of truth) from what the store holds and
// the agreement's geometry, and the self-contained HTML is rendered from that data, with the
// map drawn inline as SVG.
//
// A daily report counts verified findings only: what two analysts have checked. It compares
// them by type (the observation kind), by area (the zone) and by party with the period before,
// lists the mission's own records that are not violations but must be reported — restrictions
// of the monitors' freedom of movement, damage to the mission's equipment — gives the state of
// each disengagement area, and ends with an annex of every verified violation.
package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"
	_ "time/tzdata" // the mission's time zone on any machine

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/rules"
)

// Options tune a Generator. Zero values take the defaults.
type Options struct {
	// Cutoff is the local time of day a daily period ends (default DefaultCutoff).
	Cutoff time.Duration
	// Now is the clock, for the time a report was generated (default time.Now).
	Now func() time.Time
}

// Generator makes reports for one agreement from one store.
type Generator struct {
	judge *rules.Judge
	a     *truce.Agreement
	store truce.Store
	loc   *time.Location
	opt   Options
	m     *Map
}

// New returns a generator of reports on the agreement compiled into j, reading s. Reporting
// days are in the agreement's time zone, UTC when it names none.
func New(j *rules.Judge, s truce.Store, opt Options) (*Generator, error) {
	if opt.Cutoff == 0 {
		opt.Cutoff = DefaultCutoff
	}
	if opt.Cutoff < 0 || opt.Cutoff >= 24*time.Hour {
		return nil, truce.Errorf(truce.EINVALID, "cutoff: %v is not a time of day", opt.Cutoff)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	a := j.Agreement()
	loc := time.UTC
	if a.Timezone != "" {
		l, err := time.LoadLocation(a.Timezone)
		if err != nil {
			return nil, truce.Errorf(truce.EINVALID, "agreement %q: timezone %q: %v", a.ID, a.Timezone, err)
		}
		loc = l
	}
	return &Generator{judge: j, a: a, store: s, loc: loc, opt: opt, m: NewMap(j)}, nil
}

// Location is the mission's time zone.
func (g *Generator) Location() *time.Location { return g.loc }

// Cutoff is the local time of day the daily periods of this generator end.
func (g *Generator) Cutoff() time.Duration { return g.opt.Cutoff }

// WithCutoff returns a generator like g whose daily periods end at cutoff instead.
func (g *Generator) WithCutoff(cutoff time.Duration) (*Generator, error) {
	if cutoff < 0 || cutoff >= 24*time.Hour {
		return nil, truce.Errorf(truce.EINVALID, "cutoff: %v is not a time of day", cutoff)
	}
	c := *g
	c.opt.Cutoff = cutoff
	return &c, nil
}

// Daily is the daily report: the JSON the mission publishes, from which the HTML is rendered.
type Daily struct {
	Report    string       `json:"report"` // "daily"
	Date      string       `json:"date"`
	Agreement AgreementRef `json:"agreement"`
	Timezone  string       `json:"timezone"`
	Cutoff    string       `json:"cutoff"` // HH:MM local
	Period    Period       `json:"period"`
	Previous  Period       `json:"previous_period"`
	Generated time.Time    `json:"generated"`
	// Provisional is set when the report was generated before its period ended.
	Provisional bool    `json:"provisional,omitempty"`
	Summary     Summary `json:"summary"`
	ByType      []Count `json:"by_type"`
	ByZone      []Count `json:"by_zone"`
	ByParty     []Count `json:"by_party"`
	ByArticle   []Count `json:"by_article"`
	// Movement lists the restrictions of the mission's freedom of movement in the period.
	Movement []Restriction `json:"freedom_of_movement"`
	// Damage lists damage to the mission's equipment in the period.
	Damage []EquipmentDamage `json:"equipment_damage"`
	// Areas gives the state of each disengagement area at the end of the period.
	Areas []AreaState `json:"disengagement_areas"`
	// Annex lists every verified violation of the period, in time order.
	Annex []AnnexEntry `json:"annex"`
}

// AgreementRef names the agreement a report was made under.
type AgreementRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Hash  string `json:"hash"`
}

// Summary is the report's first paragraph in numbers.
type Summary struct {
	// Violations counts the verified findings of the period; Previous those of the period
	// before.
	Violations int `json:"violations"`
	Previous   int `json:"previous"`
	// Critical, Major and Minor split Violations by severity.
	Critical int `json:"critical"`
	Major    int `json:"major"`
	Minor    int `json:"minor"`
	// Pending counts the period's findings still awaiting review (detected or under
	// review), and Dismissed those analysts dismissed: neither is in the counts.
	Pending      int `json:"pending"`
	Dismissed    int `json:"dismissed"`
	Restrictions int `json:"restrictions"`
	Damage       int `json:"equipment_damage"`
}

// Count is one row of a comparison table: how many verified findings had Key in the period and
// in the period before.
type Count struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Count    int    `json:"count"`
	Previous int    `json:"previous"`
	Change   int    `json:"change"`
}

// AnnexEntry is one verified violation.
type AnnexEntry struct {
	Finding     string    `json:"finding"`
	Time        time.Time `json:"time"`
	Local       string    `json:"local_time"`
	Lat         float64   `json:"lat"`
	Lon         float64   `json:"lon"`
	Zone        string    `json:"zone,omitempty"`
	ZoneName    string    `json:"zone_name,omitempty"`
	Kind        string    `json:"kind"`
	Rule        string    `json:"rule"`
	Article     string    `json:"article"`
	Severity    string    `json:"severity"`
	Status      string    `json:"status"`
	Weapon      string    `json:"weapon,omitempty"`
	CaliberMM   float64   `json:"caliber_mm,omitempty"`
	Direction   string    `json:"direction,omitempty"`
	Party       string    `json:"party,omitempty"`
	PartyName   string    `json:"party_name,omitempty"`
	Explanation string    `json:"explanation"`
}

// Restriction is a restriction of the mission's freedom of movement: where, by whom, and for
// how long.
type Restriction struct {
	Observation string    `json:"observation"`
	Time        time.Time `json:"time"`
	Local       string    `json:"local_time"`
	Lat         float64   `json:"lat"`
	Lon         float64   `json:"lon"`
	Place       string    `json:"place,omitempty"`
	Party       string    `json:"party,omitempty"`
	By          string    `json:"by"`
	// DurationMin is how long the patrol was held, in minutes, when known.
	DurationMin float64 `json:"duration_min,omitempty"`
	Description string  `json:"description,omitempty"`
	// Review is the review state of the finding the restriction raised, if any.
	Review  string `json:"review,omitempty"`
	Finding string `json:"finding,omitempty"`
}

// EquipmentDamage is damage to the mission's own equipment: a camera, a UAV, a vehicle.
type EquipmentDamage struct {
	Observation string    `json:"observation"`
	Time        time.Time `json:"time"`
	Local       string    `json:"local_time"`
	Lat         float64   `json:"lat"`
	Lon         float64   `json:"lon"`
	Place       string    `json:"place,omitempty"`
	Asset       string    `json:"asset"`
	AssetID     string    `json:"asset_id,omitempty"`
	Cause       string    `json:"cause,omitempty"`
	Party       string    `json:"party,omitempty"`
	By          string    `json:"by"`
	Review      string    `json:"review,omitempty"`
	Finding     string    `json:"finding,omitempty"`
}

// AreaState is a disengagement area at the end of the period.
type AreaState struct {
	Zone string `json:"zone"`
	Name string `json:"name"`
	// Violations counts the verified violations inside the area in the period.
	Violations int `json:"violations"`
	// LastViolation is the time of the latest verified violation inside the area up to the
	// end of the period, and LastFinding its finding; both empty when there is none on
	// record.
	LastViolation *time.Time `json:"last_violation,omitempty"`
	LastFinding   string     `json:"last_finding,omitempty"`
	// CalmSince is the last violation, or the start of the mission's records when there is
	// none; CalmDays counts the whole days from it to the end of the period.
	CalmSince *time.Time `json:"calm_since,omitempty"`
	CalmDays  int        `json:"calm_days"`
}

// Daily builds the daily report of date (YYYY-MM-DD).
func (g *Generator) Daily(ctx context.Context, date string) (*Daily, error) {
	period, err := DailyPeriod(date, g.loc, g.opt.Cutoff)
	if err != nil {
		return nil, err
	}
	// The period before ends where this one begins: the cut-off on the day before.
	previous, err := DailyPeriod(period.From.In(g.loc).Format(time.DateOnly), g.loc, g.opt.Cutoff)
	if err != nil {
		return nil, err
	}
	now := g.opt.Now().UTC()
	d := &Daily{
		Report: truce.ReportDaily, Date: date,
		Agreement: AgreementRef{ID: g.a.ID, Title: g.a.Title, Hash: g.a.Hash},
		Timezone:  g.loc.String(), Cutoff: formatCutoff(g.opt.Cutoff),
		Period: period, Previous: previous, Generated: now, Provisional: now.Before(period.To),
		Movement: []Restriction{}, Damage: []EquipmentDamage{}, Areas: []AreaState{}, Annex: []AnnexEntry{},
	}

	// The period's findings in every review state: verified ones are counted, the others
	// only tallied, and the review state of mission records is taken from them.
	current, err := g.findings(ctx, period, "")
	if err != nil {
		return nil, err
	}
	prev, err := g.findings(ctx, previous, truce.ReviewVerified)
	if err != nil {
		return nil, err
	}
	var verified []truce.Finding
	byObservation := map[obsKey][]int{}
	for i, f := range current {
		byObservation[obsKey{f.Source, f.Observation}] = append(byObservation[obsKey{f.Source, f.Observation}], i)
		switch f.Review {
		case truce.ReviewVerified:
			verified = append(verified, f)
		case truce.ReviewDismissed:
			d.Summary.Dismissed++
		default:
			d.Summary.Pending++
		}
	}
	slices.SortStableFunc(verified, func(a, b truce.Finding) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
	})
	d.Summary.Violations, d.Summary.Previous = len(verified), len(prev)
	for _, f := range verified {
		switch f.Severity {
		case "critical":
			d.Summary.Critical++
		case "major":
			d.Summary.Major++
		default:
			d.Summary.Minor++
		}
	}
	d.ByType = g.compare(verified, prev, func(f *truce.Finding) string { return f.Kind }, func(k string) string { return k })
	d.ByZone = g.compare(verified, prev, func(f *truce.Finding) string { return f.Zone }, g.zoneLabel)
	d.ByParty = g.compare(verified, prev, func(f *truce.Finding) string { return f.Party }, g.partyLabel)
	for _, p := range g.a.Parties { // every party has a row, even a quiet one
		if !slices.ContainsFunc(d.ByParty, func(c Count) bool { return c.Key == p.ID }) {
			d.ByParty = append(d.ByParty, Count{Key: p.ID, Label: p.Name})
		}
	}
	d.ByArticle = g.compare(verified, prev, func(f *truce.Finding) string { return f.Article }, func(k string) string {
		for _, r := range g.a.Rules {
			if r.Article == k {
				return k + " — " + r.Title
			}
		}
		return k
	})

	// The attributes of the verified findings' observations (weapon, direction of fire).
	keys := make([]truce.ObservationKey, 0, len(verified))
	seen := make(map[obsKey]bool, len(verified))
	for _, f := range verified {
		if k := (obsKey{f.Source, f.Observation}); !seen[k] {
			seen[k] = true
			keys = append(keys, truce.ObservationKey{Source: f.Source, ID: f.Observation})
		}
	}
	observed, err := g.store.ObservationsByKey(ctx, keys)
	if err != nil {
		return nil, err
	}
	attrs := make(map[obsKey]*truce.Observation, len(observed))
	for i := range observed {
		attrs[obsKey{observed[i].Source, observed[i].ID}] = &observed[i]
	}

	// The mission's own records: restrictions of movement and damage to its equipment,
	// except reports analysts found wrong.
	loc := g.judge.Engine().NewLocation()
	from, to := period.bounds()
	for _, family := range []string{"access.*", "damage.*"} {
		f := truce.ObservationFilter{From: from, To: to, Kind: family, Limit: 1000}
		for {
			page, next, err := g.store.Observations(ctx, f)
			if err != nil {
				return nil, err
			}
			for i := range page {
				o := &page[i]
				review, finding, dismissed := reviewOf(current, byObservation[obsKey{o.Source, o.ID}])
				if dismissed {
					continue
				}
				switch {
				case family == "access.*":
					d.Movement = append(d.Movement, Restriction{
						Observation: o.ID, Time: o.Time, Local: g.local(o.Time), Lat: o.Lat, Lon: o.Lon,
						Place: g.place(loc, o.Lat, o.Lon), Party: o.Party, By: g.by(o),
						DurationMin: durationMin(o.Attrs), Description: str(o.Attrs, "description"),
						Review: review, Finding: finding,
					})
				case str(o.Attrs, "asset") != "":
					d.Damage = append(d.Damage, EquipmentDamage{
						Observation: o.ID, Time: o.Time, Local: g.local(o.Time), Lat: o.Lat, Lon: o.Lon,
						Place: g.place(loc, o.Lat, o.Lon), Asset: str(o.Attrs, "asset"), AssetID: str(o.Attrs, "asset_id"),
						Cause: str(o.Attrs, "cause"), Party: o.Party, By: g.by(o), Review: review, Finding: finding,
					})
				}
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
	}
	byTime := func(a, b time.Time, x, y string) int { return cmp.Or(a.Compare(b), cmp.Compare(x, y)) }
	slices.SortFunc(d.Movement, func(a, b Restriction) int { return byTime(a.Time, b.Time, a.Observation, b.Observation) })
	slices.SortFunc(d.Damage, func(a, b EquipmentDamage) int { return byTime(a.Time, b.Time, a.Observation, b.Observation) })
	d.Summary.Restrictions, d.Summary.Damage = len(d.Movement), len(d.Damage)

	for i := range verified {
		f := &verified[i]
		d.Annex = append(d.Annex, g.annexEntry(f, attrs[obsKey{f.Source, f.Observation}]))
	}

	if d.Areas, err = g.areas(ctx, period, verified, loc); err != nil {
		return nil, err
	}
	return d, nil
}

type obsKey struct{ source, id string }

// annexEntry describes a finding, with the weapon and direction of fire its observation o
// reports (o may be nil).
func (g *Generator) annexEntry(f *truce.Finding, o *truce.Observation) AnnexEntry {
	e := AnnexEntry{
		Finding: f.ID, Time: f.Time, Local: g.local(f.Time), Lat: f.Lat, Lon: f.Lon,
		Zone: f.Zone, Kind: f.Kind, Rule: f.Rule, Article: f.Article, Severity: f.Severity, Status: f.Status,
		Party: f.Party, Explanation: f.Explanation,
	}
	if f.Zone != "" {
		e.ZoneName = g.zoneLabel(f.Zone)
	}
	if f.Party != "" {
		e.PartyName = g.partyLabel(f.Party)
	}
	if o != nil {
		e.Weapon, e.CaliberMM = weapon(o.Attrs)
		e.Direction = direction(o)
	}
	return e
}

// findings lists every finding of the period in the given review state ("" for any).
func (g *Generator) findings(ctx context.Context, p Period, review string) ([]truce.Finding, error) {
	from, to := p.bounds()
	return g.allFindings(ctx, truce.FindingFilter{From: from, To: to, Review: review})
}

func (g *Generator) allFindings(ctx context.Context, f truce.FindingFilter) ([]truce.Finding, error) {
	var out []truce.Finding
	f.Limit = 1000
	for {
		page, next, err := g.store.Findings(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		f.Cursor = next
	}
}

// reviewOf sums up the review of an observation's findings (indexes into all): the state of
// the first, its id, and whether every one was dismissed.
func reviewOf(all []truce.Finding, idx []int) (review, finding string, dismissed bool) {
	if len(idx) == 0 {
		return "", "", false
	}
	dismissed = true
	for _, i := range idx {
		if all[i].Review != truce.ReviewDismissed {
			dismissed = false
		}
	}
	return all[idx[0]].Review, all[idx[0]].ID, dismissed
}

// compare counts findings by key in the period and the one before, most frequent first.
func (g *Generator) compare(cur, prev []truce.Finding, key func(*truce.Finding) string, label func(string) string) []Count {
	counts := map[string]*Count{}
	get := func(k string) *Count {
		c := counts[k]
		if c == nil {
			c = &Count{Key: k, Label: label(k)}
			counts[k] = c
		}
		return c
	}
	for i := range cur {
		get(key(&cur[i])).Count++
	}
	for i := range prev {
		get(key(&prev[i])).Previous++
	}
	out := make([]Count, 0, len(counts))
	for _, c := range counts {
		c.Change = c.Count - c.Previous
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(b.Previous, a.Previous), cmp.Compare(a.Key, b.Key))
	})
	return out
}

func (g *Generator) zoneLabel(id string) string {
	if id == "" {
		return "outside the named zones"
	}
	if i := g.a.ZoneIndex(id); i >= 0 {
		return g.a.Zones[i].Name
	}
	return id
}

func (g *Generator) partyLabel(id string) string {
	switch id {
	case "":
		return "not attributed"
	case truce.PartyUndetermined:
		return "undetermined"
	}
	return g.a.PartyName(id)
}

// local writes t in the mission's time zone.
func (g *Generator) local(t time.Time) string { return t.In(g.loc).Format("2006-01-02 15:04:05") }

// by names who restricted or damaged: the observed party, else what the monitor wrote.
func (g *Generator) by(o *truce.Observation) string {
	if o.Party != "" {
		return g.partyLabel(o.Party)
	}
	if s := str(o.Attrs, "by"); s != "" {
		return s
	}
	return "unknown"
}

// placeOrder ranks zone kinds for naming where something happened: the narrowest first.
var placeOrder = []string{truce.ZoneDisengagement, truce.ZoneProtected, truce.ZoneDemilitarized, truce.ZoneCorridor,
	truce.ZoneExclusion, truce.ZoneAnchorage, truce.ZoneStandoff, truce.ZoneTerritory, truce.ZoneWithdrawal}

// place names the narrowest zone that holds the point, or "".
func (g *Generator) place(loc *geo.Location, lat, lon float64) string {
	g.judge.Engine().Locate(lat, lon, 0, loc)
	for _, kind := range placeOrder {
		for i, z := range g.a.Zones {
			if z.Kind == kind && loc.Zones[i] == geo.Inside {
				return z.Name
			}
		}
	}
	return ""
}

// areas gives the state of each disengagement area at the end of the period.
func (g *Generator) areas(ctx context.Context, period Period, verified []truce.Finding, loc *geo.Location) ([]AreaState, error) {
	out := []AreaState{}
	var recordsBegin *time.Time
	for zi, z := range g.a.Zones {
		if z.Kind != truce.ZoneDisengagement {
			continue
		}
		inside := func(f *truce.Finding) bool {
			if f.Zone == z.ID {
				return true
			}
			g.judge.Engine().Locate(f.Lat, f.Lon, 0, loc)
			return loc.Zones[zi] == geo.Inside
		}
		st := AreaState{Zone: z.ID, Name: z.Name}
		for i := range verified {
			if inside(&verified[i]) {
				st.Violations++
			}
		}
		// The latest verified violation inside the area up to the end of the period: those
		// in the area's bounding box, then placed exactly.
		f := truce.FindingFilter{Review: truce.ReviewVerified}
		_, f.To = period.bounds()
		if outline := g.judge.Engine().ZoneOutline(zi); len(outline) > 0 {
			b := outline.Bound()
			f.BBox = &truce.BBox{MinLon: b.Min[0], MinLat: b.Min[1], MaxLon: b.Max[0], MaxLat: b.Max[1]}
		}
		candidates, err := g.allFindings(ctx, f)
		if err != nil {
			return nil, err
		}
		// Findings tagged with the zone but placed outside its box (possibly inside).
		tagged, err := g.allFindings(ctx, truce.FindingFilter{Review: truce.ReviewVerified, Zone: z.ID, To: f.To})
		if err != nil {
			return nil, err
		}
		for _, c := range append(candidates, tagged...) {
			if !inside(&c) {
				continue
			}
			if st.LastViolation == nil || c.Time.After(*st.LastViolation) {
				t := c.Time
				st.LastViolation, st.LastFinding = &t, c.ID
			}
		}
		since := st.LastViolation
		if since == nil {
			if recordsBegin == nil {
				if recordsBegin, err = g.recordsBegin(ctx); err != nil {
					return nil, err
				}
			}
			since = recordsBegin
		}
		if since != nil && since.Before(period.To) {
			st.CalmSince = since
			st.CalmDays = int(period.To.Sub(*since) / (24 * time.Hour))
		}
		out = append(out, st)
	}
	return out, nil
}

// recordsBegin is the time of the earliest observation the store holds, or nil.
func (g *Generator) recordsBegin(ctx context.Context) (*time.Time, error) {
	sources, err := g.store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	var first *time.Time
	for _, s := range sources {
		if first == nil || s.First.Before(*first) {
			t := s.First
			first = &t
		}
	}
	return first, nil
}

func str(attrs map[string]any, key string) string {
	s, _ := attrs[key].(string)
	return s
}

func num(attrs map[string]any, key string) (float64, bool) {
	v, ok := attrs[key].(float64)
	return v, ok && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// durationMin reads how long a restriction lasted: attrs.duration_min, or attrs.start and
// attrs.end (RFC 3339).
func durationMin(attrs map[string]any) float64 {
	if v, ok := num(attrs, "duration_min"); ok && v >= 0 {
		return v
	}
	start, err1 := time.Parse(time.RFC3339, str(attrs, "start"))
	end, err2 := time.Parse(time.RFC3339, str(attrs, "end"))
	if err1 == nil && err2 == nil && end.After(start) {
		return math.Round(end.Sub(start).Minutes())
	}
	return 0
}

// weapon reads the weapon and calibre an observation reports.
func weapon(attrs map[string]any) (string, float64) {
	w := str(attrs, "weapon")
	if w == "" {
		w = str(attrs, "category")
	}
	cal, _ := num(attrs, "caliber_mm")
	return w, cal
}

// direction says where fire came from, when the observation says: the located origin of fire
// (origin_lat, origin_lon), a bearing of fire, or what the monitor wrote.
func direction(o *truce.Observation) string {
	if s := str(o.Attrs, "direction"); s != "" {
		return s
	}
	olat, ok1 := num(o.Attrs, "origin_lat")
	olon, ok2 := num(o.Attrs, "origin_lon")
	if ok1 && ok2 {
		az, dist := bearing(o.Lat, o.Lon, olat, olon)
		return fmt.Sprintf("from the %s (origin %.1f km away, bearing %.0f°)", compass(az), dist/1000, az)
	}
	if b, ok := num(o.Attrs, "bearing_deg"); ok {
		return fmt.Sprintf("heard towards the %s (bearing %.0f°)", compass(b), b)
	}
	return ""
}

// bearing is the initial great-circle bearing in degrees and the distance in metres from one
// point to another (spherical; precise enough for a direction in words).
func bearing(lat1, lon1, lat2, lon2 float64) (az, distM float64) {
	const r = 6371008.8
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dl := (lon2 - lon1) * math.Pi / 180
	y := math.Sin(dl) * math.Cos(p2)
	x := math.Cos(p1)*math.Sin(p2) - math.Sin(p1)*math.Cos(p2)*math.Cos(dl)
	az = math.Mod(math.Atan2(y, x)*180/math.Pi+360, 360)
	h := math.Pow(math.Sin((p2-p1)/2), 2) + math.Cos(p1)*math.Cos(p2)*math.Pow(math.Sin(dl/2), 2)
	return az, 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

var compassPoints = []string{"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"}

func compass(deg float64) string {
	return compassPoints[int(math.Round(math.Mod(deg+360, 360)/22.5))%16]
}
