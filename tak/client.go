package tak

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/cot"
)

// message is one or more events ready to write, in both encodings, shared by every client
// it is sent to. frame is nil for an event TAK protocol cannot carry; such an event reaches
// only XML clients. A relayed batch of positions has them one after another in xml and frame
// and where each ends in relay: each client is written all of them but its own.
type message struct {
	xml   []byte
	frame []byte
	relay []relaySpan
	// switchToProto: the writer writes this message in XML and everything after it in TAK
	// protocol version 1 (the answer that grants a client's request).
	switchToProto bool
}

// relaySpan is where a relayed position ends in its batch's encodings, and the client it
// came from. It begins where the one before it ends.
type relaySpan struct {
	from             *client
	xmlEnd, frameEnd int
}

// appendTo appends to bufs what of m client c is written, in XML or TAK protocol: slices of
// m's bytes, never copies, so that a thousand clients write the same bytes.
func (m *message) appendTo(bufs net.Buffers, c *client, proto bool) net.Buffers {
	b := m.xml
	if proto {
		b = m.frame
	}
	if m.relay == nil {
		if len(b) > 0 {
			bufs = append(bufs, b)
		}
		return bufs
	}
	from, start := 0, 0 // from: the first byte not yet appended; start: the span's first byte
	for _, sp := range m.relay {
		end := sp.xmlEnd
		if proto {
			end = sp.frameEnd
		}
		if sp.from == c {
			if start > from {
				bufs = append(bufs, b[from:start])
			}
			from = end
		}
		start = end
	}
	if len(b) > from {
		bufs = append(bufs, b[from:])
	}
	return bufs
}

func (m *message) append(xml, frame []byte) {
	m.xml = append(m.xml, xml...)
	m.frame = append(m.frame, frame...)
}

func newMessage(e *cot.Event) (*message, error) {
	frame, err := cot.AppendFrame(nil, e)
	if err != nil {
		frame = nil
	}
	return &message{xml: cot.AppendXML(nil, e), frame: frame}, err
}

// mustMessage encodes the server's own control events, which are always valid.
func mustMessage(e *cot.Event) *message {
	m, err := newMessage(e)
	if err != nil {
		panic("tak: control event: " + err.Error())
	}
	return m
}

// client is one connection. The reader (readLoop, in the connection's goroutine) decodes
// and acts on what the device sends; the writer (writeLoop) writes what is queued for it.
type client struct {
	s     *Server
	conn  net.Conn
	ident Identity
	cert  *x509.Certificate // the TLS client's certificate; nil on plain TCP
	log   *slog.Logger
	// revoked: the server ended the connection because cert was revoked.
	revoked atomic.Bool

	q           chan *message
	cut         chan struct{} // closed when the client has fallen too far behind
	cutOnce     sync.Once
	done        chan struct{} // closed when the reader has finished
	writerDone  chan struct{}
	undelivered atomic.Int64
	// broken: the writer stopped before the connection ended (cut, or a write failed), so
	// what is left in the queue was never delivered.
	broken atomic.Bool

	// Owned by the reader.
	mapping              *cot.Mapping
	device, callsign     string
	events, observations int64
	liaisonNoted         bool
}

func newClient(s *Server, conn net.Conn, id Identity, log *slog.Logger) *client {
	m := *s.opt.Mapping
	m.Source = "tak"
	return &client{s: s, conn: conn, ident: id, log: log, mapping: &m,
		q: make(chan *message, s.opt.QueueLen), cut: make(chan struct{}),
		done: make(chan struct{}), writerDone: make(chan struct{})}
}

// offer queues m for the client without ever waiting: a client whose queue is full is cut.
func (c *client) offer(m *message) {
	select {
	case c.q <- m:
		return
	default:
	}
	c.undelivered.Add(1)
	c.cutOnce.Do(func() {
		c.s.st.cut.Add(1)
		c.log.Warn("tak: client cannot keep up; disconnecting it", "queued", len(c.q))
		close(c.cut)
		// A writer blocked on a full socket gets a second more, then fails and sees the cut.
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	})
}

// finish ends the connection once the reader is done, and waits for the writer.
func (c *client) finish() {
	close(c.done)
	c.conn.Close()
	<-c.writerDone
	if c.broken.Load() {
		c.undelivered.Add(int64(len(c.q)))
	}
	c.s.st.undelivered.Add(c.undelivered.Load())
}

