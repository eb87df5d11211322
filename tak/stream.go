package tak

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/truce-project/truce/cot"
)

// eventReader splits a client's stream into events, as TAK servers do: in XML, each event
// ends at the first "</event>"; in TAK protocol, each frame is 0xbf, a varint length and the
// TakMessage. Doing the framing here, rather than in a decoder that reads ahead, gives two
// things a server needs. The switch of protocol happens at an exact byte, since nothing past
// the event in hand has been interpreted; and a fault of framing (a length over the limit, a
// bad varint, no end tag within the limit) is reported as soon as its bytes arrive, without
// waiting for more input that may never come.
//
// An XML event whose comments or CDATA hold the text "</event>" is cut there and fails to
// parse, which drops the connection; TAK clients do not send such events.
type eventReader struct {
	conn  deadlineReader
	idle  time.Duration
	max   int
	proto bool

	buf        []byte
	start, end int   // buf[start:end] is read and not yet used
	off        int64 // stream offset of buf[0]
	scanned    int   // XML: bytes after start already searched for the end tag
	eof        bool
	rerr       error
}

// deadlineReader is what eventReader reads: a connection, whose every read is bounded by the
// idle timeout.
type deadlineReader interface {
	io.Reader
	SetReadDeadline(time.Time) error
}

var endTag = []byte("</event>")

// errStream is a fault of framing: the connection cannot go on.
func (r *eventReader) errStream(at int64, format string, args ...any) error {
	return &cot.DecodeError{Offset: at, At: -1, Msg: fmt.Sprintf(format, args...)}
}

// fill reads more input, keeping buf[start:end]. It returns false at the end of the input.
func (r *eventReader) fill() bool {
	if r.eof {
		return false
	}
	if r.start > 0 && (r.start == r.end || r.end == len(r.buf)) {
		n := copy(r.buf, r.buf[r.start:r.end])
		r.off += int64(r.start)
		r.start, r.end = 0, n
	}
	if r.end == len(r.buf) {
		nb := make([]byte, max(2*len(r.buf), 16<<10))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	r.conn.SetReadDeadline(time.Now().Add(r.idle))
	n, err := r.conn.Read(r.buf[r.end:])
	r.end += n
	if err != nil {
		r.eof = true
		if err != io.EOF {
			r.rerr = err
		}
	}
	return n > 0 || !r.eof
}

func (r *eventReader) endErr() error {
	if r.rerr != nil {
		return r.rerr
	}
	return io.EOF
}

// next returns the next event and the bytes it came in. A *cot.DecodeError with a Field is
// one bad event, already skipped; one without a Field is a fault of the stream, after which
// next must not be called again. Any other error ends the stream (io.EOF, a timeout).
func (r *eventReader) next() (*cot.Event, []byte, error) {
	if r.proto {
		return r.nextFrame()
	}
	return r.nextXML()
}

func (r *eventReader) nextXML() (*cot.Event, []byte, error) {
	for {
		from := r.start + r.scanned
		if i := bytes.Index(r.buf[from:r.end], endTag); i >= 0 {
			stop := from + i + len(endTag)
			raw, at := r.buf[r.start:stop], r.off+int64(r.start)
			r.start, r.scanned = stop, 0
			if len(raw) > r.max {
				return nil, nil, r.errStream(at, "event is larger than %d bytes", r.max)
			}
			e, err := cot.UnmarshalXML(raw)
			if err != nil {
				return nil, nil, shift(err, at)
			}
			return e, raw, nil
		}
		// The end tag may be cut by the read: search again from its length before the end.
		r.scanned = max(0, r.end-r.start-len(endTag)+1)
		if r.end-r.start > r.max {
			return nil, nil, r.errStream(r.off+int64(r.start), "no end of event within %d bytes: event is larger than %d bytes", r.max, r.max)
		}
		if !r.fill() {
			if len(bytes.TrimSpace(r.buf[r.start:r.end])) == 0 {
				return nil, nil, r.endErr()
			}
			if r.rerr != nil {
				return nil, nil, r.rerr
			}
			return nil, nil, r.errStream(r.off+int64(r.start), "truncated: the stream ended inside an event")
		}
	}
}

func (r *eventReader) nextFrame() (*cot.Event, []byte, error) {
	for {
		for r.end == r.start {
			if !r.fill() {
				return nil, nil, r.endErr()
			}
		}
		at := r.off + int64(r.start)
		if b := r.buf[r.start]; b != 0xbf {
			return nil, nil, r.errStream(at, "not a frame: a frame starts with 0xbf, not 0x%02x", b)
		}
		size, n := binary.Uvarint(r.buf[r.start+1 : r.end])
		switch {
		case n < 0 || n == 0 && r.end-r.start > binary.MaxVarintLen64:
			return nil, nil, r.errStream(at, "bad varint length (more than 64 bits)")
		case n == 0:
			if !r.fill() {
				return nil, nil, r.truncated(at, "the stream ended inside the length")
			}
			continue
		case size > uint64(r.max):
			return nil, nil, r.errStream(at, "frame of %d bytes is larger than the limit of %d", size, r.max)
		}
		hdr := 1 + n
		for r.end-r.start < hdr+int(size) {
			if !r.fill() {
				return nil, nil, r.truncated(at, fmt.Sprintf("wants %d bytes, the stream ended after %d", size, r.end-r.start-hdr))
			}
		}
		frame := r.buf[r.start : r.start+hdr+int(size)]
		r.start += len(frame)
		e, err := cot.UnmarshalProto(frame[hdr:])
		if err != nil {
			return nil, nil, shift(err, at)
		}
		if e == nil {
			continue // a TakControl alone carries nothing for the server
		}
		return e, frame, nil
	}
}

func (r *eventReader) truncated(at int64, msg string) error {
	if r.rerr != nil {
		return r.rerr
	}
	return r.errStream(at, "truncated frame: %s", msg)
}

// shift makes the offsets of a decode error count from the start of the stream.
func shift(err error, at int64) error {
	var de *cot.DecodeError
	if !errors.As(err, &de) {
		return err
	}
	c := *de
	c.Offset += at
	if c.At >= 0 {
		c.At += at
	}
	return &c
}
