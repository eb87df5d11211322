package tak

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/cot"
	"github.com/truce-project/truce/ingest"
)

// Options configure a Server. Zero values take the defaults.
type Options struct {
	// Pipe is the ingest pipeline observations go into and findings come from. Required.
	Pipe *ingest.Pipeline
	// Store is read when the pipeline's feed no longer holds the events the server has yet
	// to send (after a long stall); without it such findings are skipped with a log line.
	Store truce.Store
	Log   *slog.Logger
	// Mapping decides what events mean (default cot.DefaultMapping()). Its Source is not
	// used: observations from TAK have the source "tak:" + the device.
	Mapping *cot.Mapping
	// QueueLen is how many messages may wait to be written to one client (default 4096);
	// a client that falls further behind is cut.
	QueueLen int
	// IdleTimeout drops a client that sends nothing, not even a ping, for this long
	// (default 2 minutes).
	IdleTimeout time.Duration
	// WriteTimeout cuts a client whose socket takes no data for this long (default 10 s).
	WriteTimeout time.Duration
	// FlushDelay is how long positions gather before they are relayed together: the price
	// of a thousand devices' positions fanned out to each other in a few writes a second
	// rather than one per position. Each batch costs every device a write and a read, some
	// 20 µs of CPU on loopback, so by default the delay grows with the devices connected:
	// 20 ms, or 0.1 ms a device when that is longer (100 ms with a thousand), which keeps
	// the relay near 10,000 writes a second at most. Negative: relay each at once.
	FlushDelay time.Duration
	// HandshakeTimeout bounds the TLS handshake (default 10 s).
	HandshakeTimeout time.Duration
	// FindingStale is how long after it is sent a finding's marker goes stale (default 6 h).
	FindingStale time.Duration
	// CatchUp is how many recent findings a device is sent when it connects, so that a
	// monitor who was offline sees the picture (default 500; negative: none). They are the
	// newest of those it may see (every finding for a monitor, its party's for a liaison),
	// observed within CatchUpWindow (default FindingStale) and not dismissed, read from
	// Store; each marker goes stale FindingStale after its observation.
	CatchUp       int
	CatchUpWindow time.Duration
	// BatchDelay is how long observations are gathered before a batch is submitted: a batch
	// goes once none has come for BatchDelay (default 5 ms), and at the latest ten
	// BatchDelays after its first. MaxBatch caps a batch (default 500).
	BatchDelay time.Duration
	MaxBatch   int
	// RetryFor is how long a batch refused with EUNAVAILABLE is retried before it is
	// logged as lost (default 30 s).
	RetryFor time.Duration
	// MaxEventSize is the largest event a client may send (default 256 KiB).
	MaxEventSize int
	// Revocations are the client certificates revoked (see Revoke). The TLS endpoint
	// (ServeTLS) refuses them at the handshake; the server reads them again every
	// RevocationPoll (default 2 s) and disconnects any device whose certificate has been
	// revoked since it connected. Nil: no certificate is revoked.
	Revocations    *Revocations
	RevocationPoll time.Duration
}

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Mapping == nil {
		o.Mapping = cot.DefaultMapping()
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 4096
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 2 * time.Minute
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.FindingStale <= 0 {
		o.FindingStale = 6 * time.Hour
	}
	if o.CatchUp == 0 {
		o.CatchUp = 500
	}
	if o.CatchUpWindow <= 0 {
		o.CatchUpWindow = o.FindingStale
	}
	if o.BatchDelay <= 0 {
		o.BatchDelay = 5 * time.Millisecond
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 500
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 30 * time.Second
	}
	if o.MaxEventSize <= 0 {
		o.MaxEventSize = 256 << 10
	}
	if o.RevocationPoll <= 0 {
		o.RevocationPoll = 2 * time.Second
	}
}

