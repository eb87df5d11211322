package sqlite

import (
	"context"
	"testing"

	"github.com/truce-project/truce"
)

// TestReviewKeepsStateAndHistory takes a stored finding through review: two analysts verify
// it (one of them twice, refused), it is reopened and dismissed; every action is in the
// history and the state survives reopening the file.
func TestReviewKeepsStateAndHistory(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	o := observation(1)
	f := finding(o, 0)
	if _, _, err := db.Ingest(ctx, []truce.Judged{{Observation: o, Findings: []truce.Finding{f}}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Finding(ctx, f.ID)
	if err != nil || got.Review != truce.ReviewDetected {
		t.Fatalf("a new finding: %+v, %v", got, err)
	}
	steps := []struct {
		action, actor, reason string
		want                  string // state, or error code
	}{
		{truce.ActionReview, "a1", "", truce.ReviewUnderReview},
		{truce.ActionVerify, "a1", "on the patrol's video", truce.ReviewUnderReview},
		{truce.ActionVerify, "a1", "again", truce.ECONFLICT},
		{truce.ActionVerify, "a2", "agree", truce.ReviewVerified},
		{truce.ActionDismiss, "a3", "changed my mind", truce.ECONFLICT},
		{truce.ActionReopen, "a3", "the party produced a photo", truce.ReviewUnderReview},
		{truce.ActionVerify, "a1", "still sure", truce.ReviewUnderReview}, // approvals start afresh
		{truce.ActionDismiss, "a3", "the photo shows a tractor", truce.ReviewDismissed},
	}
	for i, s := range steps {
		got, err := db.Review(ctx, f.ID, s.action, s.actor, s.reason, 2)
		switch {
		case err != nil && truce.ErrorCode(err) != s.want:
			t.Fatalf("step %d (%s by %s): %v, want %s", i, s.action, s.actor, err, s.want)
		case err == nil && got.Review != s.want:
			t.Fatalf("step %d (%s by %s): %s, want %s", i, s.action, s.actor, got.Review, s.want)
		}
	}
	if _, err := db.Review(ctx, "no-such-finding", truce.ActionReview, "a1", "", 2); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("reviewing a finding that does not exist: %v", err)
	}
	history, err := db.ReviewHistory(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 6 { // the two refused actions left no trace
		t.Fatalf("history of %d entries: %+v", len(history), history)
	}
	last := history[5]
	if last.Action != truce.ActionDismiss || last.From != truce.ReviewUnderReview || last.To != truce.ReviewDismissed || last.Actor != "a3" || last.Reason != "the photo shows a tractor" || last.Time.IsZero() {
		t.Errorf("last entry %+v", last)
	}
	verified, _, err := db.Findings(ctx, truce.FindingFilter{Review: truce.ReviewDismissed})
	if err != nil || len(verified) != 1 {
		t.Errorf("filter by review: %v, %v", verified, err)
	}
	path := db.Path()
	db.Close()
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got, _ := again.Finding(ctx, f.ID); got.Review != truce.ReviewDismissed {
		t.Errorf("after reopening the file: %s", got.Review)
	}
}
