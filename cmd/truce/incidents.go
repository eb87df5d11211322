package main

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

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
	// pending are the incidents changed since they were last stored, in order of first
	// change, and pendingSeq the last event fused; pendingEvents counts the events since.
	pending       []*fusion.Incident
	pendingSet    map[*fusion.Incident]bool
	pendingSeq    int64
	pendingEvents int
	// flushTimer stores what is pending a moment after it was fused, when no more comes.
	flushTimer *time.Timer
	// onFlushError hears of a failed store of what the timer flushed.
	onFlushError func(error)
	// changed, when set, hears of every incident stored as it now stands.
	changed func([]truce.Incident)
}

// How the desk stores fusion's incidents: in one transaction for each run of events that
// ends when fusion has caught up with the store (a chunk shorter than followChunk, the most
// Pipeline.Follow hands over at once), when maxPendingEvents have been fused, or flushDelay
// after the last events, whichever comes first. Fusion behind the store thus catches up in
// a few large transactions rather than many small ones, and an incident is served within
// flushDelay of the report that changed it.
const (
	followChunk      = 1000
	maxPendingEvents = 10000
	flushDelay       = 250 * time.Millisecond
)

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

// fuse adds stored events to the fuser; the incidents they change are stored, with the
// events' last seq as where fusion has read to, in one transaction with those of the events
// before and after (see followChunk).
func (d *incidentDesk) fuse(ctx context.Context, events []truce.Event, skip func(*truce.Observation) bool, onErr func(*truce.Observation, error)) error {
	if len(events) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pendingSet == nil {
		d.pendingSet = map[*fusion.Incident]bool{}
	}
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
		if inc != nil && !d.pendingSet[inc] {
			d.pendingSet[inc] = true
			d.pending = append(d.pending, inc)
		}
	}
	d.pendingSeq = events[len(events)-1].Seq
	d.pendingEvents += len(events)
	if len(events) < followChunk || d.pendingEvents >= maxPendingEvents {
		return d.flushLocked(ctx)
	}
	if d.flushTimer == nil {
		d.flushTimer = time.AfterFunc(flushDelay, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if err := d.flushLocked(context.Background()); err != nil && d.onFlushError != nil {
				d.onFlushError(err)
			}
		})
	}
	return nil
}

// flush stores what fusion has changed and not yet stored.
func (d *incidentDesk) flush(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.flushLocked(ctx)
}

func (d *incidentDesk) flushLocked(ctx context.Context) error {
	if d.flushTimer != nil {
		d.flushTimer.Stop()
		d.flushTimer = nil
	}
	if d.pendingEvents == 0 && len(d.closed) == 0 {
		return nil
	}
	if d.pendingSet == nil {
		d.pendingSet = map[*fusion.Incident]bool{}
	}
	for _, inc := range d.closed {
		if !d.pendingSet[inc] {
			d.pendingSet[inc] = true
			d.pending = append(d.pending, inc)
		}
	}
	d.closed = d.closed[:0]
	out := make([]truce.Incident, 0, len(d.pending))
	for _, inc := range d.pending {
		// An incident merged away or split since it changed is stored through what it became.
		if inc.Closed() || d.fuser.Incident(inc.ID) == inc {
			out = append(out, inc.Truce())
		}
	}
	if err := d.store.PutIncidents(ctx, out, d.pendingSeq); err != nil {
		// Kept pending: the next flush tries again.
		return err
	}
	d.pending = d.pending[:0]
	clear(d.pendingSet)
	d.pendingEvents = 0
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
	// The store must hold what the fuser holds before the analyst's decision is checked
	// against it.
	if err := d.flushLocked(ctx); err != nil {
		return nil, err
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
	if err := d.flushLocked(ctx); err != nil {
		return nil, err
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
