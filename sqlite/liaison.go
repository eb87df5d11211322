package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/truce-project/truce"
)

// ResponseHook runs inside the transaction of each step of the liaison channel (a party's
// response, the mission's answer) with the entry it adds to the response's history: how the
// mission's log records each in the same transaction that makes it.
type ResponseHook func(ctx context.Context, tx *sql.Tx, entry truce.ResponseEntry) error

// SetResponseHook installs h (nil removes it) for the responses and answers that begin after
// it returns.
func (db *DB) SetResponseHook(h ResponseHook) {
	db.hookMu.Lock()
	db.responseHook = h
	db.hookMu.Unlock()
}

const responseColumns = `id, finding, party, actor, action, statement, time, state, deadline, answer, answered_by, answered_at`

func scanResponse(row interface{ Scan(...any) error }) (truce.Response, error) {
	var r truce.Response
	var t int64
	var deadline, answeredAt sql.NullInt64
	err := row.Scan(&r.ID, &r.Finding, &r.Party, &r.Actor, &r.Action, &r.Statement, &t, &r.State, &deadline, &r.Answer, &r.AnsweredBy, &answeredAt)
	r.Time = time.Unix(0, t).UTC()
	if deadline.Valid {
		d := time.Unix(0, deadline.Int64).UTC()
		r.Deadline = &d
	}
	if answeredAt.Valid {
		a := time.Unix(0, answeredAt.Int64).UTC()
		r.AnsweredAt = &a
	}
	return r, err
}

// responseWords name a response in a notice's sentence.
var responseWords = map[string]string{
	truce.ResponseAcknowledge: "acknowledgement",
	truce.ResponseContest:     "contest",
	truce.ResponseInspection:  "inspection request",
}

// Respond records a liaison's response in one transaction; see truce.LiaisonStore.
func (db *DB) Respond(ctx context.Context, findingID, party, actor, action, statement string, deadline time.Time) (*truce.Response, error) {
	var out *truce.Response
	err := db.Update(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `SELECT `+findingColumns+` FROM findings WHERE id = ?`, findingID)
		_, _, f, err := scanFinding(row)
		if errors.Is(err, sql.ErrNoRows) {
			return truce.Errorf(truce.ENOTFOUND, "no finding %q", findingID)
		}
		if err != nil {
			return internal(err, "respond to %s", findingID)
		}
		state, err := truce.NewResponse(&f, party, action, statement)
		if err != nil {
			return err
		}
		r := truce.Response{ID: newResponseID(), Finding: findingID, Party: party, Actor: actor, Action: action,
			Statement: statement, Time: db.now().UTC(), State: state}
		var dl any
		if action == truce.ResponseInspection {
			d := deadline.UTC()
			if d.IsZero() {
				return truce.Errorf(truce.EINVALID, "deadline: required for an inspection request")
			}
			r.Deadline, dl = &d, d.UnixNano()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO responses (id, finding, party, actor, action, statement, time, state, deadline)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, findingID, party, actor, action, statement, r.Time.UnixNano(), state, dl); err != nil {
			return internal(err, "respond to %s", findingID)
		}
		entry := truce.ResponseEntry{Response: r.ID, Finding: findingID, Party: party, Time: r.Time, Actor: actor,
			Role: truce.RoleLiaison, Action: action, To: state, Text: statement, Deadline: r.Deadline}
		if err := db.addResponseEntry(ctx, tx, entry); err != nil {
			return err
		}
		text := fmt.Sprintf("A liaison of %s %s finding %s", party, map[string]string{
			truce.ResponseAcknowledge: "acknowledged", truce.ResponseContest: "contested",
			truce.ResponseInspection: "requested an inspection of"}[action], findingID)
		if statement != "" {
			text += ": " + statement
		}
		if r.Deadline != nil {
			text += " (answer due by " + r.Deadline.Format(time.RFC3339) + ")"
		}
		if err := db.responseNotice(ctx, tx, truce.NoticeResponse, &f, &r, r.Time, text); err != nil {
			return err
		}
		out = &r
		return nil
	})
	return out, err
}

