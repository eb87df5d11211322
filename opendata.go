package truce

import (
	"context"
	"time"
)

// Changes in the open data feeds: how the published sets of findings and of incidents changed.
const (
	// ChangePublished: a finding became verified, and so public (again, after a withdrawal);
	// an incident had its first finding verified.
	ChangePublished = "published"
	// ChangeUpdated: the public content of a published finding or incident changed.
	ChangeUpdated = "updated"
	// ChangeWithdrawn: a published finding was reopened or dismissed, or a published incident
	// lost its last verified finding or was merged into another; a copy drops it.
	ChangeWithdrawn = "withdrawn"
)

// OpenFinding is a verified finding as the mission publishes it: what the public may know,
// without the source or the observation it was drawn from. ID is the finding's id, stable for
// good; Version increases by one at each review decision that touches the finding, and
// Updated is when the last did.
type OpenFinding struct {
	ID          string    `json:"id"`
	Version     int64     `json:"version"`
	Updated     time.Time `json:"updated"`
	Rule        string    `json:"rule"`
	Article     string    `json:"article"`
	Title       string    `json:"title,omitempty"`
	Kind        string    `json:"kind"`
	Time        time.Time `json:"time"`
	Lat         float64   `json:"lat"`
	Lon         float64   `json:"lon"`
	Zone        string    `json:"zone,omitempty"`
	Party       string    `json:"party,omitempty"`
	Attribution string    `json:"attribution,omitempty"`
	Severity    string    `json:"severity"`
	Confidence  float64   `json:"confidence"`
	Status      string    `json:"status"`
	Explanation string    `json:"explanation"`
	Agreement   string    `json:"agreement"`
}

// PublicFinding is f as the mission publishes it at version v, last updated at updated.
func PublicFinding(f *Finding, version int64, updated time.Time) OpenFinding {
	return OpenFinding{
		ID: f.ID, Version: version, Updated: updated.UTC(), Rule: f.Rule, Article: f.Article, Title: f.Title,
		Kind: f.Kind, Time: f.Time.UTC(), Lat: f.Lat, Lon: f.Lon, Zone: f.Zone, Party: f.Party,
		Attribution: f.Attribution, Severity: f.Severity, Confidence: f.Confidence, Status: f.Status,
		Explanation: f.Explanation, Agreement: f.Agreement,
	}
}

// OpenChange is one change of a published set: a finding or an incident published, updated
// or withdrawn, at a version. Published and updated changes carry the record as it became
// (Finding in the findings' feed, Incident in the incidents'), so that a copy can be kept from
// the changes alone.
type OpenChange struct {
	ID       string        `json:"id"`
	Version  int64         `json:"version"`
	Time     time.Time     `json:"time"`
	Change   string        `json:"change"`
	Finding  *OpenFinding  `json:"finding,omitempty"`
	Incident *OpenIncident `json:"incident,omitempty"`
}

// OpenDataStore serves the open data: the published findings and the feeds of changes to the
// published findings and incidents. The two feeds share one clock: no two changes of either
// have the same time, and each is written in the transaction of what made it.
type OpenDataStore interface {
	// OpenFindings calls fn with each verified finding as published, in the order stored,
	// until fn returns an error, which it returns.
	OpenFindings(ctx context.Context, fn func(*OpenFinding) error) error

	// OpenChanges lists up to limit changes made at or after since, oldest first. Change
	// times never decrease, so a copy resumes from the time of the last change it applied
	// (seeing that change again, at a version it already has).
	OpenChanges(ctx context.Context, since time.Time, limit int) ([]OpenChange, error)

	// OpenIncidentChanges lists up to limit changes of the published incidents made at or
	// after since, oldest first, as OpenChanges does for findings. An incident is published
	// when it first has a verified finding; updated at each change to it while it has one
	// (fusion adds a report, an analyst merges or splits it, a finding of it is verified or
	// reopened), its version then one more; and withdrawn when it has none left or is merged
	// into another.
	OpenIncidentChanges(ctx context.Context, since time.Time, limit int) ([]OpenChange, error)
}

// OpenIncident is an incident as the mission publishes it: one with at least one verified
// finding, without its members' sources or the places the mission's reporters stood. ID is the
// incident's stable id; Version and Updated are the incident's own (its version goes up with
// every change fusion or an analyst makes to it, and when one of its findings is verified or
// stops being). Position is where the event was (its
// position, or failing that the located origin of fire) with the 95% ellipse, nil when the
// reports do not locate it.
type OpenIncident struct {
	ID          string       `json:"id"`
	Version     int64        `json:"version"`
	Updated     time.Time    `json:"updated"`
	Kind        string       `json:"kind"`
	Class       string       `json:"class"`
	Start       time.Time    `json:"start"`
	End         time.Time    `json:"end"`
	Position    *IncidentFix `json:"position"`
	Party       string       `json:"party,omitempty"`
	Explanation string       `json:"explanation,omitempty"`
	Reports     int          `json:"reports"`
	Sources     int          `json:"sources"`
	Confidence  float64      `json:"confidence"`
	// Findings are the incident's verified findings, the ids of the open findings data.
	Findings []string `json:"findings"`
}

// PublicIncident is inc as the mission publishes it, and whether it is published at all (it
// is once one of its findings is verified).
func PublicIncident(inc *Incident) (OpenIncident, bool) {
	if len(inc.Verified) == 0 {
		return OpenIncident{}, false
	}
	o := OpenIncident{ID: inc.ID, Version: inc.Version, Updated: inc.Updated.UTC(), Kind: inc.Kind, Class: inc.Class,
		Start: inc.Start.UTC(), End: inc.End.UTC(), Party: inc.Party, Explanation: inc.Explanation,
		Reports: len(inc.Members), Sources: inc.Sources, Confidence: inc.Confidence,
		Findings: append([]string(nil), inc.Verified...)}
	fix := inc.Position
	if fix == nil {
		fix = inc.Origin
	}
	if fix != nil {
		o.Position = &IncidentFix{Target: fix.Target, Lat: fix.Lat, Lon: fix.Lon, SemiMajorM: fix.SemiMajorM,
			SemiMinorM: fix.SemiMinorM, AzimuthDeg: fix.AzimuthDeg}
	}
	return o, true
}
