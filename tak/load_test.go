package tak

import (
	"context"
	"testing"
	"time"
)

// TestLoadEveryDeviceGetsEverything: devices reporting at 1 Hz and dropping markers in
// bursts all receive every other device's positions and every finding; none is cut, none
// gets its own position back. (truce bench tak runs the same load at full size.)
func TestLoadEveryDeviceGetsEverything(t *testing.T) {
	h := newHarness(t, Options{})
	res, err := RunLoad(context.Background(), LoadConfig{
		Addr: h.tcpAddr, Clients: 30, Duration: 3 * time.Second,
		Burst: 50, BurstEvery: time.Second, Lat: dmzLat, Lon: dmzLon, Drain: 15 * time.Second,
		ExpectedFindings: func() int64 { return h.srv.Stats().Findings },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *res)
	if res.Lost() != 0 || res.Disconnected != 0 || res.PositionsMisplaced != 0 {
		t.Errorf("lost %d, disconnected %d, own positions echoed %d", res.Lost(), res.Disconnected, res.PositionsMisplaced)
	}
	if res.MarkersSent != 150 || res.FindingsPublished < res.MarkersSent {
		t.Errorf("%d markers sent, %d findings published; want 150 and at least as many", res.MarkersSent, res.FindingsPublished)
	}
	if res.PositionsSent < 30*2 {
		t.Errorf("%d positions sent in 3 s by 30 devices", res.PositionsSent)
	}
	if st := h.srv.Stats(); st.Cut != 0 || st.Lost != 0 || st.Undelivered != 0 {
		t.Errorf("server: %+v", st)
	}
}
