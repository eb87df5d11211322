package cot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
)

// DefaultMaxEventSize is the largest event, XML or protobuf, that is decoded. TAK clients
// send events of a few hundred bytes to a few kilobytes; a drawn shape with many points
// can reach tens of kilobytes.
const DefaultMaxEventSize = 1 << 20

// Header bytes of TAK protocol framing.
const (
	magic = 0xbf
	// MeshVersionXML and MeshVersionProto are the versions in a mesh header.
	MeshVersionXML   = 0
	MeshVersionProto = 1
)

// Decoder reads a stream of events: XML events one after another (NewDecoder), or TAK
// protocol stream frames (NewProtoDecoder). A bad event is reported as a *DecodeError and
// skipped, and the next call goes on with the next event.
type Decoder struct {
	r     io.Reader
	proto bool
	// MaxEventSize is the largest event accepted; DefaultMaxEventSize unless changed before
	// the first call to Next.
	MaxEventSize int

	buf  []byte
	pos  int   // start of the unread input in buf
	off  int64 // offset in the input of buf[0]
	eof  bool
	rerr error // a read error other than io.EOF, returned once the buffer is used up
	raw  []byte
	scan scanner
}

// NewDecoder returns a Decoder for XML events.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: r, MaxEventSize: DefaultMaxEventSize}
}

// NewProtoDecoder returns a Decoder for TAK protocol version 1 stream frames: 0xbf, the
// length of the message as a varint, then the TakMessage. Messages that carry no event
// (TakControl only) are skipped.
func NewProtoDecoder(r io.Reader) *Decoder {
	return &Decoder{r: r, proto: true, MaxEventSize: DefaultMaxEventSize}
}

// InputOffset returns the offset in the input of the first byte not yet decoded.
func (d *Decoder) InputOffset() int64 { return d.off + int64(d.pos) }

// Raw returns the bytes of the event last returned by Next (the XML, or the frame). It is
// valid until the next call to Next.
func (d *Decoder) Raw() []byte { return d.raw }

// Next returns the next event, or io.EOF at the end of the input. A *DecodeError means that
// one event was bad and has been skipped; any other error is from the reader and is final.
func (d *Decoder) Next() (*Event, error) {
	d.raw = nil
	if d.proto {
		return d.nextFrame()
	}
	return d.nextXML()
}

// more reads more input into buf, keeping buf[d.pos:]. It returns false at the end of the
// input.
func (d *Decoder) more() bool {
	if d.eof {
		return false
	}
	if d.pos > 0 && d.pos >= len(d.buf)/2 {
		n := copy(d.buf, d.buf[d.pos:])
		d.buf = d.buf[:n]
		d.off += int64(d.pos)
		d.pos = 0
	}
	if cap(d.buf)-len(d.buf) < 1024 {
		nb := make([]byte, len(d.buf), max(2*cap(d.buf), 8192))
		copy(nb, d.buf)
		d.buf = nb
	}
	n, err := d.r.Read(d.buf[len(d.buf):cap(d.buf)])
	d.buf = d.buf[:len(d.buf)+n]
	if err != nil {
		d.eof = true
		if err != io.EOF {
			d.rerr = err
		}
	}
	return true
}

func (d *Decoder) end() error {
	if d.rerr != nil {
		return d.rerr
	}
	return io.EOF
}