// Stats are the server's counters since it started.
type Stats struct {
	Open        int64 // connections open now
	Accepted    int64 // connections accepted
	Events      int64 // events read from clients
	BadEvents   int64 // events dropped as wrong (the connection kept)
	BadStreams  int64 // connections dropped for a malformed stream
	Stored      int64 // observations stored
	Duplicates  int64 // observations already stored (re-sent)
	Refused     int64 // observations refused by the pipeline's Check
	Lost        int64 // observations that could not be stored after retrying
	Raw         int64 // events that are neither observations nor positions, kept out of the record
	Ignored     int64 // events from liaisons' devices, which submit nothing
	Positions   int64 // monitors' positions relayed
	Findings    int64 // findings published
	Cut         int64 // clients cut for falling behind
	Undelivered int64 // messages cut clients did not get
	Revoked     int64 // connections refused or ended for a revoked certificate
	CaughtUp    int64 // findings sent to devices as they connected (see Options.CatchUp)
	Notices     int64 // notices sent to liaisons' devices (see Notify)
}

type counters struct {
	open, accepted, events, badEvents, badStreams, stored, duplicates, refused, lost,
	raw, ignored, positions, findings, cut, undelivered, revoked, caughtUp, notices atomic.Int64
}

// Server is a TAK streaming server. Serve accepts connections on any number of listeners;
// Close stops it.
type Server struct {
	opt Options
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[*client]struct{}
	// clients is the fan-out list, replaced whole on every change so that fan-out reads it
	// without a lock.
	clients atomic.Pointer[[]*client]

	relayMu      sync.Mutex
	relayPending *message // positions gathered for the next relay, or nil

	handlers   sync.WaitGroup
	ing        *ingester
	followDone chan struct{}
	pollDone   chan struct{}
	st         counters
}

// New starts a server's fan-out of findings and its ingest batcher. It accepts no
// connection until Serve is called.
func New(opt Options) (*Server, error) {
	if opt.Pipe == nil {
		return nil, errors.New("tak: Options.Pipe is required")
	}
	opt.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{opt: opt, log: opt.Log, ctx: ctx, cancel: cancel,
		listeners: map[net.Listener]struct{}{}, conns: map[*client]struct{}{},
		followDone: make(chan struct{}), pollDone: make(chan struct{})}
	s.clients.Store(&[]*client{})
	s.ing = newIngester(s)
	go s.follow()
	go s.pollRevocations()
	return s, nil
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	c := &s.st
	return Stats{Open: c.open.Load(), Accepted: c.accepted.Load(), Events: c.events.Load(),
		BadEvents: c.badEvents.Load(), BadStreams: c.badStreams.Load(), Stored: c.stored.Load(),
		Duplicates: c.duplicates.Load(), Refused: c.refused.Load(), Lost: c.lost.Load(),
		Raw: c.raw.Load(), Ignored: c.ignored.Load(), Positions: c.positions.Load(),
		Findings: c.findings.Load(), Cut: c.cut.Load(), Undelivered: c.undelivered.Load(),
		Revoked: c.revoked.Load(), CaughtUp: c.caughtUp.Load(), Notices: c.notices.Load()}
}

// Serve accepts connections on ln until Close. A connection that is a *tls.Conn (from a
// listener made with tls.NewListener and a config from CA.ServerTLSConfig) is identified by
// its client certificate; any other is a monitor on a trusted network.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return net.ErrClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				// Out of file descriptors and the like: wait, as net/http does, rather
				// than spin or give up.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("tak: accept", "err", err, "retry_in", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		s.st.accepted.Add(1)
		s.handlers.Add(1)
		go s.handle(conn)
	}
}

// Close stops accepting, disconnects every client, stores the observations already read,
// and stops the fan-out. It does not close the pipeline.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.conn.Close()
	}
	s.mu.Unlock()
	s.handlers.Wait()
	s.ing.close()
	s.cancel()
	<-s.followDone
	<-s.pollDone
	return nil
}

// ServeTLS accepts TLS connections on ln until Close, with conf (from CA.ServerTLSConfig)
// and a check, during each handshake, that the client's certificate is not revoked.
func (s *Server) ServeTLS(ln net.Listener, conf *tls.Config) error {
	if r := s.opt.Revocations; r != nil {
		conf = conf.Clone()
		next := conf.VerifyConnection
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			if err := r.verifyConnection(cs); err != nil {
				s.st.revoked.Add(1)
				return err
			}
			if next != nil {
				return next(cs)
			}
			return nil
		}
	}
	return s.Serve(tls.NewListener(ln, conf))
}

