package tak

import (
	"context"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/cot"
)

// TestNoticeReachesOnlyThePartysLiaisons: a notice that a finding about east was verified
// reaches east's liaison's device as a chat message with the explanation, in its protocol;
// west's liaison and a monitor are not told.
func TestNoticeReachesOnlyThePartysLiaisons(t *testing.T) {
	h := newHarness(t, Options{})
	east := dialTLS(t, h, h.tlsConfig(t, "liaison-east", truce.RoleLiaison, "east"))
	east.negotiate()
	west := dialTLS(t, h, h.tlsConfig(t, "liaison-west", truce.RoleLiaison, "west"))
	mon := dialTLS(t, h, h.tlsConfig(t, "monitor-1", truce.RoleMonitor, ""))
	for _, c := range []*testClient{east, west, mon} {
		c.ping() // registered for fan-out
	}
	f := truce.Finding{ID: "f-east-1", Party: "east", Source: "patrol-3", Review: truce.ReviewVerified,
		Explanation: "presence.vehicle 0.4 km inside DMZ on Party East's side — Art. 1(1)"}
	n, ok := truce.ReviewNotice(f, truce.ReviewUnderReview, time.Now())
	if !ok {
		t.Fatal("no notice for a verification")
	}
	h.srv.Notify(context.Background(), n)

	e := east.expect("the notice", func(e *cot.Event) bool { return e.Type == "b-t-f" })
	if e.Detail.Remarks == nil || !strings.Contains(e.Detail.Remarks.Text, f.Explanation) || !strings.Contains(e.Detail.Remarks.Text, "verified") {
		t.Errorf("east's notice says %+v; want the verification and the explanation", e.Detail.Remarks)
	}
	if !strings.HasSuffix(e.UID, n.ID) || strings.Contains(string(e.Detail.Extra), "patrol-3") {
		t.Errorf("notice uid %q (want it to end in %s), detail %s", e.UID, n.ID, e.Detail.Extra)
	}
	for name, c := range map[string]*testClient{"west": west, "monitor": mon} {
		c.send(controlEvent("ping", typePing, time.Now(), ""))
		for {
			e, err := c.next(10 * time.Second)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if e.Type == typePong {
				break
			}
			t.Errorf("%s received %s %s; want nothing", name, e.Type, e.UID)
		}
	}
	// A notice about no party goes to no one.
	h.srv.Notify(context.Background(), truce.Notice{ID: "n2", Text: "nobody's"})
	if st := h.srv.Stats(); st.Notices != 1 {
		t.Errorf("Stats.Notices = %d, want 1", st.Notices)
	}
}