// writeLoop writes queued messages until the connection ends or the client is cut, all that
// are queued in one write. Positions and findings arrive in batches (see relayPosition and
// publish), so a device with a thousand others costs a few writes a second, not one per
// message. On plain TCP the write is a single writev of the queued messages' own bytes,
// shared with every other client; on TLS, whose records are made per write, the bytes go
// through a buffer first.
func (c *client) writeLoop() {
	defer close(c.writerDone)
	var bw *bufio.Writer
	if _, ok := c.conn.(*tls.Conn); ok {
		bw = bufio.NewWriterSize(c.conn, 32<<10)
	}
	proto := false
	var bufs net.Buffers
	add := func(m *message) {
		bufs = m.appendTo(bufs, c, proto)
		if m.switchToProto {
			proto = true
		}
	}
	for {
		var m *message
		select {
		case <-c.done:
			return
		case <-c.cut:
			c.sendNotice(proto, true)
			return
		case m = <-c.q:
		}
		c.conn.SetWriteDeadline(time.Now().Add(c.s.opt.WriteTimeout))
		select {
		case <-c.cut:
			// Cut since the select above: its shorter deadline may have been overwritten
			// just now.
			c.undelivered.Add(1)
			c.sendNotice(proto, true)
			return
		default:
		}
		add(m)
		// Everything queued now, but no more than the queue holds, so that a client that
		// is fed as fast as it is written still gets a write.
	drain:
		for n := cap(c.q); n > 0; n-- {
			select {
			case m = <-c.q:
				add(m)
			default:
				break drain
			}
		}
		w := bufs // WriteTo consumes w
		var err error
		if bw != nil {
			if _, err = w.WriteTo(bw); err == nil {
				err = bw.Flush()
			}
		} else {
			_, err = w.WriteTo(c.conn)
		}
		clear(bufs) // let the messages go
		bufs = bufs[:0]
		if err != nil {
			select {
			case <-c.done: // the reader ended the connection
			case <-c.cut:
				// The write broke off inside a message: a notice now would not parse.
				c.sendNotice(proto, false)
				return
			default:
				if errors.Is(err, os.ErrDeadlineExceeded) {
					c.s.st.cut.Add(1)
					c.log.Warn("tak: client took no data for too long; disconnecting it", "write_timeout", c.s.opt.WriteTimeout, "queued", len(c.q))
				} else {
					c.log.Debug("tak: write", "err", err)
				}
			}
			c.broken.Store(true)
			c.conn.Close()
			return
		}
	}
}

// sendNotice tells a client that is being cut why, if the stream is at a message boundary
// (clean) and its socket takes the message within a second, and closes the connection. What
// is still queued is counted as undelivered when the connection ends (see finish).
func (c *client) sendNotice(proto, clean bool) {
	c.broken.Store(true)
	n := c.undelivered.Load() + int64(len(c.q))
	if !clean {
		c.log.Warn("tak: client cut", "undelivered", n)
		c.conn.Close()
		return
	}
	m := mustMessage(noticeEvent(time.Now(), "", "truce: this device fell too far behind the server's stream and is being disconnected; reconnect to resume."))
	b := m.xml
	if proto {
		b = m.frame
	}
	c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := c.conn.Write(b); err != nil {
		c.log.Debug("tak: the notice could not be sent", "err", err)
	}
	c.log.Warn("tak: client cut", "undelivered", n)
	c.conn.Close()
}