// pollRevocations reads the revocations again every RevocationPoll, and disconnects the
// devices whose certificates are newly revoked.
func (s *Server) pollRevocations() {
	defer close(s.pollDone)
	r := s.opt.Revocations
	if r == nil {
		return
	}
	t := time.NewTicker(s.opt.RevocationPoll)
	defer t.Stop()
	var failed string // the last error logged, so that a broken file is not logged every poll
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		changed, err := r.Reload()
		if err != nil {
			if err.Error() != failed {
				failed = err.Error()
				s.log.Error("tak: reading revoked certificates; keeping those already read", "err", err)
			}
			continue
		}
		if failed != "" {
			failed = ""
			s.log.Info("tak: revoked certificates read again")
		}
		if changed {
			s.DisconnectRevoked()
		}
	}
}

// DisconnectRevoked ends the connection of every device whose certificate is revoked, and
// returns how many it ended. The server calls it when it reads new revocations; a caller that
// has just revoked a certificate (an administrative API) may call it after
// Options.Revocations.Reload to act at once.
func (s *Server) DisconnectRevoked() int {
	r := s.opt.Revocations
	if r == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.cert == nil {
			continue
		}
		x, ok := r.Revoked(c.cert)
		if !ok || !c.revoked.CompareAndSwap(false, true) {
			continue
		}
		s.st.revoked.Add(1)
		c.log.Warn("tak: client certificate revoked; disconnecting the device", "serial", x.Serial, "revoked", x.Revoked)
		c.conn.Close()
		n++
	}
	return n
}

// handle runs one connection: it identifies the client, registers it for fan-out, and reads
// until the connection ends.
func (s *Server) handle(conn net.Conn) {
	defer s.handlers.Done()
	id := Identity{Name: conn.RemoteAddr().String(), Role: truce.RoleMonitor}
	var cert *x509.Certificate
	log := s.log.With("remote", conn.RemoteAddr().String())
	if tc, ok := conn.(*tls.Conn); ok {
		tc.SetDeadline(time.Now().Add(s.opt.HandshakeTimeout))
		if err := tc.HandshakeContext(s.ctx); err != nil {
			log.Warn("tak: TLS handshake failed; connection closed", "err", err)
			conn.Close()
			return
		}
		tc.SetDeadline(time.Time{})
		peers := tc.ConnectionState().PeerCertificates
		if len(peers) == 0 {
			log.Warn("tak: TLS client presented no certificate; connection closed")
			conn.Close()
			return
		}
		if r := s.opt.Revocations; r != nil {
			if err := r.verifyConnection(tc.ConnectionState()); err != nil {
				s.st.revoked.Add(1)
				log.Warn("tak: client certificate refused; connection closed", "err", err)
				conn.Close()
				return
			}
		}
		var err error
		if id, err = IdentityOf(peers[0]); err != nil {
			log.Warn("tak: client certificate refused; connection closed", "err", err)
			conn.Close()
			return
		}
		cert = peers[0]
	}
	log = log.With("client", id.Name, "role", string(id.Role))
	if id.Party != "" {
		log = log.With("party", id.Party)
	}
	c := newClient(s, conn, id, log)
	c.cert = cert
	if !s.register(c) {
		conn.Close()
		return
	}
	s.st.open.Add(1)
	log.Info("tak: client connected")
	go c.writeLoop()
	c.offer(mustMessage(protoSupportEvent(time.Now())))
	// The catch-up is read while the device negotiates; it is queued after whatever the
	// reader has queued by then, in the protocol the stream is in when it is written.
	ctx, stop := context.WithCancel(s.ctx)
	caught := make(chan struct{})
	go func() {
		defer close(caught)
		s.catchUp(ctx, c)
	}()
	reason := c.readLoop()
	stop()
	<-caught
	if c.revoked.Load() {
		reason = "certificate revoked"
	}
	c.finish()
	s.unregister(c)
	s.st.open.Add(-1)
	args := []any{"reason", reason, "events", c.events, "observations", c.observations}
	if n := c.undelivered.Load(); n > 0 {
		args = append(args, "undelivered", n)
		log.Warn("tak: client disconnected; messages it did not get were counted", args...)
		return
	}
	log.Info("tak: client disconnected", args...)
}

func (s *Server) register(c *client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if r := s.opt.Revocations; r != nil && c.cert != nil {
		// Revoked since its handshake, perhaps while DisconnectRevoked went by.
		if _, revoked := r.Revoked(c.cert); revoked {
			s.st.revoked.Add(1)
			c.log.Warn("tak: client certificate revoked; connection closed")
			return false
		}
	}
	s.conns[c] = struct{}{}
	old := *s.clients.Load()
	list := make([]*client, len(old), len(old)+1)
	copy(list, old)
	list = append(list, c)
	s.clients.Store(&list)
	return true
}

