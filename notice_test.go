package truce

import (
	"testing"
	"time"
)

// TestReviewNoticeOnlyForPublicationAndWithdrawal walks the review transitions that touch
// publication and checks which make a notice.
func TestReviewNoticeOnlyForPublicationAndWithdrawal(t *testing.T) {
	at := time.Date(2026, 5, 2, 9, 0, 0, 0, time.FixedZone("EET", 2*3600))
	cases := []struct {
		from, to string
		want     string // notice kind, "" for none
	}{
		{ReviewDetected, ReviewUnderReview, ""},
		{ReviewUnderReview, ReviewUnderReview, ""},
		{ReviewUnderReview, ReviewVerified, NoticeVerified},
		{ReviewDetected, ReviewVerified, NoticeVerified},
		{ReviewUnderReview, ReviewDismissed, ""},
		{ReviewVerified, ReviewUnderReview, NoticeWithdrawn},
		{ReviewDismissed, ReviewUnderReview, ""},
	}
	for _, c := range cases {
		f := Finding{ID: "f1", Party: "east", Source: "patrol-1", Review: c.to, Explanation: "a vehicle in the DMZ"}
		n, ok := ReviewNotice(f, c.from, at)
		if !ok {
			if c.want != "" {
				t.Errorf("%s → %s: no notice, want %s", c.from, c.to, c.want)
			}
			continue
		}
		if n.Kind != c.want {
			t.Errorf("%s → %s: notice %s, want %q", c.from, c.to, n.Kind, c.want)
		}
		if n.Party != "east" || n.FindingID != "f1" || n.Finding.Source != "" || !n.Time.Equal(at) || n.Time.Location() != time.UTC {
			t.Errorf("%s → %s: %+v", c.from, c.to, n)
		}
		if again, _ := ReviewNotice(f, c.from, at); again.ID != n.ID {
			t.Errorf("the same decision gives ids %s and %s", n.ID, again.ID)
		}
	}
	n, _ := ReviewNotice(Finding{ID: "f2", Party: PartyUndetermined, Review: ReviewVerified}, ReviewUnderReview, at)
	if n.Party != "" || !n.Public {
		t.Errorf("a finding of undetermined party: notice for %q, public %v", n.Party, n.Public)
	}
}
