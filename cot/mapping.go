package cot

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/truce-project/truce"
)

// Mapping decides what a CoT event means to the mission. An event is one of three things:
//
//   - a patrol position: a self-position report of one of the mission's own devices (an
//     ATAK phone reporting where its monitor is). Positions of the mission's own patrols are
//     kept back from the parties, so they are not observations.
//   - an observation: a marker a monitor placed (a hostile ground vehicle, a drone, a
//     mine), turned into a truce.Observation of the kind the first matching rule names.
//   - raw: anything else (chat, routes, drawings, types no rule names). It is kept, never
//     dropped, so that an analyst can look at it and the rules can be extended.
type Mapping struct {
	// Source is the Source of observations whose producing device is not known.
	Source string `yaml:"source"`
	// OwnDevices lists the uids of the mission's devices. An entry ending in "*" matches
	// every uid that begins with what comes before it.
	OwnDevices []string `yaml:"own_devices"`
	// Affiliations maps CoT affiliation letters (h, s, f, n, u...) to party ids. A neutral
	// mission usually leaves it empty: which party a marker belongs to follows from where it
	// is, not from what a monitor's symbol said.
	Affiliations map[string]string `yaml:"affiliations"`
	// Rules are tried in order; the first whose Type matches the event's type decides the
	// kind.
	Rules []MappingRule `yaml:"rules"`
}

// MappingRule maps the CoT types that match Type (see MatchType) to an observation kind.
type MappingRule struct {
	Type  string         `yaml:"type"`
	Kind  string         `yaml:"kind"`
	Party string         `yaml:"party"` // overrides Affiliations when set
	Attrs map[string]any `yaml:"attrs"` // added to the observation's attributes
	line  int
}

// DefaultMapping returns the rules a mission starts from: MIL-STD-2525 ground, air and sea
// atoms of any affiliation mapped to the kinds a ceasefire is judged on. Specific rules
// come before general ones.
func DefaultMapping() *Mapping {
	return &Mapping{
		Source: "cot",
		Rules: []MappingRule{
			{Type: "a-.-G-E-V-A*", Kind: "presence.vehicle", Attrs: map[string]any{"category": "armoured"}},
			{Type: "a-.-G-E-V*", Kind: "presence.vehicle"},
			{Type: "a-.-G-E-W-M*", Kind: "presence.weapon", Attrs: map[string]any{"category": "missile launcher"}},
			{Type: "a-.-G-E-W-H*", Kind: "presence.weapon", Attrs: map[string]any{"category": "howitzer"}},
			{Type: "a-.-G-E-W-O*", Kind: "presence.weapon", Attrs: map[string]any{"category": "mortar"}},
			{Type: "a-.-G-E-W*", Kind: "presence.weapon"},
			{Type: "a-.-G-E-X-M*", Kind: "presence.mine"},
			{Type: "a-.-G-U-C-A*", Kind: "presence.vehicle", Attrs: map[string]any{"category": "armoured"}},
			{Type: "a-.-G-U-C-F*", Kind: "presence.weapon", Attrs: map[string]any{"category": "artillery"}},
			{Type: "a-.-G-U-C-D*", Kind: "presence.weapon", Attrs: map[string]any{"category": "air defence"}},
			{Type: "a-.-G-U*", Kind: "presence.personnel"},
			{Type: "a-.-G-I*", Kind: "presence.fortification"},
			{Type: "a-.-A-M-F-Q*", Kind: "air.uav"},
			{Type: "a-.-A-M-H-Q*", Kind: "air.uav"},
			{Type: "a-.-A*", Kind: "air.aircraft"},
			{Type: "a-.-S*", Kind: "sea.vessel"},
		},
	}
}

// LoadMapping reads a mapping from YAML and checks it. Fields left out keep the values of
// DefaultMapping, except that a rules list replaces the default rules whole. Errors name
// the line and the field.
func LoadMapping(name string, r io.Reader) (*Mapping, error) {
	m := DefaultMapping()
	var doc struct {
		Source       *string           `yaml:"source"`
		OwnDevices   []string          `yaml:"own_devices"`
		Affiliations map[string]string `yaml:"affiliations"`
		Rules        []MappingRule     `yaml:"rules"`
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return nil, truce.Errorf(truce.EINVALID, "%s: %v", name, err)
	}
	if doc.Source != nil {
		m.Source = *doc.Source
	}
	m.OwnDevices = doc.OwnDevices
	m.Affiliations = doc.Affiliations
	if doc.Rules != nil {
		m.Rules = doc.Rules
	}
	for k, aff := range m.Affiliations {
		if _, ok := affiliationNames[k]; !ok || k == "." {
			return nil, truce.Errorf(truce.EINVALID, "%s: affiliations: %q is not a CoT affiliation (one of f, h, n, u, a, s, j, k, p, o) for party %q", name, k, aff)
		}
	}
	for i, r := range m.Rules {
		where := fmt.Sprintf("%s:%d: rules[%d]", name, r.line, i)
		switch {
		case r.Type == "":
			return nil, truce.Errorf(truce.EINVALID, "%s.type: required", where)
		case r.Kind == "":
			return nil, truce.Errorf(truce.EINVALID, "%s.kind: required", where)
		case !truce.IsKnownKind(r.Kind):
			return nil, truce.Errorf(truce.EINVALID, "%s.kind: %q is not a known kind", where, r.Kind)
		}
	}
	return m, nil
}