func (d *Decoder) nextXML() (*Event, error) {
	for {
		d.scan.b = d.buf[d.pos:]
		d.scan.i = 0
		e := new(Event)
		start, err := d.scan.parseEvent(e)
		if err == nil && d.scan.i-start > d.MaxEventSize {
			de := &DecodeError{Offset: d.off + int64(d.pos+start), At: -1,
				Msg: "event is larger than " + strconv.Itoa(d.MaxEventSize) + " bytes"}
			d.pos += d.scan.i
			return nil, de
		}
		if err == nil {
			d.raw = d.buf[d.pos+start : d.pos+d.scan.i]
			d.pos += d.scan.i
			return e, nil
		}
		if err == errIncomplete {
			if start >= len(d.scan.b) && d.eof {
				d.pos = len(d.buf)
				return nil, d.end()
			}
			if len(d.buf)-d.pos-start > d.MaxEventSize {
				de := &DecodeError{Offset: d.off + int64(d.pos+start), At: -1,
					Msg: "event is larger than " + strconv.Itoa(d.MaxEventSize) + " bytes"}
				d.recover(start, len(d.scan.b))
				return nil, de
			}
			if d.more() {
				continue
			}
			de := asDecodeError(err, d.off+int64(d.pos), start, len(d.scan.b))
			d.recover(start, len(d.scan.b))
			return nil, de
		}
		de := asDecodeError(err, d.off+int64(d.pos), start, len(d.scan.b))
		if _, ok := err.(*fieldError); ok {
			// The event was read to its end; the next one begins there.
			d.pos += d.scan.i
			return nil, de
		}
		fault := d.scan.i
		if se, ok := err.(*syntaxError); ok {
			fault = se.off
		}
		d.recover(start, fault)
		return nil, de
	}
}

// recover moves past a bad event that began at start and went wrong at fault (both
// relative to d.pos) to the next "<event" where decoding may start again.
//
// An event start tag nested inside the bad event is the place to look first: it is what a
// truncated event followed by good ones looks like, the good events having been read as the
// bad one's children. Otherwise decoding resumes at the fault, never before: everything
// between start and the fault was read as part of the bad event, and reading it again from
// each "<event" hidden in its comments or CDATA would make the time to get past one bad
// event grow with the square of its size. Nesting is at most maxDepth deep, so a chain of
// nested bad events is rescanned at most maxDepth times.
func (d *Decoder) recover(start, fault int) {
	from := fault
	if n := d.scan.nested; n > start {
		from = n
	}
	d.resyncXML(d.pos + max(from, start+1))
}

// resyncXML moves to the next "<event" at or after buf[from], reading more input as needed.
func (d *Decoder) resyncXML(from int) {
	const tag = "<event"
	for {
		if from > len(d.buf) {
			from = len(d.buf)
		}
		for j := from; ; {
			k := bytes.Index(d.buf[j:], []byte(tag))
			if k < 0 {
				break
			}
			at := j + k + len(tag)
			if at >= len(d.buf) && !d.eof {
				from = j + k
				goto read
			}
			if at >= len(d.buf) || isSpace(d.buf[at]) || d.buf[at] == '>' || d.buf[at] == '/' {
				d.pos = j + k
				return
			}
			j = at
		}
		// Keep the last bytes, which may be the start of a tag cut by the read.
		from = max(from, len(d.buf)-len(tag)+1)
	read:
		d.pos = from
		if !d.more() {
			d.pos = len(d.buf)
			return
		}
		from = d.pos
	}
}

