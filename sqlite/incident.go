package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/truce-project/truce"
)

var _ truce.IncidentStore = (*DB)(nil)

// incidentCursor tags a cursor of the incidents list (see cursor.go).
const incidentCursor = "i"

// fusionSource is the source of the reports fusion makes of located fire, one per incident,
// under the incident's id (cmd/truce): their findings are the incident's own.
const fusionSource = "fusion"

// IncidentHook runs inside the transaction of a merge or split with the action it records:
// how the mission's log records each decision in the same transaction that makes it.
type IncidentHook func(ctx context.Context, tx *sql.Tx, action truce.IncidentAction) error

// SetIncidentHook installs h (nil removes it) for the merges and splits that begin after it
// returns.
func (db *DB) SetIncidentHook(h IncidentHook) {
	db.hookMu.Lock()
	db.incidentHook = h
	db.hookMu.Unlock()
}

// incidentBody is what the incidents table keeps as JSON: everything but the members, the
// findings (read from the members), the version, the time of the last change, and whether the
// incident is open, which are columns of their own.
func incidentBody(inc *truce.Incident) ([]byte, error) {
	c := *inc
	c.Members, c.Findings, c.Verified, c.Version, c.Updated, c.Open = nil, nil, nil, 0, time.Time{}, false
	return json.Marshal(&c)
}

