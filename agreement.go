package truce

import (
	"time"

	"github.com/paulmach/orb"
)

// Agreement is a ceasefire agreement as the mission enforces it: who the parties are, the lines
// and zones it draws, the rules it states with the articles they come from, and the agreed
// windows when rules are suspended. Package agreement loads one from a folder and validates it.
type Agreement struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Timezone is the IANA name of the mission's local time, used for reporting days.
	Timezone string   `json:"timezone,omitempty"`
	Parties  []Party  `json:"parties"`
	Lines    []Line   `json:"lines"`
	Zones    []Zone   `json:"zones"`
	Rules    []Rule   `json:"rules"`
	Windows  []Window `json:"windows,omitempty"`
	// Hash is the hex SHA-256 content hash of the agreement's files; every finding records it.
	Hash string `json:"hash"`
}

// Party is a signatory of the agreement.
type Party struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Line is a line the agreement draws, such as the line of contact. Walking Path in coordinate
// order, Left is the party on the left-hand side and Right the party on the right.
type Line struct {
	ID    string         `json:"id"`
	Name  string         `json:"name"`
	File  string         `json:"file,omitempty"`
	Left  string         `json:"left,omitempty"`
	Right string         `json:"right,omitempty"`
	Path  orb.LineString `json:"path"` // [lon, lat] pairs
	// Where is the file:line that defines the line, for messages.
	Where string `json:"-"`
}

// Zone kinds an agreement may use.
const (
	ZoneDemilitarized = "demilitarized"
	ZoneWithdrawal    = "withdrawal"
	ZoneProtected     = "protected"
	ZoneDisengagement = "disengagement"
	ZoneCorridor      = "corridor"
	ZoneStandoff      = "standoff"
	ZoneExclusion     = "exclusion"
	ZoneTerritory     = "territory"
	ZoneAnchorage     = "anchorage"
)

// ZoneKinds lists the known zone kinds.
var ZoneKinds = []string{ZoneDemilitarized, ZoneWithdrawal, ZoneProtected, ZoneDisengagement,
	ZoneCorridor, ZoneStandoff, ZoneExclusion, ZoneTerritory, ZoneAnchorage}

// Zone is an area the agreement names. Exactly one of Area, Band and Circle is set.
type Zone struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Party is the party a territory zone belongs to; attribution by side falls back to it
	// where no line settles the side.
	Party  string           `json:"party,omitempty"`
	File   string           `json:"file,omitempty"`
	Area   orb.MultiPolygon `json:"area,omitempty"` // [lon, lat]; edges straight in lon/lat as in GeoJSON
	Band   *Band            `json:"band,omitempty"`
	Circle *Circle          `json:"circle,omitempty"`
	Where  string           `json:"-"`
}

// Band sides.
const (
	SideLeft  = "left"
	SideRight = "right"
	SideBoth  = "both"
)

// Band is the set of points on Side of Line whose geodesic distance to the line is at most
// Km kilometres.
type Band struct {
	Line string  `json:"line"`
	Km   float64 `json:"km"`
	Side string  `json:"side"`
}

// Circle is the set of points within RadiusKm kilometres (geodesic) of Center.
type Circle struct {
	Center   orb.Point `json:"center"` // [lon, lat]
	RadiusKm float64   `json:"radius_km"`
}

// Attribution methods of a rule.
const (
	// AttributeParty: the observation's party, or the party of the side it was seen on.
	AttributeParty = "party"
	// AttributeSide: the party on whose side of the line the observation was seen.
	AttributeSide = "side"
	// AttributeOrigin: the party on whose side the located origin of fire lies.
	AttributeOrigin = "origin"
	// AttributeNone: the rule states a fact without attributing it.
	AttributeNone = "none"
)

// Severities of a rule.
var Severities = []string{"minor", "major", "critical"}

// Rule is one obligation of the agreement: observations of Kinds, in Zones (any of them), that
// meet Line and When, break the Article.
type Rule struct {
	ID      string   `json:"id"`
	Article string   `json:"article"`
	Title   string   `json:"title"`
	Kinds   []string `json:"kinds"` // kinds or families ("fire.*")
	Zones   []string `json:"zones,omitempty"`
	// Line, when set, further restricts the rule by distance to, or side of, a line.
	Line *LineCondition `json:"line,omitempty"`
	// When is a CEL expression over kind, party, source and attrs.
	When        string `json:"when,omitempty"`
	Severity    string `json:"severity"`
	Attribution string `json:"attribution"`
	Where       string `json:"-"`
}

// LineCondition restricts a rule to points within (or beyond) a geodesic distance of a line,
// and optionally to one side of it. A zero WithinKm or BeyondKm means no bound.
type LineCondition struct {
	Line     string  `json:"line"`
	WithinKm float64 `json:"within_km,omitempty"`
	BeyondKm float64 `json:"beyond_km,omitempty"`
	Side     string  `json:"side,omitempty"` // left, right, or empty for either
}

// Window is an agreed local silence or exception: the named rules (all rules when Rules is
// empty) are suspended from Start to End, in the named zones or circle (everywhere when
// neither is given).
type Window struct {
	ID     string    `json:"id"`
	Title  string    `json:"title,omitempty"`
	Rules  []string  `json:"rules,omitempty"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Zones  []string  `json:"zones,omitempty"`
	Circle *Circle   `json:"circle,omitempty"`
	Where  string    `json:"-"`
}

// Party returns the party with the given id, or nil.
func (a *Agreement) Party(id string) *Party {
	for i := range a.Parties {
		if a.Parties[i].ID == id {
			return &a.Parties[i]
		}
	}
	return nil
}

// PartyName returns the display name of party id, or id itself when it is not a party.
func (a *Agreement) PartyName(id string) string {
	if p := a.Party(id); p != nil {
		return p.Name
	}
	return id
}

// LineIndex returns the index of the line with the given id, or -1.
func (a *Agreement) LineIndex(id string) int {
	for i := range a.Lines {
		if a.Lines[i].ID == id {
			return i
		}
	}
	return -1
}

// ZoneIndex returns the index of the zone with the given id, or -1.
func (a *Agreement) ZoneIndex(id string) int {
	for i := range a.Zones {
		if a.Zones[i].ID == id {
			return i
		}
	}
	return -1
}