func (d *Decoder) nextFrame() (*Event, error) {
	for {
		// Header: 0xbf and a varint of at most 10 bytes.
		for len(d.buf)-d.pos < 11 && d.more() {
		}
		avail := d.buf[d.pos:]
		if len(avail) == 0 {
			return nil, d.end()
		}
		frameOff := d.off + int64(d.pos)
		if avail[0] != magic {
			// Skip to the next byte that could start a frame, and report the junk once.
			k := bytes.IndexByte(avail, magic)
			n := k
			if k < 0 {
				n = len(avail)
			}
			d.pos += n
			return nil, &DecodeError{Offset: frameOff, At: -1,
				Msg: fmt.Sprintf("%d bytes that are not a frame (a frame starts with 0xbf, not 0x%02x)", n, avail[0])}
		}
		size, n := binary.Uvarint(avail[1:])
		switch {
		case n == 0:
			d.pos = len(d.buf)
			return nil, &DecodeError{Offset: frameOff, At: -1, Msg: "truncated frame: the input ended inside the length"}
		case n < 0:
			// The length is lost, and with it where the frame ends: go on at the next
			// byte that could start a frame, as part of this error.
			d.pos++
			if k := bytes.IndexByte(d.buf[d.pos:], magic); k >= 0 {
				d.pos += k
			} else {
				d.pos = len(d.buf)
			}
			return nil, &DecodeError{Offset: frameOff, At: frameOff + 1, Msg: "bad varint length (more than 64 bits)"}
		}
		hdr := 1 + n
		if size > uint64(d.MaxEventSize) {
			d.pos += hdr
			d.discard(size)
			return nil, &DecodeError{Offset: frameOff, At: -1,
				Msg: fmt.Sprintf("frame of %d bytes is larger than the limit of %d", size, d.MaxEventSize)}
		}
		for uint64(len(d.buf)-d.pos-hdr) < size && d.more() {
		}
		if have := len(d.buf) - d.pos - hdr; uint64(have) < size {
			d.pos = len(d.buf)
			return nil, &DecodeError{Offset: frameOff, At: -1,
				Msg: fmt.Sprintf("truncated frame: wants %d bytes, the input has %d", size, have)}
		}
		frame := d.buf[d.pos : d.pos+hdr+int(size)]
		d.pos += len(frame)
		e, err := unmarshalProto(frame[hdr:])
		if err != nil {
			return nil, asDecodeError(err, frameOff, 0, len(frame))
		}
		if e == nil {
			continue // TakControl only
		}
		d.raw = frame
		return e, nil
	}
}

// discard skips n bytes of input without keeping them.
func (d *Decoder) discard(n uint64) {
	for n > 0 {
		if d.pos == len(d.buf) {
			d.buf, d.pos = d.buf[:0], 0
			if !d.more() {
				return
			}
		}
		k := uint64(len(d.buf) - d.pos)
		if k > n {
			k = n
		}
		d.pos += int(k)
		n -= k
		if d.pos == len(d.buf) {
			d.off += int64(d.pos)
			d.buf, d.pos = d.buf[:0], 0
		}
	}
}

// AppendFrame appends e as a TAK protocol stream frame: 0xbf, the length of the message as
// a varint, and the TakMessage.
//
// The message is marshalled straight into dst, its size known beforehand: a server that
// frames a burst of events for a thousand clients makes no copy of each.
func AppendFrame(dst []byte, e *Event) ([]byte, error) {
	return appendFrame(dst, e)
}

// AppendMesh appends e as a TAK protocol version 1 mesh datagram: 0xbf 0x01 0xbf and the
// TakMessage.
func AppendMesh(dst []byte, e *Event) ([]byte, error) {
	m, err := MarshalProto(e)
	if err != nil {
		return dst, err
	}
	dst = append(dst, magic, MeshVersionProto, magic)
	return append(dst, m...), nil
}

// UnmarshalMesh decodes a mesh datagram: 0xbf, the protocol version, 0xbf, then a TakMessage
// (version 1) or XML (version 0). A datagram that carries only a TakControl returns
// (nil, nil).
func UnmarshalMesh(b []byte) (*Event, error) {
	if len(b) < 3 || b[0] != magic || b[2] != magic {
		return nil, &DecodeError{At: -1, Msg: "not a mesh datagram (it must start 0xbf <version> 0xbf)"}
	}
	switch b[1] {
	case MeshVersionProto:
		e, err := unmarshalProto(b[3:])
		if err != nil {
			return nil, asDecodeError(err, 0, 0, len(b))
		}
		return e, nil
	case MeshVersionXML:
		e, err := UnmarshalXML(b[3:])
		if de, ok := err.(*DecodeError); ok {
			de.Offset += 3
			if de.At >= 0 {
				de.At += 3
			}
		}
		return e, err
	}
	return nil, &DecodeError{At: 1, Msg: "unsupported TAK protocol version " + strconv.Itoa(int(b[1]))}
}
