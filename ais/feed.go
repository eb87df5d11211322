package ais

import (
	"bufio"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Network feeds. Shore receivers and aggregators deliver AIS in one of two ways: they send
// UDP datagrams to a listening host (AIS-catcher, rtl-ais, most hardware receivers), each
// datagram holding one or more sentences separated by line breaks; or they accept TCP
// connections and stream lines to whoever connects (AISHub, ShipXplorer feeders, gpsd). A
// UDP sender does not know whether anyone listens, so ServeUDP only ever reads; a TCP feeder
// hangs up, restarts and times out, so DialTCP reconnects for as long as its context lives,
// waiting longer after each failure (exponential back-off, capped, with jitter so that many
// clients of one feeder do not all come back in the same instant).
//
// Both feed a Decoder and hand each decoded message to a Handler, one at a time from one
// goroutine, so a Handler may use state that is not safe for concurrent use (a Vessels).
// Memory is bounded whatever the peers send: a line or datagram longer than MaxLine is
// refused, UDP datagrams wait for the decoder in a queue of at most Queue entries and
// QueueBytes bytes (a datagram arriving when it is full is dropped and counted, as the
// kernel would drop it anyway), TCP
// is read through one buffer of MaxLine bytes (a slow Handler slows the feeder down through
// TCP's own flow control), and UDP keeps one Decoder, with its reassembly table, for each of
// at most MaxSenders senders.

// Handler receives a decoded message and the time it stands for: the tag block's reception
// time (c:) when the sentence had one, else the time the datagram or line was received. The
// message and its slices are reused once the Handler returns.
type Handler func(m *Message, at time.Time)

// FeedOptions tune ServeUDP, ListenUDP and DialTCP. Zero values take the defaults.
type FeedOptions struct {
	// MaxLine is the longest line (TCP) or datagram (UDP) accepted, in bytes (default 64 KiB,
	// enough for any UDP datagram).
	MaxLine int
	// Queue is how many UDP datagrams may wait for the decoder (default 1024), and QueueBytes
	// how many bytes they may hold together (default 4 MiB).
	Queue, QueueBytes int
	// MaxSenders is how many UDP senders keep their own Decoder (default 64); past it the
	// sender heard from least recently loses its pending fragments.
	MaxSenders int
	// MinBackoff and MaxBackoff bound the wait before reconnecting to a TCP feeder (defaults
	// 250 ms and 30 s). The wait doubles after each failure from MinBackoff up to MaxBackoff,
	// and the actual wait is drawn uniformly from the upper half of it.
	MinBackoff, MaxBackoff time.Duration
	// IdleTimeout is how long a TCP feeder may stay silent before the connection is taken as
	// dead and remade (default 2 minutes; AIS from a working receiver never pauses that long).
	IdleTimeout time.Duration
	// OnError, if set, receives every problem: a sentence that cannot be decoded (an
	// *FeedError wrapping an *Error), a line too long, a failed connection. Called from the
	// decoding goroutine.
	OnError func(error)
	// Stats, if set, is updated as the feed runs; it may be read concurrently.
	Stats *FeedStats
	// Now is the clock that stamps reception (default time.Now).
	Now func() time.Time
}

// FeedStats counts what a feed has done. Fields are updated atomically and may be read while
// the feed runs.
type FeedStats struct {
	Datagrams  atomic.Int64 // UDP datagrams received
	Lines      atomic.Int64 // TCP lines received
	Sentences  atomic.Int64 // sentences decoded or rejected
	Messages   atomic.Int64 // messages delivered to the Handler
	Errors     atomic.Int64 // sentences rejected, fragments lost, lines too long
	Dropped    atomic.Int64 // UDP datagrams dropped because the queue was full
	Connects   atomic.Int64 // TCP connections made
	Reconnects atomic.Int64 // TCP connections lost or refused and retried
}

// FeedError is a problem with what one peer sent or with reaching it. Peer is the remote
// address; Err is an *Error for a sentence that could not be decoded.
type FeedError struct {
	Peer string
	Err  error
}

func (e *FeedError) Error() string { return e.Peer + ": " + e.Err.Error() }
func (e *FeedError) Unwrap() error { return e.Err }

func (o *FeedOptions) defaults() {
	if o.MaxLine <= 0 {
		o.MaxLine = 1 << 16
	}
	if o.Queue <= 0 {
		o.Queue = 1024
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = 4 << 20
	}
	if o.MaxSenders <= 0 {
		o.MaxSenders = 64
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 2 * time.Minute
	}
	if o.Stats == nil {
		o.Stats = new(FeedStats)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// feedDecoder decodes the sentences of one peer and delivers the messages.
type feedDecoder struct {
	peer     string
	d        Decoder
	sentence int64 // sentences from this peer, the "line" in error messages
	used     int64 // when it was last used, for eviction among UDP senders
	o        *FeedOptions
	h        Handler
	at       time.Time
}

func newFeedDecoder(peer string, o *FeedOptions, h Handler) *feedDecoder {
	f := &feedDecoder{peer: peer, o: o, h: h}
	f.d.OnExpire = f.fail
	return f
}

func (f *feedDecoder) fail(e *Error) {
	f.o.Stats.Errors.Add(1)
	if f.o.OnError != nil {
		f.o.OnError(&FeedError{Peer: f.peer, Err: e})
	}
}

// decodeLine decodes the sentences of one line or datagram received at at.
func (f *feedDecoder) decodeLine(line []byte, at time.Time) {
	f.at = at
	start := 0
	for i := 0; i <= len(line); i++ {
		if i < len(line) && line[i] != '\n' && line[i] != '\r' {
			continue
		}
		if l := line[start:i]; IsSentence(l) {
			SplitSentences(l, f.decodeSentence)
		}
		start = i + 1
	}
}

func (f *feedDecoder) decodeSentence(b []byte) {
	f.sentence++
	f.o.Stats.Sentences.Add(1)
	m, err := f.d.Decode(f.sentence, b)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			f.fail(e)
		}
		return
	}
	if m == nil {
		return
	}
	f.o.Stats.Messages.Add(1)
	at := f.at
	if m.UnixMilli != 0 {
		at = time.UnixMilli(m.UnixMilli)
	}
	f.h(m, at)
}

// ListenUDP listens on addr ("host:port", ":10110") and serves it as ServeUDP does, until ctx
// ends. It returns an error only when it cannot listen.
func ListenUDP(ctx context.Context, addr string, h Handler, o FeedOptions) error {
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	return ServeUDP(ctx, conn, h, o)
}

// datagram is one received datagram waiting for the decoder.
type datagram struct {
	buf  []byte
	n    int
	from string
	at   time.Time
}

// ServeUDP reads datagrams of sentences from conn and delivers their messages to h until ctx
// ends; it then closes conn and returns nil. Each sender has its own Decoder, so fragments
// of different receivers' messages are never joined.
func ServeUDP(ctx context.Context, conn net.PacketConn, h Handler, o FeedOptions) error {
	o.defaults()
	queue := make(chan *datagram, o.Queue)
	free := make(chan *datagram, o.Queue+1)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var wg sync.WaitGroup
	var queued atomic.Int64 // bytes in the queue
	wg.Add(1)
	go func() {
		// The reader never waits for the decoder: a datagram that finds the queue full is
		// dropped, so a slow Handler costs datagrams (counted) rather than memory. Datagrams
		// are read into one buffer and copied into one of their own size.
		defer wg.Done()
		defer close(queue)
		rbuf := make([]byte, o.MaxLine+1)
		for {
			n, from, err := conn.ReadFrom(rbuf)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
					return
				}
				// Another error (an ICMP report, a datagram the kernel refused) may repeat;
				// a pause keeps it from spinning a core.
				time.Sleep(10 * time.Millisecond)
				continue
			}
			o.Stats.Datagrams.Add(1)
			if queued.Load()+int64(n) > int64(o.QueueBytes) || len(queue) == cap(queue) {
				o.Stats.Dropped.Add(1)
				continue
			}
			var dg *datagram
			select {
			case dg = <-free:
			default:
				dg = new(datagram)
			}
			dg.buf = append(dg.buf[:0], rbuf[:n]...)
			dg.n, dg.at = n, o.Now()
			dg.from = ""
			if from != nil {
				dg.from = from.String()
			}
			queued.Add(int64(n))
			queue <- dg // cannot block: only this goroutine sends, and there was room
		}
	}()

	senders := make(map[string]*feedDecoder)
	var clock int64
	for dg := range queue {
		clock++
		f := senders[dg.from]
		if f == nil {
			if len(senders) >= o.MaxSenders {
				evictSender(senders)
			}
			f = newFeedDecoder("udp "+dg.from, &o, h)
			senders[dg.from] = f
		}
		f.used = clock
		if dg.n > o.MaxLine {
			f.o.Stats.Errors.Add(1)
			if o.OnError != nil {
				o.OnError(&FeedError{Peer: f.peer, Err: errorf(0, CauseFormat, "datagram", "longer than "+strconv.Itoa(o.MaxLine)+" bytes")})
			}
		} else {
			f.decodeLine(dg.buf[:dg.n], dg.at)
		}
		queued.Add(-int64(dg.n))
		if cap(dg.buf) > 4096 {
			dg.buf = nil // a rare large datagram's buffer is not kept
		}
		select {
		case free <- dg:
		default:
		}
	}
	wg.Wait()
	for _, f := range senders {
		f.d.Flush()
	}
	return nil
}

