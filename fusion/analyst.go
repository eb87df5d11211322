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
// either. The new incident's id is derived from its first member. Splitting off every member,
// or naming one that is not a member, is an error (EINVALID); an incident that is not open,
// ENOTFOUND.
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
	first := out[0]
	for _, m := range out[1:] {
		if m.Observation.Time.Before(first.Observation.Time) {
			first = m
		}
	}
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
