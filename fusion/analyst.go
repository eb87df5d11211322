package fusion

import (
	"slices"

	truce "github.com/truce-project/truce"
)

// Merge joins incident b into incident a, as an analyst decides they are one event; the
// merged incident keeps the id of the one whose first member came first. It returns the
// merged incident, or an error (ENOTFOUND) naming an id that is not open.
func (f *Fuser) Merge(a, b string) (*Incident, error) {
	ia, ib := f.byID[a], f.byID[b]
	switch {
	case ia == nil:
		return nil, truce.Errorf(truce.ENOTFOUND, "merge: incident %q is not open", a)
	case ib == nil:
		return nil, truce.Errorf(truce.ENOTFOUND, "merge: incident %q is not open", b)
	case ia == ib:
		return ia, nil
	}
	if ib.Start.Before(ia.Start) || (ib.Start.Equal(ia.Start) && ib.ID < ia.ID) {
		ia, ib = ib, ia
	}
	f.forget(ib)
	// A merged incident may span places no single report's circle covers: register it at
	// every report's place, and let a new report join when it meets any of them.
	ia.merged = true
	for _, m := range ia.Members {
		if !m.heard.bearing {
			if c := cellOf(ia.Class, m.Observation.Lat, m.Observation.Lon); !slices.Contains(ia.cells, c) {
				ia.cells = append(ia.cells, c)
				f.grid[c] = append(f.grid[c], ia)
			}
		}
	}
	f.recent = slices.DeleteFunc(f.recent, func(inc *Incident) bool { return inc == ib })
	// The analyst's decision stands over the automatic one: what was kept apart from either
	// is kept apart from both, except the members now merged.
	for k := range ib.apart {
		f.keepApart(ia, k)
	}
	for _, m := range ib.Members {
		delete(ia.apart, m.key)
		f.join(ia, m, nil)
	}
	for _, m := range ia.Members {
		delete(ia.apart, m.key)
	}
	return ia, nil
}

// Split takes the named members (by observation id, or "source/id") out of an incident into
// a new incident of their own, as an analyst decides they are another event. Fusion keeps to
// it: none of them rejoins the incident it was split from, though later reports may join
// either. The new incident's id is derived from the first of them to have joined. Splitting
// off every member, or naming one that is not a member, is an error (EINVALID); an incident
// that is not open, ENOTFOUND.
func (f *Fuser) Split(id string, members []string) (*Incident, error) {
	inc := f.byID[id]
	if inc == nil {
		return nil, truce.Errorf(truce.ENOTFOUND, "split: incident %q is not open", id)
	}
	var out []*Member
	for _, k := range members {
		m := inc.Member(k)
		if m == nil {
			return nil, truce.Errorf(truce.EINVALID, "split: %q is not a member of incident %q", k, id)
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, truce.Errorf(truce.EINVALID, "split: no members named to split from incident %q", id)
	}
	if len(out) == len(inc.Members) {
		return nil, truce.Errorf(truce.EINVALID, "split: every member of incident %q named; nothing would remain", id)
	}
	// Rebuild the remaining incident from its members in their order, so that its
	// indexes (anchor cell, bearing times) describe only what remains.
	f.forget(inc)
	f.recent = slices.DeleteFunc(f.recent, func(x *Incident) bool { return x == inc })
	keep := slices.DeleteFunc(slices.Clone(inc.Members), func(m *Member) bool { return slices.Contains(out, m) })
	rest := f.rebuild(inc.ID, inc.Class, keep, inc.apart)
	// In the order they joined, so that the new incident's id is derived as Add derives it:
	// from its first member (reports split off as they were merged in get their id back).
	slices.SortFunc(out, func(a, b *Member) int { return slices.Index(inc.Members, a) - slices.Index(inc.Members, b) })
	first := out[0]
	newID := IncidentID(first.Observation.Source, first.Observation.ID)
	if f.byID[newID] != nil {
		newID += "-split"
	}
	split := f.rebuild(newID, inc.Class, out, nil)
	for _, m := range out {
		f.keepApart(rest, m.key)
	}
	for _, m := range keep {
		f.keepApart(split, m.key)
	}
	return split, nil
}

// rebuild makes an open incident of members, in their order.
func (f *Fuser) rebuild(id, cls string, members []*Member, apart map[string]bool) *Incident {
	inc := &Incident{ID: id, Class: cls, Start: members[0].Observation.Time, End: members[0].Observation.Time,
		sources: map[string]int{}, apart: apart}
	f.byID[id] = inc
	for _, m := range members {
		f.join(inc, m, nil)
	}
	return inc
}

func (f *Fuser) keepApart(inc *Incident, key string) {
	if inc.apart == nil {
		inc.apart = map[string]bool{}
	}
	inc.apart[key] = true
}

// Restore takes up again an incident that was stored and closed, or held before a restart:
// its members, in order, with their findings, grouped as stored whatever fusion would make of
// them now, and the analysts' decisions on it (the reports kept apart from it, whether
// incidents were merged into it). It is open again, and closes as any other once it takes
// nothing for a horizon. An incident already open is returned as it is. Errors: EINVALID for
// no reports or a report fusion cannot read; ECONFLICT for a report already in another open
// incident.
func (f *Fuser) Restore(stored *truce.Incident, reports []truce.Event) (*Incident, error) {
	if inc := f.byID[stored.ID]; inc != nil {
		return inc, nil
	}
	if len(reports) == 0 {
		return nil, truce.Errorf(truce.EINVALID, "restore: incident %q has no reports", stored.ID)
	}
	members := make([]*Member, 0, len(reports))
	for _, e := range reports {
		o := *e.Observation
		key := observationKey(&o)
		if other := f.byKey[key]; other != nil {
			return nil, truce.Errorf(truce.ECONFLICT, "restore: report %q of incident %q is in open incident %q", key, stored.ID, other.ID)
		}
		heard, origin, err := readMeasurements(&o, key)
		if err != nil {
			return nil, err
		}
		members = append(members, &Member{Observation: o, Findings: e.Findings, key: key, heard: heard, origin: origin})
	}
	cls := stored.Class
	if cls == "" {
		cls = class(members[0].Observation.Kind)
	}
	inc := &Incident{ID: stored.ID, Class: cls, Start: members[0].Observation.Time, End: members[0].Observation.Time,
		sources: map[string]int{}, merged: stored.Merged}
	for _, k := range stored.KeptApart {
		f.keepApart(inc, k)
	}
	f.byID[inc.ID] = inc
	for _, m := range members {
		f.join(inc, m, nil)
	}
	if inc.End.After(f.now) {
		f.now = inc.End
	}
	return inc, nil
}

// Forget drops the open incident id without closing it (OnClose is not called): for a caller
// whose record of the incident differs from the Fuser's, to Restore it as recorded. It reports
// whether the incident was open.
func (f *Fuser) Forget(id string) bool {
	inc := f.byID[id]
	if inc == nil {
		return false
	}
	f.forget(inc)
	f.recent = slices.DeleteFunc(f.recent, func(x *Incident) bool { return x == inc })
	return true
}