// evictSender forgets the sender heard from least recently, reporting its lost fragments.
func evictSender(senders map[string]*feedDecoder) {
	var oldest *feedDecoder
	var key string
	for k, f := range senders {
		if oldest == nil || f.used < oldest.used {
			oldest, key = f, k
		}
	}
	oldest.d.Flush()
	delete(senders, key)
}

// DialTCP connects to a feeder at addr ("host:port") and delivers the messages of the lines
// it sends to h, until ctx ends; it then returns nil. Whenever the connection fails, ends,
// or stays silent for IdleTimeout, it waits (see FeedOptions.MinBackoff) and connects again;
// fragments pending from the old connection are reported lost. Each failure is reported to
// OnError as a *FeedError and counted in Stats.Reconnects.
func DialTCP(ctx context.Context, addr string, h Handler, o FeedOptions) error {
	o.defaults()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5eed))
	dialer := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	failures := 0
	f := newFeedDecoder("tcp "+addr, &o, h)
	buf := bufio.NewReaderSize(nil, o.MaxLine)
	for ctx.Err() == nil {
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			o.Stats.Connects.Add(1)
			var got bool
			got, err = readLines(ctx, conn, buf, f, &o)
			if got {
				// The feeder worked: the next failure starts the back-off afresh.
				failures = 0
			}
			f.d.Flush()
		}
		if ctx.Err() != nil {
			return nil
		}
		o.Stats.Reconnects.Add(1)
		if o.OnError != nil {
			o.OnError(&FeedError{Peer: f.peer, Err: err})
		}
		wait := backoff(failures, o.MinBackoff, o.MaxBackoff, rng)
		failures++
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
	return nil
}

