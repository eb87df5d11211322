package tak

import (
	"bytes"
	"testing"
	"time"
)

// TestRelayBatchIsWrittenToEachClientButItsOwn: a batch of relayed positions is written to
// each client as slices of the batch's bytes holding every position but the client's own, in
// the encoding the client reads; a position TAK protocol cannot carry reaches only XML
// clients.
func TestRelayBatchIsWrittenToEachClientButItsOwn(t *testing.T) {
	a, b, other := &client{}, &client{}, &client{}
	// A delay longer than the test, so that the batch stays pending to be looked at.
	s := &Server{opt: Options{FlushDelay: time.Hour}}
	for _, p := range []struct {
		from       *client
		xml, frame string
	}{
		{a, "<a1/>", "A1"},
		{b, "<b1/>", "B1"},
		{other, "<xml-only/>", ""},
		{a, "<a2/>", "A2"},
		{b, "<b2/>", "B2"},
	} {
		m := &message{xml: []byte(p.xml)}
		if p.frame != "" {
			m.frame = []byte(p.frame)
		}
		s.relayPosition(p.from, m)
	}
	batch := s.relayPending
	if batch == nil {
		t.Fatal("no batch pending")
	}
	for _, tc := range []struct {
		name  string
		c     *client
		proto bool
		want  string
	}{
		{"a in XML", a, false, "<b1/><xml-only/><b2/>"},
		{"a in TAK protocol", a, true, "B1B2"},
		{"b in XML", b, false, "<a1/><xml-only/><a2/>"},
		{"b in TAK protocol", b, true, "A1A2"},
		{"the sender of the XML-only position", other, true, "A1B1A2B2"},
		{"a client that sent nothing", &client{}, false, "<a1/><b1/><xml-only/><a2/><b2/>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bufs := batch.appendTo(nil, tc.c, tc.proto)
			for _, s := range bufs {
				if len(s) == 0 {
					t.Errorf("an empty slice in %q", bufs)
				}
			}
			if got := string(bytes.Join(bufs, nil)); got != tc.want {
				t.Errorf("written %q, want %q", got, tc.want)
			}
		})
	}
	if got := s.Stats().Positions; got != 5 {
		t.Errorf("%d positions counted, want 5", got)
	}
}

// TestRelayDelayGrowsWithTheDevices: by default positions gather 20 ms, or 0.1 ms for each
// device connected when that is longer; a delay set in the options is kept whatever the
// number of devices.
func TestRelayDelayGrowsWithTheDevices(t *testing.T) {
	for _, tc := range []struct {
		set     time.Duration
		devices int
		want    time.Duration
	}{
		{0, 0, 20 * time.Millisecond},
		{0, 150, 20 * time.Millisecond},
		{0, 300, 30 * time.Millisecond},
		{0, 1000, 100 * time.Millisecond},
		{5 * time.Millisecond, 1000, 5 * time.Millisecond},
		{-1, 1000, -1},
	} {
		s := &Server{opt: Options{FlushDelay: tc.set}}
		list := make([]*client, tc.devices)
		s.clients.Store(&list)
		if got := s.relayDelay(); got != tc.want {
			t.Errorf("FlushDelay %v, %d devices: delay %v, want %v", tc.set, tc.devices, got, tc.want)
		}
	}
}
