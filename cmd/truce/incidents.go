package main

import (
	"context"
	"slices"
	"strings"
	"sync"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/fusion"
	"github.com/truce-project/truce/sqlite"
)

// incidentDesk is truce.IncidentDesk for `truce serve`: incidents are read from the store, and
// an analyst's merge or split is made by the fuser, so that fusion keeps to it afterwards, and
// then recorded by the store. One lock orders everything done to the fuser: the reports it
// takes and their storing, and the analysts' actions.
type incidentDesk struct {
	store *sqlite.DB

	mu    sync.Mutex
	fuser *fusion.Fuser // nil until fusion runs
	// closed are the incidents the fuser closed since they were last stored.
	closed []*fusion.Incident
	// changed, when set, hears of every incident stored as it now stands.
	changed func([]truce.Incident)
}

var _ truce.IncidentDesk = (*incidentDesk)(nil)

func (d *incidentDesk) Incidents(ctx context.Context, f truce.IncidentFilter) ([]truce.Incident, string, error) {
	return d.store.Incidents(ctx, f)
}

func (d *incidentDesk) Incident(ctx context.Context, id string) (*truce.Incident, error) {
	return d.store.Incident(ctx, id)
}

func (d *incidentDesk) IncidentHistory(ctx context.Context, id string) ([]truce.IncidentAction, error) {
	return d.store.IncidentHistory(ctx, id)
}

// setFuser hands the desk the running fuser.
func (d *incidentDesk) setFuser(f *fusion.Fuser) {
	d.mu.Lock()
	d.fuser = f
	d.mu.Unlock()
}

// onClose is the fuser's Config.OnClose: a closed incident is stored as closed with the next
// reports.
func (d *incidentDesk) onClose(inc *fusion.Incident) { d.closed = append(d.closed, inc) }

// fuse adds stored events to the fuser and stores the incidents they changed, with the events'
// last seq as where fusion has read to, in one transaction.
func (d *incidentDesk) fuse(ctx context.Context, events []truce.Event, skip func(*truce.Observation) bool, onErr func(*truce.Observation, error)) error {
	if len(events) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var changed []*fusion.Incident
	seen := map[*fusion.Incident]bool{}
	for i := range events {
		o := events[i].Observation
		if skip(o) {
			continue
		}
		inc, err := d.fuser.Add(*o, events[i].Findings)
		if err != nil {
			onErr(o, err)
			continue
		}
		if inc != nil && !seen[inc] {
			seen[inc] = true
			changed = append(changed, inc)
		}
	}
	for _, inc := range d.closed {
		if !seen[inc] {
			seen[inc] = true
			changed = append(changed, inc)
		}
	}
	d.closed = d.closed[:0]
	out := make([]truce.Incident, 0, len(changed))
	for _, inc := range changed {
		// An incident merged away or split since it changed in this batch is stored through
		// what it became.
		if inc.Closed() || d.fuser.Incident(inc.ID) == inc {
			out = append(out, inc.Truce())
		}
	}
	if err := d.store.PutIncidents(ctx, out, events[len(events)-1].Seq); err != nil {
		return err
	}
	if d.changed != nil && len(out) > 0 {
		d.changed(out)
	}
	return nil
}

// restoreOpen takes up again the incidents that were open when the server last stopped.
func (d *incidentDesk) restoreOpen(ctx context.Context) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	cursor := ""
	for {
		list, next, err := d.store.Incidents(ctx, truce.IncidentFilter{Open: true, Limit: 1000, Cursor: cursor})
		if err != nil {
			return n, err
		}
		for i := range list {
			if _, err := d.restore(ctx, &list[i]); err != nil {
				return n, err
			}
			n++
		}
		if next == "" {
			return n, nil
		}
		cursor = next
	}
}

