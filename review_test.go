package truce

import "testing"

// TestEveryReviewTransition walks every state with every action, the allowed and the
// forbidden ones.
func TestEveryReviewTransition(t *testing.T) {
	cases := []struct {
		name      string
		state     string
		approvals []string
		action    string
		actor     string
		reason    string
		required  int
		want      string // next state, or the error code
	}{
		{"take a detected finding", ReviewDetected, nil, ActionReview, "a1", "", 2, ReviewUnderReview},
		{"take one already under review", ReviewUnderReview, nil, ActionReview, "a1", "", 2, ECONFLICT},
		{"take a verified one", ReviewVerified, nil, ActionReview, "a1", "", 2, ECONFLICT},
		{"first approval of two", ReviewUnderReview, nil, ActionVerify, "a1", "seen on video", 2, ReviewUnderReview},
		{"first approval straight from detected", ReviewDetected, nil, ActionVerify, "a1", "seen", 2, ReviewUnderReview},
		{"second analyst verifies", ReviewUnderReview, []string{"a1"}, ActionVerify, "a2", "agree", 2, ReviewVerified},
		{"one analyst cannot verify twice", ReviewUnderReview, []string{"a1"}, ActionVerify, "a1", "again", 2, ECONFLICT},
		{"one approval suffices when configured", ReviewDetected, nil, ActionVerify, "a1", "seen", 1, ReviewVerified},
		{"verify without a reason", ReviewUnderReview, nil, ActionVerify, "a1", "", 2, EINVALID},
		{"verify a verified finding", ReviewVerified, []string{"a1", "a2"}, ActionVerify, "a3", "x", 2, ECONFLICT},
		{"verify a dismissed finding", ReviewDismissed, nil, ActionVerify, "a1", "x", 2, ECONFLICT},
		{"dismiss under review", ReviewUnderReview, nil, ActionDismiss, "a1", "a tractor", 2, ReviewDismissed},
		{"dismiss detected", ReviewDetected, nil, ActionDismiss, "a1", "duplicate report", 2, ReviewDismissed},
		{"dismiss without a reason", ReviewDetected, nil, ActionDismiss, "a1", "", 2, EINVALID},
		{"dismiss a verified finding", ReviewVerified, nil, ActionDismiss, "a1", "x", 2, ECONFLICT},
		{"a dismissed finding is not reopened silently", ReviewDismissed, nil, ActionReopen, "a1", "", 2, EINVALID},
		{"reopen a dismissed finding with a reason", ReviewDismissed, nil, ActionReopen, "a1", "new photos", 2, ReviewUnderReview},
		{"reopen a verified finding", ReviewVerified, nil, ActionReopen, "a1", "party contests", 2, ReviewUnderReview},
		{"reopen an open finding", ReviewUnderReview, nil, ActionReopen, "a1", "x", 2, ECONFLICT},
		{"unknown action", ReviewDetected, nil, "approve", "a1", "x", 2, EINVALID},
		{"no analyst", ReviewDetected, nil, ActionReview, "", "", 2, EINVALID},
		{"empty state is detected", "", nil, ActionReview, "a1", "", 2, ReviewUnderReview},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NextReview(c.state, c.approvals, c.action, c.actor, c.reason, c.required)
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
