package truce

import "time"

// Review states of a finding. A finding the rules raise is detected; people then check it.
const (
	ReviewDetected    = "detected"
	ReviewUnderReview = "under_review"
	ReviewVerified    = "verified"
	ReviewDismissed   = "dismissed"
)

// Review actions an analyst takes on a finding.
const (
	// ActionReview takes a detected finding under review.
	ActionReview = "review"
	// ActionVerify approves it; it is verified once enough different analysts have approved.
	ActionVerify = "verify"
	// ActionDismiss dismisses it (not a violation, or not enough evidence).
	ActionDismiss = "dismiss"
	// ActionReopen takes a verified or dismissed finding back under review, which is never
	// silent: it needs a reason and is kept in the history like every other action.
	ActionReopen = "reopen"
)

// ReviewEntry is one action in a finding's history.
type ReviewEntry struct {
	Finding string    `json:"finding"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"` // the token id of the analyst
	Action  string    `json:"action"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Reason  string    `json:"reason,omitempty"`
}

// NextReview decides what action does to a finding in state: the state it moves to, or an
// error saying why the action is not allowed. approvals are the analysts who have approved
// the finding since it last came under review; required is how many different analysts must
// approve before it is verified (at least 1). Errors: EINVALID for an unknown action or a
// missing reason; ECONFLICT for an action the state does not allow.
func NextReview(state string, approvals []string, action, actor, reason string, required int) (string, error) {
	if state == "" {
		state = ReviewDetected
	}
	if actor == "" {
		return "", Errorf(EINVALID, "a review action needs the analyst who takes it")
	}
	needsReason := action == ActionVerify || action == ActionDismiss || action == ActionReopen
	if needsReason && reason == "" {
		return "", Errorf(EINVALID, "reason: required to %s a finding", action)
	}
	open := state == ReviewDetected || state == ReviewUnderReview
	switch action {
	case ActionReview:
		if state != ReviewDetected {
			return "", Errorf(ECONFLICT, "the finding is %s, not detected: it cannot be taken under review (reopen a verified or dismissed one)", state)
		}
		return ReviewUnderReview, nil
	case ActionVerify:
		if !open {
			return "", Errorf(ECONFLICT, "the finding is already %s; reopen it first", state)
		}
		for _, a := range approvals {
			if a == actor {
				return "", Errorf(ECONFLICT, "you have already approved this finding; another analyst must verify it")
			}
		}
		if len(approvals)+1 >= max(required, 1) {
			return ReviewVerified, nil
		}
		return ReviewUnderReview, nil
	case ActionDismiss:
		if !open {
			return "", Errorf(ECONFLICT, "the finding is %s; reopen it before dismissing it", state)
		}
		return ReviewDismissed, nil
	case ActionReopen:
		if open {
			return "", Errorf(ECONFLICT, "the finding is %s, not verified or dismissed: there is nothing to reopen", state)
		}
		return ReviewUnderReview, nil
	}
	return "", Errorf(EINVALID, "action %q is not one of review, verify, dismiss, reopen", action)
}