// keysDigest is the SHA-256 of the first n member keys of inc, in order.
func keysDigest(inc *truce.Incident, n int) []byte {
	h := sha256.New()
	for i := range inc.Members[:n] {
		h.Write([]byte(inc.Members[i].Key()))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// incidentDigest is the SHA-256 of the body and of the member keys' digest.
func incidentDigest(body, keys []byte) []byte {
	h := sha256.New()
	h.Write(body)
	h.Write(keys)
	return h.Sum(nil)
}

// incidentPlace is the point the lists' bbox filters on: the position, or the origin.
func incidentPlace(inc *truce.Incident) (lat, lon any) {
	switch {
	case inc.Position != nil:
		return inc.Position.Lat, inc.Position.Lon
	case inc.Origin != nil:
		return inc.Origin.Lat, inc.Origin.Lon
	}
	return nil, nil
}

func checkIncident(inc *truce.Incident) error {
	switch {
	case inc.ID == "":
		return truce.Errorf(truce.EINVALID, "incident: id required")
	case len(inc.Members) == 0:
		return truce.Errorf(truce.EINVALID, "incident %q: no members", inc.ID)
	}
	return nil
}

// incidentStmts are the statements that write incidents, prepared once per transaction:
// preparing costs as much as running them.
type incidentStmts struct {
	read, insert, update, reopen, member, count, told *sql.Stmt
	// open (syncOpenIncidents) reads what the open data feed last said of an incident and
	// how the incident now stands, in one step.
	open *sql.Stmt
}

func prepareIncidentStmts(ctx context.Context, tx *sql.Tx) (*incidentStmts, error) {
	var st incidentStmts
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&st.read, `SELECT digest, open, members, members_digest, version, updated FROM incidents WHERE id = ?`},
		{&st.insert, `INSERT INTO incidents (id, kind, start_time, end_time, lat, lon, party, open, version, updated, digest, body, members, members_digest)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.told, `SELECT version FROM open_incidents WHERE id = ?`},
		{&st.open, `SELECT COALESCE(p.version, 0), COALESCE(p.public, 0), incidents.id IS NOT NULL, COALESCE(incidents.version, 0),
			incidents.id IS NOT NULL AND ` + verifiedIncident + `
			FROM (SELECT ? AS id) k LEFT JOIN open_incidents p ON p.id = k.id LEFT JOIN incidents ON incidents.id = k.id`},
		{&st.update, `UPDATE incidents SET kind = ?, start_time = ?, end_time = ?, lat = ?, lon = ?, party = ?, open = ?,
			version = version + 1, updated = ?, digest = ?, body = ?, members = ?, members_digest = ? WHERE id = ?`},
		{&st.reopen, `UPDATE incidents SET open = ?, version = version + 1, updated = ? WHERE id = ?`},
		{&st.member, `INSERT INTO incident_members (source, id, incident, pos) VALUES (?, ?, ?, ?)
			ON CONFLICT (source, id) DO UPDATE SET incident = excluded.incident, pos = excluded.pos
			WHERE incident != excluded.incident OR pos != excluded.pos`},
		{&st.count, `SELECT COUNT(*) FROM incident_members WHERE incident = ?`},
	} {
		var err error
		if *p.stmt, err = tx.PrepareContext(ctx, p.sql); err != nil {
			st.close()
			return nil, internal(err, "incidents: prepare")
		}
	}
	return &st, nil
}

func (st *incidentStmts) close() {
	for _, s := range []*sql.Stmt{st.read, st.insert, st.update, st.reopen, st.member, st.count, st.told, st.open} {
		if s != nil {
			s.Close()
		}
	}
}

// putIncident writes one incident and its members in tx, and reports whether anything changed.
// Fusion only adds members to an incident, so when the members stored are the first of those
// given, only the rest are written; otherwise every member is, and those no longer listed
// leave the incident.
func (db *DB) putIncident(ctx context.Context, tx *sql.Tx, st *incidentStmts, inc *truce.Incident, now int64) (bool, error) {
	if err := checkIncident(inc); err != nil {
		return false, err
	}
	var (
		oldDigest, oldKeys  []byte
		oldOpen             bool
		oldMembers          int
		oldVersion, updated int64
	)
	err := st.read.QueryRowContext(ctx, inc.ID).Scan(&oldDigest, &oldOpen, &oldMembers, &oldKeys, &oldVersion, &updated)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, internal(err, "incident %s", inc.ID)
	}
	if !exists {
		// An id merged away and used again goes on from the version the open data last gave it.
		if err := st.told.QueryRowContext(ctx, inc.ID).Scan(&oldVersion); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, internal(err, "incident %s", inc.ID)
		}
	}
	body, err := incidentBody(inc)
	if err != nil {
		return false, internal(err, "incident %s: body", inc.ID)
	}
	keys := keysDigest(inc, len(inc.Members))
	digest := incidentDigest(body, keys)
	inc.Version, inc.Updated = oldVersion+1, time.Unix(0, now).UTC()
	if exists && bytes.Equal(digest, oldDigest) {
		if oldOpen == inc.Open {
			inc.Version, inc.Updated = oldVersion, time.Unix(0, updated).UTC()
			return false, nil
		}
		// Closed (or taken up again) and nothing else: the one column.
		if _, err := st.reopen.ExecContext(ctx, inc.Open, now, inc.ID); err != nil {
			return false, internal(err, "incident %s", inc.ID)
		}
		return true, nil
	}
	lat, lon := incidentPlace(inc)
	if exists {
		_, err = st.update.ExecContext(ctx, inc.Kind, inc.Start.UnixNano(), inc.End.UnixNano(), lat, lon, inc.Party, inc.Open,
			now, digest, body, len(inc.Members), keys, inc.ID)
	} else {
		_, err = st.insert.ExecContext(ctx, inc.ID, inc.Kind, inc.Start.UnixNano(), inc.End.UnixNano(), lat, lon, inc.Party, inc.Open,
			inc.Version, now, digest, body, len(inc.Members), keys)
	}
	if err != nil {
		return false, internal(err, "incident %s", inc.ID)
	}
	from := 0
	if exists && oldMembers > 0 && oldMembers <= len(inc.Members) && bytes.Equal(keysDigest(inc, oldMembers), oldKeys) {
		from = oldMembers
	}
	for i := from; i < len(inc.Members); i++ {
		m := &inc.Members[i]
		if _, err := st.member.ExecContext(ctx, m.Source, m.ID, inc.ID, i); err != nil {
			return false, internal(err, "incident %s: member %s", inc.ID, m.Key())
		}
	}
	if !exists || from > 0 {
		return true, nil
	}
	// A member no longer listed (split off) leaves the incident.
	var n int
	if err := st.count.QueryRowContext(ctx, inc.ID).Scan(&n); err != nil {
		return false, internal(err, "incident %s: members", inc.ID)
	}
	if n > len(inc.Members) {
		listed := make(map[string]bool, len(inc.Members))
		for i := range inc.Members {
			listed[inc.Members[i].Key()] = true
		}
		rows, err := tx.QueryContext(ctx, `SELECT source, id FROM incident_members WHERE incident = ?`, inc.ID)
		if err != nil {
			return false, internal(err, "incident %s: members", inc.ID)
		}
		var stale [][2]string
		for rows.Next() {
			var s, id string
			if err := rows.Scan(&s, &id); err != nil {
				rows.Close()
				return false, internal(err, "incident %s: members", inc.ID)
			}
			if !listed[s+"/"+id] {
				stale = append(stale, [2]string{s, id})
			}
		}
		rows.Close()
		for _, k := range stale {
			if _, err := tx.ExecContext(ctx, `DELETE FROM incident_members WHERE source = ? AND id = ?`, k[0], k[1]); err != nil {
				return false, internal(err, "incident %s: members", inc.ID)
			}
		}
	}
	return true, nil
}

// PutIncidents stores incidents as fusion now has them; see truce.IncidentStore.
func (db *DB) PutIncidents(ctx context.Context, incidents []truce.Incident, fusedThrough int64) error {
	for i := range incidents {
		if err := checkIncident(&incidents[i]); err != nil {
			return err
		}
	}
	now := db.now().UnixNano()
	return db.Update(ctx, func(tx *sql.Tx) error {
		if len(incidents) > 0 {
			st, err := prepareIncidentStmts(ctx, tx)
			if err != nil {
				return err
			}
			defer st.close()
			for i := range incidents {
				changed, err := db.putIncident(ctx, tx, st, &incidents[i], now)
				if err != nil {
					return err
				}
				if changed {
					if err := db.syncOpenIncidents(ctx, tx, st, now, incidents[i].ID); err != nil {
						return err
					}
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO fusion_state (name, value) VALUES ('fused_through', ?)
			ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)`, fusedThrough); err != nil {
			return internal(err, "fused through")
		}
		return nil
	})
}

