package tak

import (
	"context"
	"slices"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/cot"
)

// waitFindings waits until the store holds n findings, and returns them.
func (h *harness) waitFindings(t *testing.T, n int) []truce.Finding {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fs := h.findings(t)
		if len(fs) >= n {
			return fs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d findings stored, want %d", len(fs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// caughtUp reads what a device that has just connected is sent until it has the findings
// want and then answers a ping, and returns the uids of every finding it received.
func (c *testClient) caughtUp(want []string) []string {
	c.t.Helper()
	var got []string
	for !containsAll(got, want) {
		e := c.expect("the recent findings", isFinding)
		got = append(got, e.UID)
	}
	c.send(controlEvent("ping", typePing, time.Now(), ""))
	for {
		e, err := c.next(10 * time.Second)
		if err != nil {
			c.t.Fatal(err)
		}
		if e.Type == typePong {
			return got
		}
		if isFinding(e) {
			got = append(got, e.UID)
		}
	}
}

func containsAll(got, want []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

func uidOf(f truce.Finding) string { return FindingUIDPrefix + f.ID }

// TestDeviceThatConnectsIsSentRecentFindings: a monitor who connects after findings were
// made receives them, but not one dismissed nor one observed before the window; a liaison
// receives only those of its party; their markers go stale FindingStale after their
// observations.
func TestDeviceThatConnectsIsSentRecentFindings(t *testing.T) {
	h := newHarness(t, Options{CatchUpWindow: time.Hour, FindingStale: 3 * time.Hour})
	mon := dialTCP(t, h)
	now := time.Now().UTC().Truncate(time.Millisecond)
	mon.send(marker("east-1", "a-h-G-E-V", dmzLat, dmzLon, now))
	mon.send(marker("east-2", "a-h-G-E-V", dmzLat+0.001, dmzLon, now))
	mon.send(marker("west-1", "a-h-G-E-V", 47.70, 36.35, now))
	mon.send(marker("east-old", "a-h-G-E-V", dmzLat, dmzLon+0.001, now.Add(-2*time.Hour)))
	fs := h.waitFindings(t, 4)
	byObs := map[string]truce.Finding{}
	for _, f := range fs {
		byObs[f.Observation[:len(f.Observation)-len("@")-len(now.Format(time.RFC3339Nano))]] = f
	}
	if byObs["east-1"].Party != "east" || byObs["east-2"].Party != "east" || byObs["west-1"].Party != "west" || byObs["east-old"].ID == "" {
		t.Fatalf("findings %+v; want east-1 and east-2 of east, west-1 of west, and east-old", fs)
	}
	ctx := context.Background()
	if _, err := h.store.Review(ctx, byObs["east-2"].ID, truce.ActionDismiss, "analyst-1", "a tractor", 1); err != nil {
		t.Fatal(err)
	}

	late := dialTCP(t, h)
	want := []string{uidOf(byObs["east-1"]), uidOf(byObs["west-1"])}
	got := late.caughtUp(want)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("a monitor connecting late received %q, want %q (not the dismissed one, not the one from 2 h ago)", got, want)
	}

	east := dialTLS(t, h, h.tlsConfig(t, "liaison-east", truce.RoleLiaison, "east"))
	if got := east.caughtUp([]string{uidOf(byObs["east-1"])}); len(got) != 1 {
		t.Errorf("east's liaison received %q, want only %s", got, uidOf(byObs["east-1"]))
	}
	if st := h.srv.Stats(); st.CaughtUp != 3 {
		t.Errorf("Stats.CaughtUp = %d, want 3", st.CaughtUp)
	}

	// The marker as sent on connecting: stale 3 h after the observation.
	again := dialTCP(t, h)
	e := again.expect("east-1's finding", func(e *cot.Event) bool { return e.UID == uidOf(byObs["east-1"]) })
	if !e.Stale.Equal(now.Add(3*time.Hour)) || !e.Start.Equal(now) {
		t.Errorf("caught-up marker start %v stale %v; want %v and 3 h later", e.Start, e.Stale, now)
	}
}

// TestCatchUpIsBounded: with CatchUp 2, a device that connects receives the two newest
// findings only; with CatchUp -1, none.
func TestCatchUpIsBounded(t *testing.T) {
	for _, tc := range []struct {
		limit int
		want  int
	}{{2, 2}, {-1, 0}} {
		h := newHarness(t, Options{CatchUp: tc.limit})
		mon := dialTCP(t, h)
		now := time.Now().UTC().Truncate(time.Millisecond)
		for i := range 4 {
			mon.send(marker("m"+string(rune('a'+i)), "a-h-G-E-V", dmzLat+float64(i)*0.001, dmzLon, now))
			h.waitFindings(t, i+1) // stored one after another, so that "newest" is clear
		}
		fs := h.findings(t)
		var want []string
		for _, f := range fs[len(fs)-tc.want:] {
			want = append(want, uidOf(f))
		}
		late := dialTCP(t, h)
		got := late.caughtUp(want)
		if !slices.Equal(got, want) {
			t.Errorf("CatchUp %d: received %q, want the newest %d in order: %q", tc.limit, got, tc.want, want)
		}
	}
}