// backoff is the wait after the given number of consecutive failures: min doubled that many
// times, capped at max, then drawn uniformly from its upper half ("equal jitter"), so that the
// wait still grows while clients spread out.
func backoff(failures int, min, max time.Duration, rng *rand.Rand) time.Duration {
	d := min
	for i := 0; i < failures && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(rng.Int64N(int64(half)+1))
}

// readLines reads lines from conn until it fails, ends or idles, decoding each. It reports
// whether any line arrived, and why it stopped (io.EOF for a clean close).
func readLines(ctx context.Context, conn net.Conn, r *bufio.Reader, f *feedDecoder, o *FeedOptions) (bool, error) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	r.Reset(conn)
	got := false
	tooLong := false
	for {
		conn.SetReadDeadline(time.Now().Add(o.IdleTimeout))
		line, err := r.ReadSlice('\n')
		switch {
		case len(line) == 0:
		case tooLong:
			// The rest of a line already reported as too long.
		case err == bufio.ErrBufferFull:
			got = true
			o.Stats.Lines.Add(1)
			f.o.Stats.Errors.Add(1)
			if o.OnError != nil {
				o.OnError(&FeedError{Peer: f.peer, Err: errorf(0, CauseFormat, "line", "longer than "+strconv.Itoa(r.Size())+" bytes")})
			}
		default:
			got = true
			o.Stats.Lines.Add(1)
			f.decodeLine(line, o.Now())
		}
		tooLong = err == bufio.ErrBufferFull
		if err != nil && err != bufio.ErrBufferFull {
			return got, err
		}
	}
}
