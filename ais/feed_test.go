package ais

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// received is what a feed delivered: the MMSI and time of each message, and the errors.
type received struct {
	mu   sync.Mutex
	mmsi []uint32
	at   []time.Time
	errs []string
	note chan struct{}
}

func newReceived() *received { return &received{note: make(chan struct{}, 1024)} }

func (r *received) handle(m *Message, at time.Time) {
	r.mu.Lock()
	r.mmsi = append(r.mmsi, m.MMSI)
	r.at = append(r.at, at)
	r.mu.Unlock()
	r.note <- struct{}{}
}

func (r *received) onError(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err.Error())
	r.mu.Unlock()
}

// waitFor waits until n messages have arrived, failing the test after 5 s.
func (r *received) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		got := len(r.mmsi)
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-r.note:
		case <-deadline:
			t.Fatalf("%d messages after 5 s, want %d", got, n)
		}
	}
}

func (r *received) snapshot() ([]uint32, []time.Time, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint32(nil), r.mmsi...), append([]time.Time(nil), r.at...), append([]string(nil), r.errs...)
}

// tagged is type1 behind a tag block whose c: time is 1241544035 s.
var tagged = `\s:r003669945,c:1241544035*` + sum("s:r003669945,c:1241544035") + `\` + type1

func TestServeUDPDecodesEverySentenceOfEachDatagram(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fixed := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	r := newReceived()
	var st FeedStats
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ServeUDP(ctx, conn, r.handle, FeedOptions{Stats: &st, OnError: r.onError, Now: func() time.Time { return fixed }})
	}()
	send, err := net.Dial("udp", conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer send.Close()
	datagrams := []string{
		// Three sentences, a two-fragment type 5 among them, CRLF-separated as receivers send.
		type1 + "\r\n" + type5a1 + "\r\n" + type5a2 + "\r\n",
		// A bad checksum costs only its own sentence.
		"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B\n" + tagged + "\n",
		// Two sentences run together without a line break.
		type1 + "!AIVDM,1,1,,A,33P;Tw0tjBQO22:E7dm66DrB20UP,0*2E",
	}
	for _, d := range datagrams {
		if _, err := send.Write([]byte(d)); err != nil {
			t.Fatal(err)
		}
		// Paced so that the loopback socket buffer never overflows.
		time.Sleep(10 * time.Millisecond)
	}
	r.waitFor(t, 5)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeUDP returned %v after cancel, want nil", err)
	}
	mmsi, at, errs := r.snapshot()
	want := []uint32{371798000, 351759000, 371798000, 371798000, 235070716}
	if len(mmsi) != len(want) {
		t.Fatalf("MMSIs %v, want %v", mmsi, want)
	}
	for i := range want {
		if mmsi[i] != want[i] {
			t.Errorf("message %d: MMSI %d, want %d", i, mmsi[i], want[i])
		}
	}
	if !at[0].Equal(fixed) {
		t.Errorf("untagged message stamped %v, want the reception time %v", at[0], fixed)
	}
	if wantAt := time.Unix(1241544035, 0); !at[2].Equal(wantAt) {
		t.Errorf("tagged message stamped %v, want the tag block time %v", at[2], wantAt)
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "udp 127.0.0.1:") || !strings.Contains(errs[0], "line 4: checksum") {
		t.Errorf("errors %q, want one naming the sender and sentence 4's checksum", errs)
	}
	if st.Datagrams.Load() != 3 || st.Sentences.Load() != 7 || st.Messages.Load() != 5 || st.Errors.Load() != 1 || st.Dropped.Load() != 0 {
		t.Errorf("stats: datagrams %d sentences %d messages %d errors %d dropped %d, want 3 7 5 1 0",
			st.Datagrams.Load(), st.Sentences.Load(), st.Messages.Load(), st.Errors.Load(), st.Dropped.Load())
	}
}

func TestServeUDPKeepsFragmentsOfDifferentSendersApart(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := newReceived()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ServeUDP(ctx, conn, r.handle, FeedOptions{OnError: r.onError})
	a, _ := net.Dial("udp", conn.LocalAddr().String())
	b, _ := net.Dial("udp", conn.LocalAddr().String())
	defer a.Close()
	defer b.Close()
	// Both senders heard the first fragment of a message with id 1 on channel A; only a's
	// second fragment arrives. Joined across senders, b's first fragment would replace a's.
	a.Write([]byte(type5a1 + "\n"))
	time.Sleep(10 * time.Millisecond)
	body := "AIVDM,2,1,1,A,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht50000000000,0"
	b.Write([]byte("!" + body + "*" + sum(body) + "\n"))
	time.Sleep(10 * time.Millisecond)
	a.Write([]byte(type5a2 + "\n"))
	r.waitFor(t, 1)
	mmsi, _, _ := r.snapshot()
	if mmsi[0] != 351759000 {
		t.Errorf("MMSI %d, want 351759000 (sender a's message)", mmsi[0])
	}
}

func TestServeUDPDropsDatagramsWhenTheQueueIsFull(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var mu sync.Mutex
	delivered := 0
	h := func(m *Message, at time.Time) {
		<-release // a Handler that stalls, as a stuck database would
		mu.Lock()
		delivered++
		mu.Unlock()
	}
	var st FeedStats
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeUDP(ctx, conn, h, FeedOptions{Queue: 4, Stats: &st}) }()
	send, _ := net.Dial("udp", conn.LocalAddr().String())
	defer send.Close()
	const n = 40
	for i := 0; i < n; i++ {
		send.Write([]byte(type1 + "\n"))
		time.Sleep(time.Millisecond)
	}
	deadline := time.Now().Add(5 * time.Second)
	for st.Datagrams.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	cancel()
	<-done
	// One datagram is in the Handler, Queue wait; the rest were dropped.
	if got := st.Datagrams.Load(); got != n {
		t.Fatalf("%d datagrams received, want %d", got, n)
	}
	if d := st.Dropped.Load(); d < n-5 || d > n-1 {
		t.Errorf("%d dropped, want between %d and %d", d, n-5, n-1)
	}
	mu.Lock()
	defer mu.Unlock()
	if int64(delivered)+st.Dropped.Load() != n {
		t.Errorf("%d delivered + %d dropped, want %d", delivered, st.Dropped.Load(), n)
	}
}

func TestListenUDPFailsOnABadAddress(t *testing.T) {
	err := ListenUDP(context.Background(), "127.0.0.1:notaport", func(*Message, time.Time) {}, FeedOptions{})
	if err == nil {
		t.Fatal("ListenUDP on a bad address returned nil")
	}
}

// feeder is a TCP AIS feeder on loopback that serves each connection with a script.
type feeder struct {
	ln   net.Listener
	addr string
}

func newFeeder(t *testing.T, addr string) *feeder {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port of a closed listener can take a moment to free
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &feeder{ln: ln, addr: ln.Addr().String()}
}

// serveOne accepts one connection, writes lines, and closes it unless keep is set.
func (f *feeder) serveOne(t *testing.T, keep bool, lines ...string) net.Conn {
	t.Helper()
	c, err := f.ln.Accept()
	if err != nil {
		t.Error(err)
		return nil
	}
	for _, l := range lines {
		if _, err := c.Write([]byte(l + "\r\n")); err != nil {
			t.Error(err)
		}
	}
	if !keep {
		c.Close()
		return nil
	}
	return c
}

func TestDialTCPReconnectsWhenTheFeederDropsAndComesBack(t *testing.T) {
	f := newFeeder(t, "127.0.0.1:0")
	r := newReceived()
	var st FeedStats
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- DialTCP(ctx, f.addr, r.handle, FeedOptions{Stats: &st, OnError: r.onError,
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond})
	}()
	// The first connection carries a message and the first fragment of another, then drops.
	f.serveOne(t, false, type1, type5a1)
	r.waitFor(t, 1)
	// The feeder goes away altogether: connecting fails for a while.
	f.ln.Close()
	time.Sleep(300 * time.Millisecond)
	refused := st.Reconnects.Load()
	// It comes back on the same address.
	f = newFeeder(t, f.addr)
	defer f.ln.Close()
	c := f.serveOne(t, true, type5b1, type5b2, tagged)
	r.waitFor(t, 3)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("DialTCP returned %v after cancel, want nil", err)
	}
	if c != nil {
		c.Close()
	}
	mmsi, _, errs := r.snapshot()
	if want := []uint32{371798000, 271010059, 371798000}; len(mmsi) != 3 || mmsi[0] != want[0] || mmsi[1] != want[1] || mmsi[2] != want[2] {
		t.Errorf("MMSIs %v, want %v", mmsi, want)
	}
	if st.Connects.Load() != 2 {
		t.Errorf("%d connections, want 2", st.Connects.Load())
	}
	// One reconnect for the drop, then at least two refused attempts in 300 ms at a
	// back-off of at most 80 ms.
	if refused < 3 {
		t.Errorf("%d reconnects while the feeder was away, want at least 3", refused)
	}
	lost := false
	for _, e := range errs {
		if strings.Contains(e, "tcp "+f.addr) && strings.Contains(e, "lacks fragment 2") {
			lost = true
		}
	}
	if !lost {
		t.Errorf("errors %q do not report the fragment lost with the first connection", errs)
	}
}

func TestDialTCPReconnectsAfterSilence(t *testing.T) {
	f := newFeeder(t, "127.0.0.1:0")
	defer f.ln.Close()
	r := newReceived()
	var st FeedStats
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- DialTCP(ctx, f.addr, r.handle, FeedOptions{Stats: &st, OnError: r.onError,
			MinBackoff: 10 * time.Millisecond, IdleTimeout: 100 * time.Millisecond})
	}()
	// A connection that is accepted and then says nothing, as a half-open one does.
	silent := f.serveOne(t, true)
	defer silent.Close()
	f.serveOne(t, true, type1)
	r.waitFor(t, 1)
	cancel()
	<-done
	if st.Connects.Load() != 2 || st.Reconnects.Load() < 1 {
		t.Errorf("connects %d reconnects %d, want 2 and at least 1", st.Connects.Load(), st.Reconnects.Load())
	}
}

func TestDialTCPReportsALineTooLongAndGoesOn(t *testing.T) {
	f := newFeeder(t, "127.0.0.1:0")
	defer f.ln.Close()
	r := newReceived()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go DialTCP(ctx, f.addr, r.handle, FeedOptions{MaxLine: 128, OnError: r.onError})
	c := f.serveOne(t, true, strings.Repeat("!", 300), type1)
	if c != nil {
		defer c.Close()
	}
	r.waitFor(t, 1)
	_, _, errs := r.snapshot()
	if len(errs) != 1 || !strings.Contains(errs[0], "line: longer than 128 bytes") {
		t.Errorf("errors %q, want one line too long", errs)
	}
}

func TestDialTCPStopsWhenTheContextEndsDuringBackoff(t *testing.T) {
	// Nothing listens on the address: every attempt fails.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	var st FeedStats
	err = DialTCP(ctx, addr, func(*Message, time.Time) {}, FeedOptions{Stats: &st, MinBackoff: time.Hour})
	if err != nil || time.Since(start) > 2*time.Second {
		t.Errorf("DialTCP returned %v after %v, want nil soon after the context ended", err, time.Since(start))
	}
	if st.Reconnects.Load() != 1 {
		t.Errorf("%d reconnects, want 1 (then waiting out the back-off)", st.Reconnects.Load())
	}
}

func TestBackoffDoublesToTheCapWithJitter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	min, max := 100*time.Millisecond, 3*time.Second
	tests := []struct {
		failures int
		ceiling  time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{5, 3 * time.Second}, // 3.2 s capped
		{40, 3 * time.Second},
	}
	for _, tt := range tests {
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for i := 0; i < 200; i++ {
			d := backoff(tt.failures, min, max, rng)
			lo, hi = minDur(lo, d), maxDur(hi, d)
		}
		if lo < tt.ceiling/2 || hi > tt.ceiling {
			t.Errorf("after %d failures waits %v..%v, want within [%v, %v]", tt.failures, lo, hi, tt.ceiling/2, tt.ceiling)
		}
		if hi-lo < tt.ceiling/4 {
			t.Errorf("after %d failures waits %v..%v: too little jitter", tt.failures, lo, hi)
		}
	}
}

func minDur(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

func TestFeedErrorUnwrapsToTheSentenceError(t *testing.T) {
	var e error = &FeedError{Peer: "udp 10.0.0.1:4000", Err: errorf(7, CauseChecksum, "checksum", "is 4B")}
	var se *Error
	if !errors.As(e, &se) || se.Line != 7 {
		t.Fatalf("errors.As found %v", se)
	}
	if got, want := e.Error(), "udp 10.0.0.1:4000: line 7: checksum: is 4B"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

// FuzzFeedDatagram decodes arbitrary datagrams as ServeUDP does, checking that nothing
// crashes and that the counts agree: every message and every error comes from a sentence.
func FuzzFeedDatagram(f *testing.F) {
	sample, err := os.ReadFile("testdata/pyais/nmea_data_sample.txt")
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.Split(string(sample), "\n")
	for i := 0; i+4 <= len(lines) && i < 200; i += 20 {
		f.Add([]byte(strings.Join(lines[i:i+4], "\r\n")))
	}
	f.Add([]byte(tagged + "\n" + type5a1 + type5a2 + "\r\r\n\n"))
	f.Fuzz(func(t *testing.T, dg []byte) {
		var st FeedStats
		o := FeedOptions{Stats: &st}
		o.defaults()
		fd := newFeedDecoder("udp test", &o, func(m *Message, at time.Time) {
			if at.IsZero() {
				t.Fatal("message without a time")
			}
		})
		fd.decodeLine(dg, time.Unix(1, 0))
		fd.d.Flush()
		if st.Messages.Load() > st.Sentences.Load() {
			t.Fatalf("%d messages from %d sentences", st.Messages.Load(), st.Sentences.Load())
		}
	})
}

// BenchmarkDialTCP measures a TCP feed end to end on loopback: a feeder streams the
// sentences of pyais's sample of a live feed, and DialTCP reads, splits and decodes them and
// calls the Handler; ns/op is per sentence, and includes the feeder's writing on the same
// machine.
func BenchmarkDialTCP(b *testing.B) {
	sample, err := os.ReadFile("testdata/pyais/nmea_data_sample.txt")
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	for _, l := range strings.Split(string(sample), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, []byte(l+"\r\n"))
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		w := make([]byte, 0, 1<<16)
		for i := 0; i < b.N; i++ {
			w = append(w, lines[i%len(lines)]...)
			if len(w) > 1<<15 || i == b.N-1 {
				if _, err := c.Write(w); err != nil {
					return
				}
				w = w[:0]
			}
		}
		time.Sleep(time.Hour) // keep the connection open; the client ends it
	}()
	var st FeedStats
	ctx, cancel := context.WithCancel(context.Background())
	h := func(m *Message, at time.Time) {}
	b.ReportAllocs()
	b.ResetTimer()
	go DialTCP(ctx, ln.Addr().String(), h, FeedOptions{Stats: &st})
	for st.Sentences.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	b.ReportMetric(float64(st.Messages.Load())/float64(b.N), "messages/sentence")
}

func TestServeUDPForgetsTheQuietestSenderPastMaxSenders(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := newReceived()
	var st FeedStats
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ServeUDP(ctx, conn, r.handle, FeedOptions{MaxSenders: 1, Stats: &st, OnError: r.onError})
	a, _ := net.Dial("udp", conn.LocalAddr().String())
	b, _ := net.Dial("udp", conn.LocalAddr().String())
	defer a.Close()
	defer b.Close()
	// a's first fragment is pending when b is heard; a is forgotten and its fragment lost,
	// so a's second fragment alone makes no message.
	a.Write([]byte(type5a1 + "\n"))
	time.Sleep(20 * time.Millisecond)
	b.Write([]byte(type1 + "\n"))
	r.waitFor(t, 1)
	a.Write([]byte(type5a2 + "\n"))
	b.Write([]byte(type1 + "\n"))
	r.waitFor(t, 2)
	mmsi, _, errs := r.snapshot()
	if len(mmsi) != 2 || mmsi[0] != 371798000 || mmsi[1] != 371798000 {
		t.Errorf("MMSIs %v, want b's two messages only", mmsi)
	}
	if len(errs) == 0 || !strings.Contains(errs[0], a.LocalAddr().String()) || !strings.Contains(errs[0], "lacks fragment 2") {
		t.Errorf("errors %q, want a's fragment reported lost", errs)
	}
}

// A server takes AIS from a receiver's UDP datagrams and turns position reports into
// observations; the Handler runs on one goroutine, so one Vessels serves the whole feed.
func ExampleListenUDP() {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	vessels := &Vessels{DefaultSource: "ais-udp"}
	var stats FeedStats
	err := ListenUDP(ctx, "127.0.0.1:0", func(m *Message, at time.Time) {
		if o, ok := vessels.Observe(m, at); ok {
			_ = o // submit o to the ingest pipeline, and to a maritime.Detector
		}
	}, FeedOptions{Stats: &stats, OnError: func(err error) { /* log it */ }})
	if err != nil {
		panic(err)
	}
	// Output:
}
