package truce

import (
	"context"
	"time"
)

// Incident is one real event as the mission's reports describe it: three monitors and two
// acoustic sensors hearing the same shelling are one incident of five members. Package fusion
// groups reports into incidents as they arrive; analysts may merge and split them, and fusion
// keeps to their decision afterwards.
type Incident struct {
	// ID is stable: it is derived from the incident's first report, so the same reports fused
	// again, or after a restart, give the same id. A merged incident keeps the id of the one
	// that began first; a split-off part takes the id of its own first report.
	ID string `json:"id"`
	// Kind is the kind of the first report; Class the group of kinds that may join it ("fire/
	// impact" for sounds of shells landing, "fire/origin" for fire from a firing position,
	// otherwise the kind itself).
	Kind  string    `json:"kind"`
	Class string    `json:"class"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Members are the reports of the incident, in the order they joined it.
	Members []IncidentMember `json:"members"`
	// Findings are the ids of the findings drawn from the members, and from the incident's own
	// report of located fire (source "fusion", whose id is the incident's), in that order.
	// The store fills them in when it reads an incident.
	Findings []string `json:"findings,omitempty"`
	// Verified are those of Findings that analysts have verified.
	Verified []string `json:"verified,omitempty"`
	// Position is where the event was: for fire, the point its reports locate (the impact or
	// the origin, as Position.Target says); otherwise the combined position of the reports.
	// Nil when the reports do not locate it (a single bearing).
	Position *IncidentFix `json:"position,omitempty"`
	// Origin is the located firing position with its 95% ellipse, nil when not located.
	Origin *IncidentFix `json:"origin,omitempty"`
	// Party is who is held responsible: for fire, the party on whose side the whole 95%
	// ellipse of the origin lies, else PartyUndetermined; for other events, the party the
	// members' findings agree on, if they do. Empty when nothing attributes the incident.
	Party string `json:"party,omitempty"`
	// Explanation says in a sentence why the incident is attributed as it is.
	Explanation string `json:"explanation,omitempty"`
	// Sources is the number of independent sources among the members, and Confidence the
	// probability that the event happened, given that many.
	Sources    int     `json:"sources"`
	Confidence float64 `json:"confidence"`
	// Version starts at 1 and increases by one with every change the store is given, and
	// when one of the incident's findings is verified or stops being (Verified changes). An
	// id used again, by a split, after its incident was merged away goes on from the version
	// the open data last gave it.
	Version int64     `json:"version"`
	Updated time.Time `json:"updated"`
	// Fixed says an analyst has merged or split the incident, and fusion keeps to that;
	// Merged that other incidents were merged into it, so that a new report joins it when it
	// meets any of its reports rather than all.
	Fixed  bool `json:"fixed,omitempty"`
	Merged bool `json:"merged,omitempty"`
	// KeptApart lists the reports ("source/id") an analyst split off this incident: fusion
	// never adds them back to it.
	KeptApart []string `json:"kept_apart,omitempty"`
	// Open says fusion may still add reports: it has taken one within its horizon.
	Open bool `json:"open"`
}

// IncidentMember is one report of an incident.
type IncidentMember struct {
	Source string    `json:"source,omitempty"`
	ID     string    `json:"id"`
	Kind   string    `json:"kind"`
	Time   time.Time `json:"time"`
	// Lat, Lon and CEm are where the report was made from or placed: for a bearing, the
	// reporter's own position.
	Lat float64 `json:"lat,omitempty"`
	Lon float64 `json:"lon,omitempty"`
	CEm float64 `json:"ce_m,omitempty"`
	// Findings are the ids of the findings drawn from the report.
	Findings []string `json:"findings,omitempty"`
}

// Key is the member's identity across sources: "source/id".
func (m *IncidentMember) Key() string { return m.Source + "/" + m.ID }

// IncidentFix is a located point and its 95% error ellipse.
type IncidentFix struct {
	// Target is what the point is: "origin" or "impact" of fire, or "" for anything else.
	Target string  `json:"target,omitempty"`
	Lat    float64 `json:"lat"`
	Lon    float64 `json:"lon"`
	// SemiMajorM and SemiMinorM are the semi-axes of the 95% ellipse in metres, and AzimuthDeg
	// the direction of its major axis, degrees clockwise from north.
	SemiMajorM float64 `json:"semi_major_m"`
	SemiMinorM float64 `json:"semi_minor_m"`
	AzimuthDeg float64 `json:"azimuth_deg"`
	// Bearings and Points count the measurements that located it.
	Bearings int `json:"bearings,omitempty"`
	Points   int `json:"points,omitempty"`
}

// Analysts' actions on incidents.
const (
	// IncidentMerge joins incidents an analyst judges to be one event.
	IncidentMerge = "merge"
	// IncidentSplit takes reports out of an incident into one of their own.
	IncidentSplit = "split"
)

// IncidentAction is one analyst's merge or split, as kept in the history and logged.
type IncidentAction struct {
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"` // the token id of the analyst
	Action string    `json:"action"`
	// Incidents are the incidents acted on: those merged, or the one split.
	Incidents []string `json:"incidents"`
	// Result is the merged incident, or the new incident split off.
	Result string `json:"result"`
	// Members are the reports ("source/id") split off; empty for a merge.
	Members []string `json:"members,omitempty"`
	Reason  string   `json:"reason"`
}

