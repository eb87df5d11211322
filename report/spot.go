package report

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"time"

	truce "github.com/truce-project/truce"
)

// Spot is the spot report of a single finding or incident: what was seen, where and when,
// under which article, attributed to whom, and (for the mission's own staff) how it was
// reviewed.
type Spot struct {
	Report    string       `json:"report"`  // "spot"
	Subject   string       `json:"subject"` // "finding" or "incident"
	ID        string       `json:"id"`
	Agreement AgreementRef `json:"agreement"`
	Timezone  string       `json:"timezone"`
	Generated time.Time    `json:"generated"`
	Time      time.Time    `json:"time"`
	Local     string       `json:"local_time"`
	Lat       float64      `json:"lat"`
	Lon       float64      `json:"lon"`
	Party     string       `json:"party,omitempty"`
	PartyName string       `json:"party_name,omitempty"`
	// Summary is the finding's explanation, or the incident's.
	Summary string `json:"summary"`
	// Incident is the incident reported on, as the caller may see it.
	Incident *truce.Incident `json:"incident,omitempty"`
	// Findings are the findings reported on with their review state.
	Findings []SpotFinding `json:"findings"`
	// History is each finding's review, oldest first, for the mission's own staff only.
	History map[string][]truce.ReviewEntry `json:"history,omitempty"`
}

// SpotFinding is a finding in a spot report.
type SpotFinding struct {
	AnnexEntry
	Review string `json:"review"`
}

// SpotAudience says what a spot report may show: which findings (visible), and whether the
// review history (the analysts' own record) is included.
type SpotAudience struct {
	Visible func(*truce.Finding) bool
	History bool
}

// SpotFinding builds the spot report of one finding. Errors: ENOTFOUND, also for a finding the
// audience may not see.
func (g *Generator) SpotFinding(ctx context.Context, id string, aud SpotAudience) (*Spot, error) {
	f, err := g.store.Finding(ctx, id)
	if err == nil && aud.Visible != nil && !aud.Visible(f) {
		err = truce.Errorf(truce.ENOTFOUND, "no finding %q", id)
	}
	if err != nil {
		return nil, err
	}
	s := g.newSpot("finding", f.ID, f.Time, f.Lat, f.Lon, f.Party, f.Explanation)
	if err := g.addFindings(ctx, s, []truce.Finding{*f}, aud); err != nil {
		return nil, err
	}
	return s, nil
}

// SpotIncident builds the spot report of an incident (already redacted for the audience),
// with those of its findings the audience may see.
func (g *Generator) SpotIncident(ctx context.Context, inc *truce.Incident, aud SpotAudience) (*Spot, error) {
	lat, lon := 0.0, 0.0
	switch {
	case inc.Position != nil:
		lat, lon = inc.Position.Lat, inc.Position.Lon
	case inc.Origin != nil:
		lat, lon = inc.Origin.Lat, inc.Origin.Lon
	case len(inc.Members) > 0:
		lat, lon = inc.Members[0].Lat, inc.Members[0].Lon
	}
	s := g.newSpot("incident", inc.ID, inc.Start, lat, lon, inc.Party, inc.Explanation)
	s.Incident = inc
	var fs []truce.Finding
	for _, id := range inc.Findings {
		f, err := g.store.Finding(ctx, id)
		if truce.ErrorCode(err) == truce.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if aud.Visible == nil || aud.Visible(f) {
			fs = append(fs, *f)
		}
	}
	if err := g.addFindings(ctx, s, fs, aud); err != nil {
		return nil, err
	}
	if s.Summary == "" && len(s.Findings) > 0 {
		s.Summary = s.Findings[0].Explanation
	}
	return s, nil
}

func (g *Generator) newSpot(subject, id string, at time.Time, lat, lon float64, party, summary string) *Spot {
	s := &Spot{
		Report: "spot", Subject: subject, ID: id,
		Agreement: AgreementRef{ID: g.a.ID, Title: g.a.Title, Hash: g.a.Hash},
		Timezone:  g.loc.String(), Generated: g.opt.Now().UTC(),
		Time: at, Local: g.local(at), Lat: lat, Lon: lon, Party: party, Summary: summary,
		Findings: []SpotFinding{},
	}
	if party != "" {
		s.PartyName = g.partyLabel(party)
	}
	return s
}

// addFindings adds the findings with their observations' weapon and direction and, when the
// audience may see it, their review history.
func (g *Generator) addFindings(ctx context.Context, s *Spot, fs []truce.Finding, aud SpotAudience) error {
	keys := make([]truce.ObservationKey, len(fs))
	for i, f := range fs {
		keys[i] = truce.ObservationKey{Source: f.Source, ID: f.Observation}
	}
	obs, err := g.store.ObservationsByKey(ctx, keys)
	if err != nil {
		return err
	}
	byKey := map[obsKey]*truce.Observation{}
	for i := range obs {
		byKey[obsKey{obs[i].Source, obs[i].ID}] = &obs[i]
	}
	for _, f := range fs {
		e := g.annexEntry(&f, byKey[obsKey{f.Source, f.Observation}])
		s.Findings = append(s.Findings, SpotFinding{AnnexEntry: e, Review: f.Review})
		if aud.History {
			h, err := g.store.ReviewHistory(ctx, f.ID)
			if err != nil {
				return err
			}
			if s.History == nil {
				s.History = map[string][]truce.ReviewEntry{}
			}
			s.History[f.ID] = h
		}
	}
	return nil
}

type spotPage struct {
	*Spot
	Map template.HTML
}

// RenderSpot writes the spot report as one self-contained HTML page.
func (g *Generator) RenderSpot(w io.Writer, s *Spot) error {
	markers := []Marker{{Lat: s.Lat, Lon: s.Lon, Class: "finding-dot", Party: s.Party, ID: s.ID,
		Title: fmt.Sprintf("%s %s", s.Local, s.Summary)}}
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, "spot.html", spotPage{Spot: s, Map: template.HTML(g.m.SVG(markers, g.a.Parties))}); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