// AnswerRequest applies the mission's action to a response in one transaction; see
// truce.LiaisonStore.
func (db *DB) AnswerRequest(ctx context.Context, responseID, action, actor, reason string) (*truce.Response, error) {
	var out *truce.Response
	err := db.Update(ctx, func(tx *sql.Tx) error {
		r, err := scanResponse(tx.QueryRowContext(ctx, `SELECT `+responseColumns+` FROM responses WHERE id = ?`, responseID))
		if errors.Is(err, sql.ErrNoRows) {
			return truce.Errorf(truce.ENOTFOUND, "no request %q", responseID)
		}
		if err != nil {
			return internal(err, "answer %s", responseID)
		}
		next, err := truce.NextRequest(r.State, action, actor, reason)
		if err != nil {
			return err
		}
		now := db.now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE responses SET state = ?, answer = ?, answered_by = ?, answered_at = ? WHERE id = ?`,
			next, reason, actor, now.UnixNano(), responseID); err != nil {
			return internal(err, "answer %s", responseID)
		}
		entry := truce.ResponseEntry{Response: responseID, Finding: r.Finding, Party: r.Party, Time: now, Actor: actor,
			Role: truce.RoleAnalyst, Action: action, From: r.State, To: next, Text: reason}
		if err := db.addResponseEntry(ctx, tx, entry); err != nil {
			return err
		}
		row := tx.QueryRowContext(ctx, `SELECT `+findingColumns+` FROM findings WHERE id = ?`, r.Finding)
		_, _, f, err := scanFinding(row)
		if err != nil {
			return internal(err, "answer %s: finding", responseID)
		}
		r.State, r.Answer, r.AnsweredBy, r.AnsweredAt = next, reason, actor, &now
		verb := "answered"
		if action == truce.RequestClose {
			verb = "closed"
		}
		text := fmt.Sprintf("The mission %s the %s of %s on finding %s: %s", verb, responseWords[r.Action], r.Party, r.Finding, reason)
		if err := db.responseNotice(ctx, tx, truce.NoticeRequestAnswered, &f, &r, now, text); err != nil {
			return err
		}
		out = &r
		return nil
	})
	return out, err
}

// addResponseEntry keeps a step of a response's history and hands it to the hook.
func (db *DB) addResponseEntry(ctx context.Context, tx *sql.Tx, e truce.ResponseEntry) error {
	var dl any
	if e.Deadline != nil {
		dl = e.Deadline.UnixNano()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO response_history (response, time, actor, role, action, from_state, to_state, text, deadline)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Response, e.Time.UnixNano(), e.Actor, string(e.Role), e.Action, e.From, e.To, e.Text, dl); err != nil {
		return internal(err, "response %s: history", e.Response)
	}
	db.hookMu.RLock()
	hook := db.responseHook
	db.hookMu.RUnlock()
	if hook != nil {
		if err := hook(ctx, tx, e); err != nil {
			return internal(err, "response %s: hook", e.Response)
		}
	}
	return nil
}

// responseNotice makes the notice, for the response's party only, of a step of the channel.
func (db *DB) responseNotice(ctx context.Context, tx *sql.Tx, kind string, f *truce.Finding, r *truce.Response, at time.Time, text string) error {
	f.Source = ""
	n := truce.Notice{ID: truce.NoticeID(kind, r.ID, at), Kind: kind, Time: at.UTC(), Party: r.Party, FindingID: f.ID,
		Finding: f, Request: r.ID, Text: text}
	return insertNotice(ctx, tx, &n)
}

// Response returns one response; see truce.LiaisonStore.
func (db *DB) Response(ctx context.Context, id string) (*truce.Response, error) {
	r, err := scanResponse(db.read.QueryRowContext(ctx, `SELECT `+responseColumns+` FROM responses WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, truce.Errorf(truce.ENOTFOUND, "no request %q", id)
	}
	if err != nil {
		return nil, internal(err, "response %s", id)
	}
	return &r, nil
}

// Responses lists responses newest first; see truce.LiaisonStore. A limit of 0 or less means
// 100, and at most 1000 are returned.
func (db *DB) Responses(ctx context.Context, f truce.ResponseFilter, now time.Time) ([]truce.Response, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"finding", f.Finding}, {"party", f.Party}, {"action", f.Action}, {"state", f.State}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if !f.OverdueAt.IsZero() {
		where = append(where, "state = ? AND deadline IS NOT NULL AND deadline < ?")
		args = append(args, truce.RequestOpen, f.OverdueAt.UnixNano())
	}
	q := `SELECT ` + responseColumns + ` FROM responses`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY pos DESC LIMIT ?`, append(args, min(limit, 1000))...)
	if err != nil {
		return nil, internal(err, "responses")
	}
	defer rows.Close()
	out := []truce.Response{}
	for rows.Next() {
		r, err := scanResponse(rows)
		if err != nil {
			return nil, internal(err, "responses")
		}
		r.Overdue = r.OverdueAt(now)
		out = append(out, r)
	}
	return out, internal(rows.Err(), "responses")
}

// ResponseHistory lists a response's entries, oldest first; see truce.LiaisonStore.
func (db *DB) ResponseHistory(ctx context.Context, id string) ([]truce.ResponseEntry, error) {
	r, err := db.Response(ctx, id)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT time, actor, role, action, from_state, to_state, text, deadline
		FROM response_history WHERE response = ? ORDER BY pos`, id)
	if err != nil {
		return nil, internal(err, "history of %s", id)
	}
	defer rows.Close()
	out := []truce.ResponseEntry{}
	for rows.Next() {
		e := truce.ResponseEntry{Response: id, Finding: r.Finding, Party: r.Party}
		var t int64
		var dl sql.NullInt64
		var role string
		if err := rows.Scan(&t, &e.Actor, &role, &e.Action, &e.From, &e.To, &e.Text, &dl); err != nil {
			return nil, internal(err, "history of %s", id)
		}
		e.Time, e.Role = time.Unix(0, t).UTC(), truce.Role(role)
		if dl.Valid {
			d := time.Unix(0, dl.Int64).UTC()
			e.Deadline = &d
		}
		out = append(out, e)
	}
	return out, internal(rows.Err(), "history of %s", id)
}