func (s *Server) unregister(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	old := *s.clients.Load()
	list := make([]*client, 0, len(old))
	for _, x := range old {
		if x != c {
			list = append(list, x)
		}
	}
	s.clients.Store(&list)
}

// relayPosition queues a monitor's position for the other monitors, never for a liaison.
// Positions are relayed in batches, one every FlushDelay: with a thousand devices every
// position goes to every device, and one queued message per batch rather than per position
// keeps the cost of the fan-out and the depth of the queues a few tens of times smaller.
// The batch holds the positions' bytes one after another, so that each client's write of it
// is a few slices of the same bytes (see message.appendTo).
func (s *Server) relayPosition(from *client, m *message) {
	s.st.positions.Add(1)
	s.relayMu.Lock()
	p := s.relayPending
	if p == nil {
		p = &message{}
		s.relayPending = p
	}
	p.xml = append(p.xml, m.xml...)
	p.frame = append(p.frame, m.frame...)
	p.relay = append(p.relay, relaySpan{from: from, xmlEnd: len(p.xml), frameEnd: len(p.frame)})
	first := len(p.relay) == 1
	s.relayMu.Unlock()
	if first {
		if d := s.relayDelay(); d > 0 {
			time.AfterFunc(d, s.flushRelay)
		} else {
			s.flushRelay()
		}
	}
}

// relayDelay is how long the positions gathering now wait (see Options.FlushDelay).
func (s *Server) relayDelay() time.Duration {
	if d := s.opt.FlushDelay; d != 0 {
		return d
	}
	return max(minRelayDelay, time.Duration(len(*s.clients.Load()))*relayDelayPerDevice)
}

// The default relay delay: at least minRelayDelay, and relayDelayPerDevice for each device
// connected.
const (
	minRelayDelay       = 20 * time.Millisecond
	relayDelayPerDevice = 100 * time.Microsecond
)

func (s *Server) flushRelay() {
	s.relayMu.Lock()
	m := s.relayPending
	s.relayPending = nil
	s.relayMu.Unlock()
	if m == nil {
		return
	}
	for _, c := range *s.clients.Load() {
		if c.ident.Role == truce.RoleMonitor {
			c.offer(m)
		}
	}
}

// follow publishes the findings of every event the pipeline stores from now on: each batch
// the feed hands over goes to every monitor as one message, and to the liaisons of each
// party as one message holding that party's findings, the rule of the HTTP API.
func (s *Server) follow() {
	defer close(s.followDone)
	feed := s.opt.Pipe.Feed()
	last := feed.Last()
	var buf []truce.Event
	for {
		events, ok := feed.Since(buf[:0], last, 1000)
		if !ok {
			if s.opt.Store == nil {
				newest := feed.Last()
				s.log.Error("tak: findings not sent: the feed no longer holds them and there is no store to read", "from_seq", last+1, "to_seq", newest)
				last = newest
				continue
			}
			var err error
			if events, err = s.opt.Store.Events(s.ctx, last, 1000); err != nil {
				if s.ctx.Err() != nil {
					return
				}
				s.log.Error("tak: reading events to send", "after_seq", last, "err", err)
				select {
				case <-time.After(time.Second):
				case <-s.ctx.Done():
					return
				}
				continue
			}
		}
		buf = events
		s.publish(events)
		if n := len(events); n > 0 {
			last = events[n-1].Seq
			continue
		}
		if _, more := feed.Wait(s.ctx, last); !more {
			return
		}
	}
}