// FusedThrough is where fusion has read the events up to; see truce.IncidentStore.
func (db *DB) FusedThrough(ctx context.Context) (int64, error) {
	var seq int64
	err := db.read.QueryRowContext(ctx, `SELECT value FROM fusion_state WHERE name = 'fused_through'`).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, internal(err, "fused through")
	}
	return seq, nil
}

const incidentColumns = `pos, id, version, updated, open, body`

// queryer is a *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanIncident(row interface{ Scan(...any) error }) (int64, truce.Incident, error) {
	var (
		inc      truce.Incident
		pos, upd int64
		id       string
		version  int64
		isOpen   bool
		body     []byte
	)
	if err := row.Scan(&pos, &id, &version, &upd, &isOpen, &body); err != nil {
		return 0, inc, err
	}
	if err := json.Unmarshal(body, &inc); err != nil {
		return 0, inc, fmt.Errorf("incident %s: body: %w", id, err)
	}
	inc.ID, inc.Version, inc.Updated, inc.Open = id, version, time.Unix(0, upd).UTC(), isOpen
	return pos, inc, nil
}

// fillMembers reads the members of inc, with where each report was made and its findings, and
// the findings of the incident's own report of located fire.
func fillMembers(ctx context.Context, q queryer, inc *truce.Incident) error {
	rows, err := q.QueryContext(ctx, `SELECT m.source, m.id, COALESCE(o.kind, ''), COALESCE(o.time, 0), COALESCE(o.lat, 0),
			COALESCE(o.lon, 0), COALESCE(o.ce_m, 0),
			(SELECT json_group_array(json_array(f.id, f.review)) FROM (SELECT id, review FROM findings WHERE seq = o.seq ORDER BY pos) f)
		FROM incident_members m LEFT JOIN observations o ON o.source = m.source AND o.id = m.id
		WHERE m.incident = ? ORDER BY m.pos`, inc.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	inc.Members = inc.Members[:0]
	inc.Findings, inc.Verified = nil, nil
	for rows.Next() {
		var m truce.IncidentMember
		var t int64
		var findings []byte
		if err := rows.Scan(&m.Source, &m.ID, &m.Kind, &t, &m.Lat, &m.Lon, &m.CEm, &findings); err != nil {
			return err
		}
		m.Time = time.Unix(0, t).UTC()
		var pairs [][2]string
		if len(findings) > 0 {
			if err := json.Unmarshal(findings, &pairs); err != nil {
				return err
			}
		}
		for _, p := range pairs {
			m.Findings = append(m.Findings, p[0])
			if p[1] == truce.ReviewVerified {
				inc.Verified = append(inc.Verified, p[0])
			}
		}
		inc.Findings = append(inc.Findings, m.Findings...)
		inc.Members = append(inc.Members, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	own, err := q.QueryContext(ctx, `SELECT f.id, f.review FROM observations o JOIN findings f ON f.seq = o.seq
		WHERE o.source = ? AND o.id = ? ORDER BY f.pos`, fusionSource, inc.ID)
	if err != nil {
		return err
	}
	defer own.Close()
	for own.Next() {
		var id, review string
		if err := own.Scan(&id, &review); err != nil {
			return err
		}
		inc.Findings = append(inc.Findings, id)
		if review == truce.ReviewVerified {
			inc.Verified = append(inc.Verified, id)
		}
	}
	return own.Err()
}

// verifiedIncident is the condition that an incident (the row of incidents in the query) has a
// verified finding, of a member or of its own report.
const verifiedIncident = `(EXISTS (SELECT 1 FROM incident_members m JOIN observations o ON o.source = m.source AND o.id = m.id
		JOIN findings f ON f.seq = o.seq WHERE m.incident = incidents.id AND f.review = 'verified')
	OR EXISTS (SELECT 1 FROM observations o JOIN findings f ON f.seq = o.seq
		WHERE o.source = '` + fusionSource + `' AND o.id = incidents.id AND f.review = 'verified'))`

// Incidents lists incidents in the order they were first stored; see truce.IncidentStore.
func (db *DB) Incidents(ctx context.Context, f truce.IncidentFilter) ([]truce.Incident, string, error) {
	after, err := decodeCursor(incidentCursor, f.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("pos > ?", after)
	if !f.From.IsZero() {
		w.add("end_time >= ?", clampNanos(f.From))
	}
	if !f.To.IsZero() {
		w.add("start_time < ?", clampNanos(f.To))
	}
	if err := w.bbox(f.BBox); err != nil {
		return nil, "", err
	}
	w.kind(f.Kind)
	w.equal("party", f.Party)
	switch f.Attribution {
	case "":
	case truce.AttributedToParty:
		w.add("party NOT IN ('', ?)", truce.PartyUndetermined)
	case truce.AttributedUnknown:
		w.add("party = ?", truce.PartyUndetermined)
	case truce.AttributedNone:
		w.add("party = ''")
	default:
		return nil, "", truce.Errorf(truce.EINVALID, "attribution: %q is not attributed, undetermined or none", f.Attribution)
	}
	if f.Open {
		w.add("open = 1")
	}
	if f.Verified {
		w.add(verifiedIncident)
	}
	limit := pageLimit(f.Limit)
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, "", internal(err, "incidents")
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+incidentColumns+` FROM incidents`+w.String()+` ORDER BY pos LIMIT ?`,
		append(w.args, limit+1)...)
	if err != nil {
		return nil, "", internal(err, "incidents")
	}
	var (
		out  []truce.Incident
		last int64
		next string
	)
	for rows.Next() {
		if len(out) == limit {
			next = encodeCursor(incidentCursor, last)
			break
		}
		pos, inc, err := scanIncident(rows)
		if err != nil {
			rows.Close()
			return nil, "", internal(err, "incidents")
		}
		out = append(out, inc)
		last = pos
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", internal(err, "incidents")
	}
	for i := range out {
		if err := fillMembers(ctx, tx, &out[i]); err != nil {
			return nil, "", internal(err, "incident %s: members", out[i].ID)
		}
	}
	return out, next, nil
}

// Incident returns one incident; see truce.IncidentStore.
func (db *DB) Incident(ctx context.Context, id string) (*truce.Incident, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, internal(err, "incident %s", id)
	}
	defer tx.Rollback()
	return db.incident(ctx, tx, id)
}

func (db *DB) incident(ctx context.Context, q queryer, id string) (*truce.Incident, error) {
	_, inc, err := scanIncident(q.QueryRowContext(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		var into string
		err := q.QueryRowContext(ctx, `SELECT a.result FROM incident_actions a, json_each(a.incidents) j
			WHERE a.action = ? AND j.value = ? AND a.result != ? ORDER BY a.pos DESC LIMIT 1`, truce.IncidentMerge, id, id).Scan(&into)
		if err == nil {
			return nil, truce.Errorf(truce.ENOTFOUND, "incident %q was merged into %q", id, into)
		}
		return nil, truce.Errorf(truce.ENOTFOUND, "no incident %q", id)
	}
	if err != nil {
		return nil, internal(err, "incident %s", id)
	}
	if err := fillMembers(ctx, q, &inc); err != nil {
		return nil, internal(err, "incident %s: members", id)
	}
	return &inc, nil
}

// IncidentReports returns an incident's members as stored events; see truce.IncidentStore.
func (db *DB) IncidentReports(ctx context.Context, id string) ([]truce.Event, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, internal(err, "incident %s reports", id)
	}
	defer tx.Rollback()
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM incidents WHERE id = ?`, id).Scan(&exists); errors.Is(err, sql.ErrNoRows) {
		return nil, truce.Errorf(truce.ENOTFOUND, "no incident %q", id)
	} else if err != nil {
		return nil, internal(err, "incident %s reports", id)
	}
	cols := strings.ReplaceAll(observationColumns, ", ", ", o.")
	rows, err := tx.QueryContext(ctx, `SELECT o.`+cols+` FROM incident_members m
		JOIN observations o ON o.source = m.source AND o.id = m.id WHERE m.incident = ? ORDER BY m.pos`, id)
	if err != nil {
		return nil, internal(err, "incident %s reports", id)
	}
	var out []truce.Event
	for rows.Next() {
		seq, o, err := scanObservation(rows)
		if err != nil {
			rows.Close()
			return nil, internal(err, "incident %s reports", id)
		}
		out = append(out, truce.Event{Seq: seq, Observation: &o})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal(err, "incident %s reports", id)
	}
	for i := range out {
		frows, err := tx.QueryContext(ctx, `SELECT `+findingColumns+` FROM findings WHERE seq = ? ORDER BY pos`, out[i].Seq)
		if err != nil {
			return nil, internal(err, "incident %s reports", id)
		}
		for frows.Next() {
			_, _, f, err := scanFinding(frows)
			if err != nil {
				frows.Close()
				return nil, internal(err, "incident %s reports", id)
			}
			out[i].Findings = append(out[i].Findings, f)
		}
		frows.Close()
		if err := frows.Err(); err != nil {
			return nil, internal(err, "incident %s reports", id)
		}
	}
	return out, nil
}

// memberKeys reads the member keys of a stored incident, in order. Errors: ENOTFOUND.
func memberKeys(ctx context.Context, tx *sql.Tx, id string) ([]string, error) {
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM incidents WHERE id = ?`, id).Scan(&exists); errors.Is(err, sql.ErrNoRows) {
		return nil, truce.Errorf(truce.ENOTFOUND, "no incident %q", id)
	} else if err != nil {
		return nil, internal(err, "incident %s", id)
	}
	rows, err := tx.QueryContext(ctx, `SELECT source, id FROM incident_members WHERE incident = ? ORDER BY pos`, id)
	if err != nil {
		return nil, internal(err, "incident %s: members", id)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var s, mid string
		if err := rows.Scan(&s, &mid); err != nil {
			return nil, internal(err, "incident %s: members", id)
		}
		keys = append(keys, s+"/"+mid)
	}
	return keys, rows.Err()
}

func keysOf(inc *truce.Incident) []string {
	keys := make([]string, len(inc.Members))
	for i := range inc.Members {
		keys[i] = inc.Members[i].Key()
	}
	return keys
}

// sameSet reports whether a and b hold the same strings, each once.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b) && len(slices.Compact(a)) == len(b)
}