// Attribution filters of incidents (IncidentFilter.Attribution).
const (
	AttributedToParty = "attributed"   // to a party
	AttributedNone    = "none"         // nothing attributes it
	AttributedUnknown = "undetermined" // the evidence does not settle it
)

// IncidentFilter selects incidents. Zero fields do not filter.
type IncidentFilter struct {
	// From and To select incidents whose time span meets [From, To).
	From, To time.Time
	// BBox selects incidents whose position, or failing that origin, is in the box.
	BBox *BBox
	Kind string // a kind or family ("fire.*")
	// Party is the attributed party (or PartyUndetermined).
	Party string
	// Attribution is AttributedToParty, AttributedUnknown or AttributedNone.
	Attribution string
	// Verified keeps only incidents with at least one verified finding.
	Verified bool
	// Open keeps only incidents fusion may still add reports to.
	Open   bool
	Limit  int
	Cursor string
}

// IncidentStore keeps the incidents fusion makes and the analysts' decisions on them. The
// store does not fuse: the incidents it is given are fusion's, and a merge or split is handed
// over already made, so that the store only checks it against what it holds and records it.
// Implementation: package sqlite.
type IncidentStore interface {
	// PutIncidents stores incidents as fusion now has them, replacing what is stored under
	// their ids (members are moved from incident to incident as needed), and records that
	// fusion has read the events up to fusedThrough (FusedThrough), in one transaction. An
	// incident whose content is unchanged keeps its version; a changed one's version goes up
	// by one, and Updated is set. The Version and Updated of each incident given are set to
	// what is stored. Errors: EINVALID for an incident without id or members.
	PutIncidents(ctx context.Context, incidents []Incident, fusedThrough int64) error

	// FusedThrough is the sequence number of the last event fusion has read, where it resumes
	// after a restart (0 before the first PutIncidents).
	FusedThrough(ctx context.Context) (int64, error)

	// Incidents lists incidents in the order they were first stored, a page at a time; next
	// is the cursor of the following page, "" after the last. Errors: EINVALID for a
	// malformed cursor or filter.
	Incidents(ctx context.Context, f IncidentFilter) (incidents []Incident, next string, err error)

	// Incident returns one incident. Errors: ENOTFOUND, whose message names the incident it
	// was merged into if it was.
	Incident(ctx context.Context, id string) (*Incident, error)

	// IncidentReports returns the members of an incident as stored observations with their
	// findings, in the order they joined it, for fusion to take the incident up again.
	// Errors: ENOTFOUND.
	IncidentReports(ctx context.Context, id string) ([]Event, error)

	// MergeIncidents records an analyst's merge of the incidents ids into merged, which
	// fusion has made and which must hold every member of them and nothing else, with an id
	// among ids. The others are removed; the action is kept in the history (and logged, where
	// the store has a log) in the same transaction. Errors: EINVALID for fewer than two
	// distinct ids, a missing reason or actor, or a merged incident that does not match;
	// ENOTFOUND for an id not stored.
	MergeIncidents(ctx context.Context, ids []string, merged Incident, actor, reason string) (*Incident, error)

	// SplitIncident records an analyst's split of members (keys "source/id") out of incident
	// id: rest is what remains under id and split the new incident of the members, both as
	// fusion made them. Errors: EINVALID for no members, a member not in the incident, every
	// member named, a missing reason or actor, or results that do not match; ENOTFOUND for an
	// id not stored; ECONFLICT when split's id is already taken.
	SplitIncident(ctx context.Context, id string, members []string, rest, split Incident, actor, reason string) (*Incident, error)

	// IncidentHistory lists the analysts' actions that involved an incident, oldest first.
	IncidentHistory(ctx context.Context, id string) ([]IncidentAction, error)
}

// IncidentDesk is what the API offers on incidents: reading them as stored, and the analysts'
// merge and split, which fusion makes and the store records.
type IncidentDesk interface {
	Incidents(ctx context.Context, f IncidentFilter) ([]Incident, string, error)
	Incident(ctx context.Context, id string) (*Incident, error)
	IncidentHistory(ctx context.Context, id string) ([]IncidentAction, error)

	// Merge joins the incidents ids into one as the analyst actor decides, and returns it.
	// Errors: EINVALID (fewer than two incidents, no reason), ENOTFOUND, EUNAVAILABLE when
	// fusion is not running.
	Merge(ctx context.Context, ids []string, actor, reason string) (*Incident, error)

	// Split takes members (observation ids or "source/id") out of incident id into a new
	// incident, and returns the new one. Errors: EINVALID (no members, a member not in it,
	// every member, no reason), ENOTFOUND, EUNAVAILABLE when fusion is not running.
	Split(ctx context.Context, id string, members []string, actor, reason string) (*Incident, error)
}