// restore puts a stored incident back into the fuser, unless it is open there.
func (d *incidentDesk) restore(ctx context.Context, stored *truce.Incident) (*fusion.Incident, error) {
	if inc := d.fuser.Incident(stored.ID); inc != nil {
		return inc, nil
	}
	reports, err := d.store.IncidentReports(ctx, stored.ID)
	if err != nil {
		return nil, err
	}
	return d.fuser.Restore(stored, reports)
}

// open returns incident id open in the fuser, taking it up again from the store if it was
// closed. Errors: ENOTFOUND.
func (d *incidentDesk) open(ctx context.Context, id string) (*fusion.Incident, error) {
	if inc := d.fuser.Incident(id); inc != nil {
		return inc, nil
	}
	stored, err := d.store.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.restore(ctx, stored)
}

// resync makes the fuser's incidents ids what the store holds, after the store refused what
// the fuser had already done.
func (d *incidentDesk) resync(ctx context.Context, ids ...string) {
	for _, id := range ids {
		d.fuser.Forget(id)
	}
	for _, id := range ids {
		if stored, err := d.store.Incident(ctx, id); err == nil {
			d.restore(ctx, stored)
		}
	}
}

func checkReason(actor, reason, what string) error {
	switch {
	case actor == "":
		return truce.Errorf(truce.EINVALID, "to %s incidents needs the analyst who does it", what)
	case strings.TrimSpace(reason) == "":
		return truce.Errorf(truce.EINVALID, "reason: required to %s incidents", what)
	}
	return nil
}

// Merge joins incidents into one; see truce.IncidentDesk.
func (d *incidentDesk) Merge(ctx context.Context, ids []string, actor, reason string) (*truce.Incident, error) {
	if err := checkReason(actor, reason, truce.IncidentMerge); err != nil {
		return nil, err
	}
	distinct := slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(distinct) < 2 {
		return nil, truce.Errorf(truce.EINVALID, "ids: a merge needs at least two different incidents")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fuser == nil {
		return nil, truce.Errorf(truce.EUNAVAILABLE, "fusion is not running: incidents cannot be merged now")
	}
	// Every incident is found before any is changed, so that a missing one changes nothing.
	for _, id := range distinct {
		if _, err := d.open(ctx, id); err != nil {
			return nil, err
		}
	}
	merged := d.fuser.Incident(distinct[0])
	for _, id := range distinct[1:] {
		var err error
		if merged, err = d.fuser.Merge(merged.ID, id); err != nil {
			d.resync(ctx, distinct...)
			return nil, err
		}
	}
	out, err := d.store.MergeIncidents(ctx, distinct, merged.Truce(), actor, reason)
	if err != nil {
		d.resync(ctx, distinct...)
		return nil, err
	}
	if d.changed != nil {
		d.changed([]truce.Incident{*out})
	}
	return out, nil
}

// Split takes members out of an incident into a new one; see truce.IncidentDesk.
func (d *incidentDesk) Split(ctx context.Context, id string, members []string, actor, reason string) (*truce.Incident, error) {
	if err := checkReason(actor, reason, truce.IncidentSplit); err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, truce.Errorf(truce.EINVALID, "members: name at least one report to split off incident %q", id)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fuser == nil {
		return nil, truce.Errorf(truce.EUNAVAILABLE, "fusion is not running: incidents cannot be split now")
	}
	inc, err := d.open(ctx, id)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(members))
	for _, name := range members {
		m := inc.Member(name)
		if m == nil {
			return nil, truce.Errorf(truce.EINVALID, "members: %q is not a member of incident %q", name, id)
		}
		keys = append(keys, m.Key())
	}
	split, err := d.fuser.Split(id, keys)
	if err != nil {
		return nil, err
	}
	out, err := d.store.SplitIncident(ctx, id, keys, d.fuser.Incident(id).Truce(), split.Truce(), actor, reason)
	if err != nil {
		d.fuser.Forget(split.ID)
		d.resync(ctx, id)
		return nil, err
	}
	if d.changed != nil {
		rest, err := d.store.Incident(ctx, id)
		if err == nil {
			d.changed([]truce.Incident{*rest, *out})
		}
	}
	return out, nil
}