// recordAction keeps an analyst's action in the history and hands it to the hook, in tx.
func (db *DB) recordAction(ctx context.Context, tx *sql.Tx, a truce.IncidentAction) error {
	incidents, _ := json.Marshal(a.Incidents)
	members := []byte("[]")
	if len(a.Members) > 0 {
		members, _ = json.Marshal(a.Members)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO incident_actions (time, actor, action, incidents, result, members, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, a.Time.UnixNano(), a.Actor, a.Action, incidents, a.Result, members, a.Reason); err != nil {
		return internal(err, "%s %s: history", a.Action, a.Result)
	}
	db.hookMu.RLock()
	hook := db.incidentHook
	db.hookMu.RUnlock()
	if hook != nil {
		if err := hook(ctx, tx, a); err != nil {
			return internal(err, "%s %s: hook", a.Action, a.Result)
		}
	}
	return nil
}

func checkDecision(actor, reason, what string) error {
	switch {
	case actor == "":
		return truce.Errorf(truce.EINVALID, "to %s incidents needs the analyst who does it", what)
	case strings.TrimSpace(reason) == "":
		return truce.Errorf(truce.EINVALID, "reason: required to %s incidents", what)
	}
	return nil
}

// MergeIncidents records an analyst's merge; see truce.IncidentStore.
func (db *DB) MergeIncidents(ctx context.Context, ids []string, merged truce.Incident, actor, reason string) (*truce.Incident, error) {
	if err := checkDecision(actor, reason, truce.IncidentMerge); err != nil {
		return nil, err
	}
	distinct := slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(distinct) < 2 {
		return nil, truce.Errorf(truce.EINVALID, "ids: a merge needs at least two different incidents")
	}
	if !slices.Contains(distinct, merged.ID) {
		return nil, truce.Errorf(truce.EINVALID, "the merged incident %q is not one of those merged", merged.ID)
	}
	if err := checkIncident(&merged); err != nil {
		return nil, err
	}
	var out *truce.Incident
	err := db.Update(ctx, func(tx *sql.Tx) error {
		var all []string
		for _, id := range distinct {
			keys, err := memberKeys(ctx, tx, id)
			if err != nil {
				return err
			}
			all = append(all, keys...)
		}
		if !sameSet(all, keysOf(&merged)) {
			return truce.Errorf(truce.EINVALID, "the merged incident's members are not those of the incidents merged")
		}
		for _, id := range distinct {
			if id == merged.ID {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM incidents WHERE id = ?`, id); err != nil {
				return internal(err, "merge: remove %s", id)
			}
		}
		merged.Fixed = true
		now := db.now().UTC()
		st, err := prepareIncidentStmts(ctx, tx)
		if err != nil {
			return err
		}
		defer st.close()
		if _, err := db.putIncident(ctx, tx, st, &merged, now.UnixNano()); err != nil {
			return err
		}
		// The feed tells of the merged incident first, then of those merged into it.
		gone := slices.DeleteFunc(slices.Clone(distinct), func(id string) bool { return id == merged.ID })
		if err := db.syncOpenIncidents(ctx, tx, st, now.UnixNano(), append([]string{merged.ID}, gone...)...); err != nil {
			return err
		}
		a := truce.IncidentAction{Time: now, Actor: actor, Action: truce.IncidentMerge, Incidents: distinct, Result: merged.ID, Reason: reason}
		if err := db.recordAction(ctx, tx, a); err != nil {
			return err
		}
		out, err = db.incident(ctx, tx, merged.ID)
		return err
	})
	return out, err
}

// SplitIncident records an analyst's split; see truce.IncidentStore.
func (db *DB) SplitIncident(ctx context.Context, id string, members []string, rest, split truce.Incident, actor, reason string) (*truce.Incident, error) {
	if err := checkDecision(actor, reason, truce.IncidentSplit); err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, truce.Errorf(truce.EINVALID, "members: name at least one report to split off incident %q", id)
	}
	if rest.ID != id {
		return nil, truce.Errorf(truce.EINVALID, "what remains of incident %q must keep its id, not %q", id, rest.ID)
	}
	if split.ID == "" || split.ID == id {
		return nil, truce.Errorf(truce.EINVALID, "the incident split off needs an id of its own")
	}
	var out *truce.Incident
	err := db.Update(ctx, func(tx *sql.Tx) error {
		keys, err := memberKeys(ctx, tx, id)
		if err != nil {
			return err
		}
		named := slices.Compact(slices.Sorted(slices.Values(members)))
		for _, k := range named {
			if !slices.Contains(keys, k) {
				return truce.Errorf(truce.EINVALID, "members: %q is not a member of incident %q", k, id)
			}
		}
		if len(named) == len(keys) {
			return truce.Errorf(truce.EINVALID, "members: every member of incident %q named; nothing would remain", id)
		}
		if !sameSet(keysOf(&split), named) || !sameSet(append(keysOf(&rest), named...), keys) {
			return truce.Errorf(truce.EINVALID, "the incidents of the split do not hold the members of incident %q as named", id)
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE id = ?`, split.ID).Scan(&taken); err != nil {
			return internal(err, "split %s", id)
		}
		if taken > 0 {
			return truce.Errorf(truce.ECONFLICT, "incident %q already exists", split.ID)
		}
		rest.Fixed, split.Fixed = true, true
		now := db.now().UTC()
		st, err := prepareIncidentStmts(ctx, tx)
		if err != nil {
			return err
		}
		defer st.close()
		if _, err := db.putIncident(ctx, tx, st, &rest, now.UnixNano()); err != nil {
			return err
		}
		if _, err := db.putIncident(ctx, tx, st, &split, now.UnixNano()); err != nil {
			return err
		}
		if err := db.syncOpenIncidents(ctx, tx, st, now.UnixNano(), id, split.ID); err != nil {
			return err
		}
		a := truce.IncidentAction{Time: now, Actor: actor, Action: truce.IncidentSplit, Incidents: []string{id}, Result: split.ID,
			Members: named, Reason: reason}
		if err := db.recordAction(ctx, tx, a); err != nil {
			return err
		}
		out, err = db.incident(ctx, tx, split.ID)
		return err
	})
	return out, err
}

// IncidentHistory lists the merges and splits that involved an incident, oldest first; see
// truce.IncidentStore.
func (db *DB) IncidentHistory(ctx context.Context, id string) ([]truce.IncidentAction, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT time, actor, action, incidents, result, members, reason FROM incident_actions a
		WHERE a.result = ? OR EXISTS (SELECT 1 FROM json_each(a.incidents) j WHERE j.value = ?) ORDER BY pos`, id, id)
	if err != nil {
		return nil, internal(err, "history of incident %s", id)
	}
	defer rows.Close()
	out := []truce.IncidentAction{}
	for rows.Next() {
		var a truce.IncidentAction
		var t int64
		var incidents, members []byte
		if err := rows.Scan(&t, &a.Actor, &a.Action, &incidents, &a.Result, &members, &a.Reason); err != nil {
			return nil, internal(err, "history of incident %s", id)
		}
		a.Time = time.Unix(0, t).UTC()
		if err := json.Unmarshal(incidents, &a.Incidents); err != nil {
			return nil, internal(err, "history of incident %s", id)
		}
		if err := json.Unmarshal(members, &a.Members); err != nil {
			return nil, internal(err, "history of incident %s", id)
		}
		if len(a.Members) == 0 {
			a.Members = nil
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "history of incident %s", id)
	}
	if len(out) == 0 {
		if _, err := db.Incident(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}