// MarkOverdue makes the overdue notices of requests open past their deadline at now; see
// truce.LiaisonStore.
func (db *DB) MarkOverdue(ctx context.Context, now time.Time) (int, error) {
	made := 0
	err := db.Update(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+responseColumns+` FROM responses
			WHERE state = ? AND deadline IS NOT NULL AND deadline < ? AND overdue_noticed = 0 ORDER BY deadline`,
			truce.RequestOpen, now.UnixNano())
		if err != nil {
			return internal(err, "overdue requests")
		}
		var due []truce.Response
		for rows.Next() {
			r, err := scanResponse(rows)
			if err != nil {
				rows.Close()
				return internal(err, "overdue requests")
			}
			due = append(due, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return internal(err, "overdue requests")
		}
		for i := range due {
			r := &due[i]
			_, _, f, err := scanFinding(tx.QueryRowContext(ctx, `SELECT `+findingColumns+` FROM findings WHERE id = ?`, r.Finding))
			if err != nil {
				return internal(err, "overdue request %s: finding", r.ID)
			}
			r.Overdue = true
			text := fmt.Sprintf("The %s of %s on finding %s was due by %s and is not answered", responseWords[r.Action], r.Party, r.Finding, r.Deadline.Format(time.RFC3339))
			if err := db.responseNotice(ctx, tx, truce.NoticeRequestOverdue, &f, r, *r.Deadline, text); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE responses SET overdue_noticed = 1 WHERE id = ?`, r.ID); err != nil {
				return internal(err, "overdue request %s", r.ID)
			}
		}
		made = len(due)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return made, nil
}

func newResponseID() string {
	var b [10]byte
	rand.Read(b[:])
	return "req-" + hex.EncodeToString(b[:])
}
