package truce

import (
	"context"
	"time"
)

// Responses a party's liaison gives to a verified finding concerning its party.
const (
	// ResponseAcknowledge: the party takes note of the finding. Nothing is left to answer.
	ResponseAcknowledge = "acknowledge"
	// ResponseContest: the party disputes the finding, with a statement, which the mission
	// answers.
	ResponseContest = "contest"
	// ResponseInspection: the party requests an inspection, with a statement; the mission
	// answers by a deadline.
	ResponseInspection = "inspection"
)

// Actions the mission (an analyst) takes on a response that is open.
const (
	// RequestAnswer answers a contest or an inspection request, with the answer as reason.
	RequestAnswer = "answer"
	// RequestClose closes one, answered or not, with a reason.
	RequestClose = "close"
)

// States of a response. An acknowledgement is recorded and done; a contest or an inspection
// request is open until the mission answers or closes it.
const (
	ResponseRecorded = "recorded"
	RequestOpen      = "open"
	RequestAnswered  = "answered"
	RequestClosed    = "closed"
)

// DefaultInspectionDeadline is how long the mission has to answer an inspection request
// unless configured otherwise.
const DefaultInspectionDeadline = 48 * time.Hour

// Response is a liaison's answer to a verified finding concerning its party, and where the
// mission's handling of it stands.
type Response struct {
	ID        string    `json:"id"`
	Finding   string    `json:"finding"`
	Party     string    `json:"party"`
	Actor     string    `json:"actor"` // the token id of the liaison
	Action    string    `json:"action"`
	Statement string    `json:"statement,omitempty"`
	Time      time.Time `json:"time"`
	State     string    `json:"state"`
	// Deadline is when an inspection request must be answered by; zero for other responses.
	Deadline *time.Time `json:"deadline,omitempty"`
	// Overdue is computed when the response is read: an inspection request still open past
	// its deadline.
	Overdue bool `json:"overdue"`
	// Answer is the mission's latest answer or reason for closing, and who gave it when.
	Answer     string     `json:"answer,omitempty"`
	AnsweredBy string     `json:"answered_by,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
}

// OverdueAt reports whether r is an inspection request still open after its deadline at now.
func (r *Response) OverdueAt(now time.Time) bool {
	return r.State == RequestOpen && r.Deadline != nil && now.After(*r.Deadline)
}

// ResponseEntry is one step in a response's history: the liaison's response itself, then each
// of the mission's answers. It is what the mission's log records as a decision.
type ResponseEntry struct {
	Response string    `json:"response"`
	Finding  string    `json:"finding"`
	Party    string    `json:"party"`
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"`
	Role     Role      `json:"role"`
	Action   string    `json:"action"`
	From     string    `json:"from,omitempty"`
	To       string    `json:"to"`
	Text     string    `json:"text,omitempty"` // the statement, the answer or the reason
	// Deadline is an inspection request's deadline, on the entry that opens it.
	Deadline *time.Time `json:"deadline,omitempty"`
}

// NewResponse decides whether the liaison of party may give response action to finding f and,
// if so, the state the response starts in. Errors: ENOTFOUND for a finding of another party
// (a liaison is not told that it exists); ECONFLICT for a finding that is not verified;
// EINVALID for an unknown action, a missing party, or a contest or inspection request without
// a statement.
func NewResponse(f *Finding, party, action, statement string) (string, error) {
	if party == "" {
		return "", Errorf(EINVALID, "a response needs the party whose liaison gives it")
	}
	if f.Party != party {
		return "", Errorf(ENOTFOUND, "no finding %q", f.ID)
	}
	var state string
	switch action {
	case ResponseAcknowledge:
		state = ResponseRecorded
	case ResponseContest, ResponseInspection:
		if statement == "" {
			return "", Errorf(EINVALID, "statement: required to %s", map[string]string{ResponseContest: "contest a finding", ResponseInspection: "request an inspection"}[action])
		}
		state = RequestOpen
	default:
		return "", Errorf(EINVALID, "action: %q is not one of acknowledge, contest, inspection", action)
	}
	if f.Review != ReviewVerified {
		review := f.Review
		if review == "" {
			review = ReviewDetected
		}
		return "", Errorf(ECONFLICT, "finding %s is %s, not verified: a party answers a finding once it is verified", f.ID, review)
	}
	return state, nil
}

