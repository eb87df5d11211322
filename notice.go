package truce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Notice kinds: what a liaison (or the public) is told.
const (
	// NoticeVerified: a finding concerning the party was verified, and so published.
	NoticeVerified = "finding.verified"
	// NoticeWithdrawn: a verified finding was reopened or dismissed; it is no longer published.
	NoticeWithdrawn = "finding.withdrawn"
	// NoticeResponse: a liaison of the party answered a finding (acknowledged, contested or
	// requested an inspection).
	NoticeResponse = "response.recorded"
	// NoticeRequestAnswered: the mission answered or closed an inspection request of the party.
	NoticeRequestAnswered = "request.answered"
	// NoticeRequestOverdue: an inspection request of the party passed its deadline unanswered.
	NoticeRequestOverdue = "request.overdue"
)

// Notice is one thing a party's liaisons, and for public notices anyone, are to be told. It
// carries the finding as a liaison may see it: never its source.
type Notice struct {
	// ID is unique per notice and the same on every delivery of it, so that a receiver can
	// drop a notice it has already had.
	ID string `json:"id"`
	// Seq numbers the notices in the order the store made them (0 until stored).
	Seq  int64     `json:"seq,omitempty"`
	Kind string    `json:"kind"`
	Time time.Time `json:"time"`
	// Party is the party concerned: its liaisons are told. Empty when the finding attributes
	// no party.
	Party string `json:"party,omitempty"`
	// Public is whether anyone may be told (observers, guarantors' webhooks), not only the
	// party's liaisons: a finding's publication and withdrawal are public, a party's dealings
	// with the mission are not.
	Public bool `json:"public"`
	// FindingID is the finding the notice is about.
	FindingID string `json:"finding_id"`
	// Finding is that finding as it stood when the notice was made, without its source.
	Finding *Finding `json:"finding,omitempty"`
	// Request is the inspection request or response the notice is about, if any.
	Request string `json:"request,omitempty"`
	// Text says it in a sentence a person can read.
	Text string `json:"text"`
}

// Notifier is told of each notice once the change that made it is durable. Notify is called
// in the goroutine of the request that made the change (its context does not end with the
// request), so it must not block: a notifier that delivers over the network queues the
// notice and delivers it on its own goroutine.
type Notifier interface {
	Notify(ctx context.Context, n Notice)
}

// NotifierFunc adapts a function to a Notifier.
type NotifierFunc func(ctx context.Context, n Notice)

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, n Notice) { f(ctx, n) }

// ReviewNotice returns the notice a review decision makes, if any: a finding that becomes
// verified is published (NoticeVerified), and one that stops being verified is withdrawn
// (NoticeWithdrawn). f is the finding after the decision, from its state before, at the time
// the decision was taken.
func ReviewNotice(f Finding, from string, at time.Time) (Notice, bool) {
	var kind, text string
	switch {
	case f.Review == ReviewVerified && from != ReviewVerified:
		kind = NoticeVerified
		text = fmt.Sprintf("Finding %s verified: %s", f.ID, f.Explanation)
	case from == ReviewVerified && f.Review != ReviewVerified:
		kind = NoticeWithdrawn
		text = fmt.Sprintf("Finding %s withdrawn (now %s): %s", f.ID, f.Review, f.Explanation)
	default:
		return Notice{}, false
	}
	f.Source = ""
	party := f.Party
	if party == PartyUndetermined {
		party = ""
	}
	at = at.UTC()
	return Notice{
		ID:        NoticeID(kind, f.ID, at),
		Kind:      kind,
		Time:      at,
		Party:     party,
		Public:    true,
		FindingID: f.ID,
		Finding:   &f,
		Text:      text,
	}, true
}

// NoticeID is the id of the notice of kind about subject made at time at: the same inputs
// always give the same id.
func NoticeID(kind, subject string, at time.Time) string {
	h := sha256.Sum256([]byte(kind + "\x00" + subject + "\x00" + at.UTC().Format(time.RFC3339Nano)))
	return "ntc-" + hex.EncodeToString(h[:12])
}