// readLoop reads events until the connection ends, and returns why it ended.
func (c *client) readLoop() string {
	er := &eventReader{conn: c.conn, idle: c.s.opt.IdleTimeout, max: c.s.opt.MaxEventSize}
	protocol := "xml"
	for {
		e, raw, err := er.next()
		if err != nil {
			var de *cot.DecodeError
			var ne net.Error
			switch {
			case errors.As(err, &de) && de.Field != "":
				c.s.st.badEvents.Add(1)
				c.log.Warn("tak: bad event dropped", "protocol", protocol, "err", de.Error())
				continue
			case errors.As(err, &de):
				c.s.st.badStreams.Add(1)
				c.log.Warn("tak: malformed stream; dropping the connection", "protocol", protocol, "err", de.Error())
				return "malformed stream"
			case err == io.EOF:
				return "closed by the client"
			case errors.Is(err, net.ErrClosed):
				return "closed by the server"
			case errors.As(err, &ne) && ne.Timeout():
				c.log.Info("tak: client silent too long; dropping it", "idle_timeout", c.s.opt.IdleTimeout)
				return "idle"
			default:
				return err.Error()
			}
		}
		c.events++
		c.s.st.events.Add(1)
		switch e.Type {
		case typePing:
			c.offer(mustMessage(pongEvent(time.Now())))
		case typeProtoRequest:
			if er.proto {
				continue // already switched; a repeated request changes nothing
			}
			v := takRequestVersion(e)
			granted := v == "1"
			m := mustMessage(protoResponseEvent(time.Now(), granted))
			m.switchToProto = granted
			c.offer(m)
			if !granted {
				c.log.Info("tak: refused a request for TAK protocol version; staying with XML", "version", v)
				continue
			}
			er.proto, protocol = true, "takproto-1"
			c.log.Debug("tak: switched to TAK protocol version 1")
		case typeProtoSupport, typeProtoResponse, typePong:
			// Only a server sends these; a client echoing them changes nothing.
		default:
			c.handleEvent(e, raw)
		}
	}
}

// handleEvent maps one event from the device: a patrol position is relayed, a marker is
// submitted as an observation, and anything else is counted and kept out of the record.
func (c *client) handleEvent(e *cot.Event, raw []byte) {
	if c.ident.Role != truce.RoleMonitor {
		c.s.st.ignored.Add(1)
		if !c.liaisonNoted {
			c.liaisonNoted = true
			c.log.Info("tak: a liaison's device submits no observations; its events are ignored", "uid", e.UID, "type", e.Type)
		}
		return
	}
	if selfReport(e) {
		// A device reporting itself: its uid is one of the mission's devices, and its own
		// reports are patrol positions, never observations of personnel. The first such uid
		// names the device on this connection; a gateway may carry more than one.
		if !c.mapping.IsOwnDevice(e.UID) {
			c.mapping.OwnDevices = append(slices.Clone(c.mapping.OwnDevices), e.UID)
		}
		if c.device == "" {
			c.device = e.UID
			c.log.Info("tak: device", "uid", e.UID, "callsign", e.Callsign())
		}
		if e.UID == c.device && e.Callsign() != "" {
			c.callsign = e.Callsign()
		}
	}
	mapped := c.mapping.Map(e, nil)
	switch mapped.Class {
	case cot.PatrolPosition:
		m, err := newMessage(e)
		if err != nil {
			c.log.Warn("tak: position relayed in XML only", "uid", e.UID, "err", err)
		}
		c.s.relayPosition(c, m)
	case cot.Observation:
		o := mapped.Observation
		o.Raw = bytes.Clone(raw)
		// uid@time: a marker moved or edited is a new report, a marker re-sent is not.
		o.ID = e.UID + "@" + e.Time.UTC().Format(time.RFC3339Nano)
		if o.Source == c.mapping.Source {
			// No producing device is linked: the device on this connection made it. Its uid
			// is stable where its callsign can be renamed, and the source is part of the
			// observation's identity.
			o.Source = "tak:" + c.deviceName()
		}
		if c.callsign != "" {
			o.Attrs["device_callsign"] = c.callsign
		}
		if err := c.s.opt.Pipe.Check(o); err != nil {
			c.s.st.refused.Add(1)
			c.log.Warn("tak: event refused", "uid", e.UID, "type", e.Type, "err", truce.ErrorMessage(err))
			return
		}
		c.observations++
		c.s.ing.add(c.s.opt.Pipe.JudgeInto(nil, o)[0])
	default:
		c.s.st.raw.Add(1)
		c.log.Debug("tak: event kept out of the record", "uid", e.UID, "type", e.Type, "reason", mapped.Reason)
	}
}

// deviceName is the device the connection belongs to: its uid once it has reported itself,
// else the name in its certificate or its address.
func (c *client) deviceName() string {
	if c.device != "" {
		return c.device
	}
	return c.ident.Name
}

// selfReport reports whether e is a device's report of itself: TAK clients put the endpoint
// they can be reached at in the contact, and their software in takv, only in those.
func selfReport(e *cot.Event) bool {
	if ct := e.Detail.Contact; ct != nil && ct.Endpoint != "" {
		return true
	}
	return e.Detail.Takv != nil
}
