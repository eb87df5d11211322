package truce

import (
	"testing"
	"time"
)

// TestEveryLiaisonResponse walks a liaison's responses against findings in every review
// state, of its own party and of the other, with and without statements.
func TestEveryLiaisonResponse(t *testing.T) {
	f := func(party, review string) *Finding { return &Finding{ID: "f1", Party: party, Review: review} }
	cases := []struct {
		name      string
		finding   *Finding
		party     string
		action    string
		statement string
		want      string // the state the response starts in, or the error code
	}{
		{"acknowledge a verified finding", f("east", ReviewVerified), "east", ResponseAcknowledge, "", ResponseRecorded},
		{"acknowledge with a statement", f("east", ReviewVerified), "east", ResponseAcknowledge, "noted", ResponseRecorded},
		{"contest with a statement", f("east", ReviewVerified), "east", ResponseContest, "our vehicle was in depot", RequestOpen},
		{"contest without a statement", f("east", ReviewVerified), "east", ResponseContest, "", EINVALID},
		{"request an inspection", f("east", ReviewVerified), "east", ResponseInspection, "inspect the depot", RequestOpen},
		{"request an inspection without a statement", f("east", ReviewVerified), "east", ResponseInspection, "", EINVALID},
		{"unknown action", f("east", ReviewVerified), "east", "deny", "no", EINVALID},
		{"a finding of the other party", f("west", ReviewVerified), "east", ResponseAcknowledge, "", ENOTFOUND},
		{"contest a finding of the other party", f("west", ReviewVerified), "east", ResponseContest, "theirs", ENOTFOUND},
		{"a finding of undetermined party", f(PartyUndetermined, ReviewVerified), "east", ResponseAcknowledge, "", ENOTFOUND},
		{"a detected finding", f("east", ReviewDetected), "east", ResponseAcknowledge, "", ECONFLICT},
		{"a finding with no review state yet", f("east", ""), "east", ResponseContest, "x", ECONFLICT},
		{"a finding under review", f("east", ReviewUnderReview), "east", ResponseContest, "not us", ECONFLICT},
		{"a dismissed finding", f("east", ReviewDismissed), "east", ResponseInspection, "inspect", ECONFLICT},
		{"no party", f("east", ReviewVerified), "", ResponseAcknowledge, "", EINVALID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NewResponse(c.finding, c.party, c.action, c.statement)
			if err != nil {
				if ErrorCode(err) != c.want {
					t.Errorf("error %v (%s), want %s", err, ErrorCode(err), c.want)
				}
				return
			}
			if got != c.want {
				t.Errorf("state %q, want %q", got, c.want)
			}
		})
	}
}

// TestEveryRequestTransition walks every response state with every action of the mission.
func TestEveryRequestTransition(t *testing.T) {
	cases := []struct {
		name          string
		state, action string
		actor, reason string
		want          string // next state, or the error code
	}{
		{"answer an open request", RequestOpen, RequestAnswer, "a1", "inspected on 3 May", RequestAnswered},
		{"close an open request", RequestOpen, RequestClose, "a1", "withdrawn by the party", RequestClosed},
		{"close an answered request", RequestAnswered, RequestClose, "a1", "done", RequestClosed},
		{"answer an answered request again", RequestAnswered, RequestAnswer, "a1", "more", ECONFLICT},
		{"answer after closure", RequestClosed, RequestAnswer, "a1", "late", ECONFLICT},
		{"close after closure", RequestClosed, RequestClose, "a1", "again", ECONFLICT},
		{"answer an acknowledgement", ResponseRecorded, RequestAnswer, "a1", "thanks", ECONFLICT},
		{"close an acknowledgement", ResponseRecorded, RequestClose, "a1", "x", ECONFLICT},
		{"answer without a reason", RequestOpen, RequestAnswer, "a1", "", EINVALID},
		{"close without a reason", RequestOpen, RequestClose, "a1", "", EINVALID},
		{"no analyst", RequestOpen, RequestAnswer, "", "x", EINVALID},
		{"unknown action", RequestOpen, "reject", "a1", "x", EINVALID},
		{"unknown state", "pending", RequestAnswer, "a1", "x", EINVALID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NextRequest(c.state, c.action, c.actor, c.reason)
			if err != nil {
				if ErrorCode(err) != c.want {
					t.Errorf("error %v (%s), want %s", err, ErrorCode(err), c.want)
				}
				return
			}
			if got != c.want {
				t.Errorf("next state %q, want %q", got, c.want)
			}
		})
	}
}

// TestOverdueOnlyWhenOpenPastTheDeadline checks the overdue flag against the clock.
func TestOverdueOnlyWhenOpenPastTheDeadline(t *testing.T) {
	deadline := time.Date(2026, 5, 3, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		state    string
		deadline *time.Time
		now      time.Time
		want     bool
	}{
		{RequestOpen, &deadline, deadline.Add(-time.Minute), false},
		{RequestOpen, &deadline, deadline, false},
		{RequestOpen, &deadline, deadline.Add(time.Second), true},
		{RequestAnswered, &deadline, deadline.Add(time.Hour), false},
		{RequestClosed, &deadline, deadline.Add(time.Hour), false},
		{RequestOpen, nil, deadline.Add(time.Hour), false}, // a contest has no deadline
	}
	for _, c := range cases {
		r := Response{State: c.state, Deadline: c.deadline}
		if got := r.OverdueAt(c.now); got != c.want {
			t.Errorf("%s, deadline %v, at %s: overdue %v, want %v", c.state, c.deadline, c.now, got, c.want)
		}
	}
}