// UnmarshalYAML records the line of a rule, for errors.
func (r *MappingRule) UnmarshalYAML(n *yaml.Node) error {
	type plain MappingRule
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i].Value; k {
			case "type", "kind", "party", "attrs":
			default:
				return fmt.Errorf("line %d: field %s not found in rule", n.Content[i].Line, k)
			}
		}
	}
	*r = MappingRule(p)
	r.line = n.Line
	return nil
}

// Class says what an event is to the mission.
type Class int

const (
	// Raw: the event is kept as it came; Mapped.Reason says why.
	Raw Class = iota
	// Observation: Mapped.Observation holds it.
	Observation
	// PatrolPosition: a self-report of one of the mission's devices, in Mapped.Position.
	PatrolPosition
)

func (c Class) String() string {
	switch c {
	case Observation:
		return "observation"
	case PatrolPosition:
		return "patrol_position"
	}
	return "raw"
}

// Position is where one of the mission's own devices reported itself.
type Position struct {
	Device   string // the event uid
	Callsign string
	Time     time.Time
	Lat, Lon float64
	CEm      float64 // 0 when unknown
	// Speed (m/s) and Course (degrees) are NaN when the device did not send them.
	Speed, Course float64
}

// Mapped is the outcome of mapping one event.
type Mapped struct {
	Class       Class
	Observation *truce.Observation // Class Observation
	Position    *Position          // Class PatrolPosition
	// Reason says, for Class Raw, why the event is not an observation.
	Reason string
}

// IsOwnDevice reports whether uid is one of the mission's devices.
func (m *Mapping) IsOwnDevice(uid string) bool {
	return slices.ContainsFunc(m.OwnDevices, func(p string) bool {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			return strings.HasPrefix(uid, prefix)
		}
		return p == uid
	})
}

// Map decides what e is. raw is the bytes e was decoded from; the observation keeps the
// slice itself, so a caller holding Decoder.Raw must pass a copy.
func (m *Mapping) Map(e *Event, raw []byte) Mapped {
	t := ParseType(e.Type)
	if m.IsOwnDevice(e.UID) {
		if t.Atom == "a" && t.Affiliation == "f" {
			p := &Position{Device: e.UID, Callsign: e.Callsign(), Time: e.Time,
				Lat: e.Point.Lat, Lon: e.Point.Lon, CEm: knownError(e.Point.CE),
				Speed: math.NaN(), Course: math.NaN()}
			if tr := e.Detail.Track; tr != nil {
				if v, ok := tr.SpeedValue(); ok {
					p.Speed = v
				}
				if v, ok := tr.CourseValue(); ok {
					p.Course = v
				}
			}
			return Mapped{Class: PatrolPosition, Position: p}
		}
	}
	if e.Type == "" {
		return Mapped{Reason: "the event has no type"}
	}
	i := slices.IndexFunc(m.Rules, func(r MappingRule) bool { return MatchType(r.Type, e.Type) })
	if i < 0 {
		return Mapped{Reason: fmt.Sprintf("no rule maps type %q", e.Type)}
	}
	r := &m.Rules[i]
	o := &truce.Observation{
		ID:     e.UID,
		Source: m.Source,
		Time:   e.Time,
		Kind:   r.Kind,
		Lat:    e.Point.Lat,
		Lon:    e.Point.Lon,
		CEm:    knownError(e.Point.CE),
		Party:  r.Party,
		Attrs:  map[string]any{"cot_type": e.Type},
		Raw:    raw,
	}
	// The device that placed the marker is its producer, linked as the parent ("p-p").
	for _, l := range e.Detail.Links {
		if l.Relation == "p-p" && l.UID != "" {
			o.Source = m.Source + ":" + l.UID
			break
		}
	}
	if o.Party == "" {
		o.Party = m.Affiliations[t.Affiliation]
	}
	if n := t.AffiliationName(); n != "" {
		o.Attrs["affiliation"] = n
	}
	if e.How != "" {
		o.Attrs["how"] = e.How
	}
	if cs := e.Callsign(); cs != "" {
		o.Attrs["callsign"] = cs
	}
	if rm := e.RemarksText(); rm != "" {
		o.Attrs["remarks"] = rm
	}
	if ce := e.Point.CE; math.IsNaN(ce) || ce >= Unknown {
		o.Attrs["ce_unknown"] = true
	}
	if h := e.Point.HAE; !math.IsNaN(h) && h != Unknown {
		o.Attrs["hae_m"] = h
	}
	if tr := e.Detail.Track; tr != nil {
		if v, ok := tr.SpeedValue(); ok {
			o.Attrs["speed_mps"] = v
		}
		if v, ok := tr.CourseValue(); ok {
			o.Attrs["course_deg"] = v
		}
	}
	for k, v := range r.Attrs {
		o.Attrs[k] = v
	}
	if err := o.Validate(); err != nil {
		return Mapped{Reason: "the observation would be invalid: " + truce.ErrorMessage(err)}
	}
	return Mapped{Class: Observation, Observation: o}
}

// knownError returns a CoT circular or linear error in metres, or 0 when it is unknown
// (9999999, NaN) or not positive.
func knownError(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 || v >= Unknown {
		return 0
	}
	return v
}