// catchUp sends c the recent findings it may see (see Options.CatchUp). It runs after c is
// registered for fan-out, so that a finding stored after the store is read reaches c live;
// one stored meanwhile may reach it twice, under the same uid, which updates the marker.
func (s *Server) catchUp(ctx context.Context, c *client) {
	limit := s.opt.CatchUp
	if limit <= 0 || s.opt.Store == nil {
		return
	}
	now := time.Now()
	f := truce.FindingFilter{From: now.Add(-s.opt.CatchUpWindow), Limit: 1000}
	switch c.ident.Role {
	case truce.RoleMonitor:
	case truce.RoleLiaison:
		f.Party = c.ident.Party
	default:
		return
	}
	// The store lists findings oldest first: keep the newest limit of them in a ring, grown
	// as needed (most connections find far fewer than the limit).
	var ring []truce.Finding
	next := 0
	for {
		page, cursor, err := s.opt.Store.Findings(ctx, f)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Error("tak: reading recent findings to send a device as it connects", "err", err)
			}
			return
		}
		for _, fd := range page {
			if fd.Review == truce.ReviewDismissed {
				continue
			}
			if len(ring) < limit {
				ring = append(ring, fd)
			} else {
				ring[next] = fd
				next = (next + 1) % limit
			}
		}
		if cursor == "" {
			break
		}
		f.Cursor = cursor
	}
	if len(ring) == 0 {
		return
	}
	m := &message{}
	n := 0
	for i := range ring {
		fd := &ring[(next+i)%len(ring)]
		// The observation's uncertainty is not kept with the finding: unknown.
		e := FindingEvent(fd, cot.Unknown, now, s.opt.FindingStale)
		e.Stale = fd.Time.Add(s.opt.FindingStale).UTC().Truncate(time.Millisecond)
		if !e.Stale.After(e.Time) {
			continue
		}
		frame, err := cot.AppendFrame(nil, e)
		if err != nil {
			c.log.Error("tak: finding cannot be written as CoT", "finding", fd.ID, "err", err)
			continue
		}
		m.append(cot.AppendXML(nil, e), frame)
		n++
	}
	if n == 0 || ctx.Err() != nil {
		return
	}
	c.offer(m)
	s.st.caughtUp.Add(int64(n))
	c.log.Debug("tak: sent the recent findings to a device as it connected", "findings", n)
}

// publish sends the findings of events: every finding to every monitor, and to the liaisons
// of each party that party's findings.
func (s *Server) publish(events []truce.Event) {
	all, byParty := s.encodeFindings(events, time.Now())
	if all == nil {
		return
	}
	for _, c := range *s.clients.Load() {
		switch c.ident.Role {
		case truce.RoleMonitor:
			c.offer(all)
		case truce.RoleLiaison:
			if pm := byParty[c.ident.Party]; pm != nil {
				c.offer(pm)
			}
		}
	}
}

// encodeFindings makes the messages publish offers: all the findings of events, and those of
// each party. Each finding is encoded once, in both encodings, straight into the message of
// all, and copied from there into its party's. all is nil when there is no finding.
func (s *Server) encodeFindings(events []truce.Event, now time.Time) (all *message, byParty map[string]*message) {
	// About 600 bytes a finding in TAK protocol and 900 in XML: room for most at once.
	sized := func(n int) *message {
		return &message{frame: make([]byte, 0, n*640), xml: make([]byte, 0, n*960)}
	}
	n := 0
	perParty := map[string]int{}
	for i := range events {
		for j := range events[i].Findings {
			n++
			if p := events[i].Findings[j].Party; p != "" {
				perParty[p]++
			}
		}
	}
	if n == 0 {
		return nil, nil
	}
	all = sized(n)
	byParty = make(map[string]*message, len(perParty))
	for p, k := range perParty {
		byParty[p] = sized(k)
	}
	for i := range events {
		ev := &events[i]
		ce := 0.0
		if ev.Observation != nil {
			ce = ev.Observation.CEm
		}
		for j := range ev.Findings {
			f := &ev.Findings[j]
			e := FindingEvent(f, ce, now, s.opt.FindingStale)
			fs, xs := len(all.frame), len(all.xml)
			var err error
			if all.frame, err = cot.AppendFrame(all.frame, e); err != nil {
				all.frame = all.frame[:fs]
				s.log.Error("tak: finding cannot be written as CoT", "finding", f.ID, "err", err)
				continue
			}
			all.xml = cot.AppendXML(all.xml, e)
			if pm := byParty[f.Party]; pm != nil {
				pm.append(all.xml[xs:], all.frame[fs:])
			}
			s.st.findings.Add(1)
		}
	}
	if len(all.xml) == 0 {
		return nil, nil
	}
	for p, pm := range byParty {
		if len(pm.xml) == 0 {
			delete(byParty, p) // none of its findings could be written
		}
	}
	return all, byParty
}
