package fusion

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strconv"
	"time"

	truce "github.com/truce-project/truce"
)

// Incident is one real event as the mission's reports describe it: the observations that
// describe it, with their findings; where it was; for fire, where it came from and who is
// responsible; and how far to believe it.
type Incident struct {
	// ID is derived from the incident's first member (see IncidentID), so the same input
	// gives the same ids, and it survives merging (the earlier incident's id is kept).
	ID string `json:"id"`
	// Class is the compatibility class of its members: a kind, or for fire "fire/impact" and
	// "fire/origin" (see the package comment).
	Class   string    `json:"class"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Members []*Member `json:"members"`
	// Position is where the event was: for fire, the point its reports locate (Position.Target
	// says whether that is the impact or the origin); for anything else, the combined
	// position of the reports. It is nil when the reports do not locate it (a single bearing).
	Position *Fix `json:"position,omitempty"`
	// Origin is the located firing position, nil when it is not located.
	Origin      *Fix        `json:"origin,omitempty"`
	Attribution Attribution `json:"attribution,omitempty"`
	// Sources is the number of independent sources among the members, and Confidence
	// 1 − (1 − r)^Sources for the configured reliability r of one source, to two decimals.
	Sources    int     `json:"sources"`
	Confidence float64 `json:"confidence"`

	sources map[string]int // source → members from it
	apart   map[string]bool
	// cells are the grid cells the incident is registered in: that of its first position
	// report, and after an analyst's merge, those of all of them.
	cells    []cellKey
	merged   bool
	closed   bool
	bearings bool      // holds a bearing, so it is listed among recent acoustic incidents
	bStart   time.Time // earliest and latest bearing member
	bEnd     time.Time
	// gateChiSq is χ² of the members' fit with arrival times, against which a new report's
	// increase is measured.
	gateChiSq float64
}

// Member is one observation of an incident and the findings judged on it.
type Member struct {
	Observation truce.Observation `json:"observation"`
	Findings    []truce.Finding   `json:"findings,omitempty"`

	key    string
	heard  measurement
	origin *measurement
}

// Key is the member's identity: its source and id.
func (m *Member) Key() string { return m.key }

// observationKey identifies an observation across sources: ids are unique within a source.
func observationKey(o *truce.Observation) string { return o.Source + "/" + o.ID }

// IncidentID is the id of an incident whose first member is the observation id from source.
func IncidentID(source, id string) string {
	h := sha256.New()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return "incident-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// Member returns the member with the given key ("source/id") or observation id, or nil.
func (inc *Incident) Member(id string) *Member {
	for _, m := range inc.Members {
		if m.key == id || m.Observation.ID == id {
			return m
		}
	}
	return nil
}

// OriginAttrs writes the located origin into attrs as package rules reads it for rules that
// attribute by origin: origin_lat, origin_lon, and origin_ce_m, the 95% ellipse's semi-major
// axis (rules tests a circle, and the circle around the ellipse claims no more than the
// ellipse). It reports false, leaving attrs alone, when the origin is not located.
func (inc *Incident) OriginAttrs(attrs map[string]any) bool {
	if inc.Origin == nil || attrs == nil {
		return false
	}
	attrs["origin_lat"] = math.Round(inc.Origin.Lat*1e6) / 1e6
	attrs["origin_lon"] = math.Round(inc.Origin.Lon*1e6) / 1e6
	attrs["origin_ce_m"] = math.Ceil(inc.Origin.Ellipse.SemiMajorM)
	return true
}

// AttributedFindings returns the members' findings, with those of rules that attribute by
// origin attributed as the incident's origin says: to a party when the whole 95% ellipse of
// the origin is on its side, else undetermined, with the fusion's reasoning added to the
// explanation. The members' own findings are not changed.
func (inc *Incident) AttributedFindings() []truce.Finding {
	var out []truce.Finding
	for _, m := range inc.Members {
		for _, f := range m.Findings {
			if f.Attribution == truce.AttributeOrigin && inc.Attribution.Party != "" {
				f.Party = inc.Attribution.Party
				f.Explanation += "; fused in " + inc.ID + " (" + strconv.Itoa(len(inc.Members)) + " reports): " + inc.Attribution.Explanation
			}
			out = append(out, f)
		}
	}
	return out
}

// Truce returns the incident as package truce keeps and serves it. Version and Updated are
// left for the store to set; Findings are the members' findings. An incident not of fire is
// attributed to the party its members' findings agree on, if they agree.
func (inc *Incident) Truce() truce.Incident {
	out := truce.Incident{ID: inc.ID, Class: inc.Class, Start: inc.Start, End: inc.End,
		Members: make([]truce.IncidentMember, len(inc.Members)), Position: truceFix(inc.Position),
		Origin: truceFix(inc.Origin), Party: inc.Attribution.Party, Explanation: inc.Attribution.Explanation,
		Sources: inc.Sources, Confidence: inc.Confidence, Merged: inc.merged, KeptApart: inc.KeptApart(),
		Open: !inc.closed}
	out.Fixed = inc.merged || len(out.KeptApart) > 0
	for i, m := range inc.Members {
		o := &m.Observation
		tm := truce.IncidentMember{Source: o.Source, ID: o.ID, Kind: o.Kind, Time: o.Time, Lat: o.Lat, Lon: o.Lon, CEm: o.CEm}
		for _, f := range m.Findings {
			tm.Findings = append(tm.Findings, f.ID)
		}
		out.Findings = append(out.Findings, tm.Findings...)
		out.Members[i] = tm
	}
	if len(inc.Members) > 0 {
		out.Kind = inc.Members[0].Observation.Kind
	}
	if out.Party == "" {
		out.Party, out.Explanation = findingsParty(inc)
	}
	return out
}

// findingsParty is the party the members' findings hold responsible when they all agree, or
// undetermined when they disagree; "" when none attributes.
func findingsParty(inc *Incident) (party, why string) {
	n := 0
	for _, m := range inc.Members {
		for _, f := range m.Findings {
			switch {
			case f.Party == "":
				continue
			case party == "":
				party = f.Party
			case f.Party != party:
				return truce.PartyUndetermined, "the findings on its reports do not agree on who is responsible"
			}
			n++
		}
	}
	switch {
	case party == "":
		return "", ""
	case party == truce.PartyUndetermined:
		return party, "the findings on its reports do not settle who is responsible"
	}
	return party, plural(n, "finding") + " on its reports hold " + party + " responsible"
}

func truceFix(f *Fix) *truce.IncidentFix {
	if f == nil {
		return nil
	}
	out := &truce.IncidentFix{Lat: math.Round(f.Lat*1e7) / 1e7, Lon: math.Round(f.Lon*1e7) / 1e7,
		SemiMajorM: math.Round(f.Ellipse.SemiMajorM*10) / 10, SemiMinorM: math.Round(f.Ellipse.SemiMinorM*10) / 10,
		AzimuthDeg: math.Round(f.Ellipse.AzimuthDeg*10) / 10, Bearings: f.Bearings, Points: f.Points}
	if f.Target != TargetNone {
		out.Target = f.Target.String()
	}
	return out
}

// KeptApart lists, sorted, the reports ("source/id") an analyst split off the incident, which
// fusion never adds back to it.
func (inc *Incident) KeptApart() []string {
	if len(inc.apart) == 0 {
		return nil
	}
	out := make([]string, 0, len(inc.apart))
	for k := range inc.apart {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Merged reports whether an analyst merged other incidents into this one.
func (inc *Incident) Merged() bool { return inc.merged }

// Closed reports whether the incident has been closed: it takes no more reports.
func (inc *Incident) Closed() bool { return inc.closed }