// NextRequest decides what the mission's action does to a response in state: the state it
// moves to, or why the action is not allowed. Errors: EINVALID for an unknown action, no
// analyst or no reason; ECONFLICT for an action the state does not allow (an acknowledgement
// has nothing to answer, an answered request is closed rather than answered again, a closed
// one takes nothing more).
func NextRequest(state, action, actor, reason string) (string, error) {
	if actor == "" {
		return "", Errorf(EINVALID, "an answer needs the analyst who gives it")
	}
	if action != RequestAnswer && action != RequestClose {
		return "", Errorf(EINVALID, "action: %q is not one of answer, close", action)
	}
	if reason == "" {
		return "", Errorf(EINVALID, "reason: required to %s a request", action)
	}
	switch state {
	case ResponseRecorded:
		return "", Errorf(ECONFLICT, "an acknowledgement is recorded, not open: there is nothing to %s", action)
	case RequestClosed:
		return "", Errorf(ECONFLICT, "the request is closed: it takes no more answers")
	case RequestAnswered:
		if action == RequestAnswer {
			return "", Errorf(ECONFLICT, "the request is already answered; close it")
		}
		return RequestClosed, nil
	case RequestOpen:
		if action == RequestAnswer {
			return RequestAnswered, nil
		}
		return RequestClosed, nil
	}
	return "", Errorf(EINVALID, "state: %q is not a response state", state)
}

// ResponseFilter selects responses. Zero fields do not filter.
type ResponseFilter struct {
	Finding string
	Party   string
	Action  string // acknowledge, contest or inspection
	State   string
	// OverdueAt, when set, keeps only inspection requests open past their deadline at it.
	OverdueAt time.Time
	Limit     int
}

// LiaisonStore keeps the liaison channel: the parties' responses to findings, the mission's
// answers, and the notices to be delivered.
type LiaisonStore interface {
	// Respond records a liaison's response to a finding as NewResponse decides, with its
	// history entry and the notice it makes, in one transaction; an inspection request is
	// due by deadline. Errors: ENOTFOUND, EINVALID, ECONFLICT (see NewResponse).
	Respond(ctx context.Context, findingID, party, actor, action, statement string, deadline time.Time) (*Response, error)

	// AnswerRequest applies the mission's action to a response as NextRequest decides, with
	// its history entry and the notice it makes, in one transaction. Errors: ENOTFOUND,
	// EINVALID, ECONFLICT.
	AnswerRequest(ctx context.Context, responseID, action, actor, reason string) (*Response, error)

	// Response returns one response. Errors: ENOTFOUND.
	Response(ctx context.Context, id string) (*Response, error)

	// Responses lists responses, newest first, with Overdue computed against now.
	Responses(ctx context.Context, f ResponseFilter, now time.Time) ([]Response, error)

	// ResponseHistory lists a response's entries, oldest first. Errors: ENOTFOUND.
	ResponseHistory(ctx context.Context, id string) ([]ResponseEntry, error)

	// MarkOverdue makes a NoticeRequestOverdue for each inspection request that is open past
	// its deadline at now and has not had one, and returns how many it made.
	MarkOverdue(ctx context.Context, now time.Time) (int, error)

	// Notices lists the notices made, in order, from after the sequence number after, up to
	// limit; next is the sequence number of the last one returned.
	Notices(ctx context.Context, after int64, limit int) (notices []Notice, next int64, err error)

	// LastNotice is the sequence number of the newest notice, 0 when there is none.
	LastNotice(ctx context.Context) (int64, error)
}
