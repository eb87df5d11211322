package ais

import (
	"strconv"
)

// Defaults for the reassembly table; see Decoder.
const (
	DefaultMaxPending = 32
	DefaultMaxAge     = 64
)

// Decoder turns sentences into messages, reassembling multi-sentence messages on the way. It
// is not safe for concurrent use; give each input stream its own Decoder.
//
// Memory is bounded: at most MaxPending messages wait for fragments, each fragment at most
// the length of the longest AIS message, and a message whose fragments have not all arrived
// within MaxAge sentences of its first one is dropped. Each drop is reported to OnExpire (if set) as an *Error of cause CauseLost naming the line of the
// first fragment held.
type Decoder struct {
	MaxPending int
	MaxAge     int64
	OnExpire   func(*Error)

	seen    int64 // sentences seen, the clock for expiry
	sent    Sentence
	msg     Message
	bs      bitString
	text    [512]byte
	joined  []byte
	pending []*pending
	partA   [partACacheSize]partA
	partAi  int
}

// pending is a multi-sentence message waiting for its fragments.
type pending struct {
	source    string
	channel   byte
	seq       int
	total     int
	own       bool
	have      uint16 // bit i set when fragment i+1 is held
	frags     [9][]byte
	fill      int
	firstLine int64
	born      int64
	unixMilli int64
}

// partA remembers the name sent in a type 24 part A so that the part B that follows can carry
// it, as gpsd reports it.
type partA struct {
	mmsi uint32
	n    uint8
	name [20]byte
}

const partACacheSize = 16

// Decode decodes one sentence; line is the caller's line number for error messages. It
// returns the message the sentence completes, or nil and no error when the sentence is a
// fragment of a message still incomplete. The returned Message and the slices in it are
// reused by the next call.
func (d *Decoder) Decode(line int64, b []byte) (*Message, error) {
	d.seen++
	s := &d.sent
	if err := ParseSentence(b, s); err != nil {
		e := err.(*Error)
		e.Line = line
		return nil, e
	}
	if s.Total == 1 {
		if len(d.pending) > 0 {
			// Single sentences age pending messages too, so a lost fragment is reported
			// MaxAge sentences later even when no other fragment follows.
			d.expire()
		}
		return d.decodePayload(line, s.Payload, s.Fill, s.Tag.Source, s.Tag.UnixMilli)
	}
	return d.fragment(line, s)
}

// decodePayload decodes a whole message's payload; source and unixMilli come from the tag
// block of the sentence, or of the first fragment that had one.
func (d *Decoder) decodePayload(line int64, payload []byte, fill int, source string, unixMilli int64) (*Message, error) {
	s := &d.sent
	if err := d.bs.unarmour(payload, fill); err != nil {
		e := err.(*Error)
		e.Line = line
		return nil, e
	}
	m := &d.msg
	*m = Message{
		Channel:   s.Channel,
		Own:       s.Own,
		Source:    source,
		UnixMilli: unixMilli,
		Payload:   payload,
		Fill:      fill,
	}
	if err := m.decodeBits(&d.bs, d.text[:0]); err != nil {
		e := err.(*Error)
		e.Line = line
		return nil, e
	}
	if m.Type == 24 {
		d.mergePartA(m)
	}
	return m, nil
}

// mergePartA stores a part A's name, or gives a part B the name of its MMSI's last part A.
func (d *Decoder) mergePartA(m *Message) {
	if m.Part == 0 {
		slot := -1
		for i := range d.partA {
			if d.partA[i].mmsi == m.MMSI {
				slot = i
				break
			}
		}
		if slot < 0 {
			// A new MMSI replaces the oldest entry.
			slot = d.partAi
			d.partAi = (d.partAi + 1) % partACacheSize
		}
		p := &d.partA[slot]
		p.mmsi = m.MMSI
		p.n = uint8(copy(p.name[:], m.Shipname))
		return
	}
	for i := range d.partA {
		if p := &d.partA[i]; p.mmsi == m.MMSI && p.mmsi != 0 {
			// The name goes after part B's own text in the shared buffer.
			used := len(m.VendorID) + len(m.Callsign)
			m.Shipname = append(d.text[used:used], p.name[:p.n]...)
			return
		}
	}
}

func (d *Decoder) fragment(line int64, s *Sentence) (*Message, error) {
	if len(s.Payload)*6 > MaxPayloadBits {
		// Refused before it is held, so that held fragments stay small.
		return nil, errorf(line, CauseLength, "payload", strconv.Itoa(len(s.Payload))+" characters is longer than any AIS message")
	}
	d.expire()
	p := d.find(s)
	if p != nil && p.have&(1<<(s.Number-1)) != 0 {
		// The same fragment again: the earlier message lost its other fragments and this
		// sentence starts a new one with a reused message id.
		d.drop(p, "fragment "+strconv.Itoa(s.Number)+" repeated before the message was complete")
		p = nil
	}
	if p == nil {
		p = d.add(s, line)
	}
	p.have |= 1 << (s.Number - 1)
	p.frags[s.Number-1] = append(p.frags[s.Number-1][:0], s.Payload...)
	if s.Number == s.Total {
		p.fill = s.Fill
	}
	if p.unixMilli == 0 {
		p.unixMilli = s.Tag.UnixMilli
	}
	if p.have != 1<<p.total-1 {
		return nil, nil
	}
	d.joined = d.joined[:0]
	for i := 0; i < p.total; i++ {
		d.joined = append(d.joined, p.frags[i]...)
	}
	fill, source, unixMilli := p.fill, p.source, p.unixMilli
	if source == "" {
		source = s.Tag.Source
	}
	d.release(p)
	return d.decodePayload(line, d.joined, fill, source, unixMilli)
}

// find returns the pending message s belongs to. A fragment without a tag block source joins
// a message from any source, since aggregators often tag only the first fragment.
func (d *Decoder) find(s *Sentence) *pending {
	var loose *pending
	for _, p := range d.pending {
		if p.channel != s.Channel || p.seq != s.SeqID || p.total != s.Total || p.own != s.Own {
			continue
		}
		if p.source == s.Tag.Source {
			return p
		}
		if s.Tag.Source == "" && (loose == nil || p.born > loose.born) {
			loose = p
		}
	}
	return loose
}

func (d *Decoder) add(s *Sentence, line int64) *pending {
	maxPending := d.MaxPending
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	if len(d.pending) >= maxPending {
		oldest := d.pending[0]
		for _, p := range d.pending[1:] {
			if p.born < oldest.born {
				oldest = p
			}
		}
		d.drop(oldest, "more than "+strconv.Itoa(maxPending)+" messages incomplete at once")
	}
	var p *pending
	if cap(d.pending) > len(d.pending) && d.pending[:len(d.pending)+1][len(d.pending)] != nil {
		// Reuse a released entry and its fragment buffers.
		p = d.pending[:len(d.pending)+1][len(d.pending)]
	} else {
		p = new(pending)
	}
	d.pending = append(d.pending, p)
	frags := p.frags
	*p = pending{
		source: s.Tag.Source, channel: s.Channel, seq: s.SeqID, total: s.Total, own: s.Own,
		firstLine: line, born: d.seen, frags: frags,
	}
	return p
}

// release removes p from the pending table, keeping its buffers for reuse.
func (d *Decoder) release(p *pending) {
	for i, q := range d.pending {
		if q == p {
			last := len(d.pending) - 1
			d.pending[i] = d.pending[last]
			d.pending[last] = p
			d.pending = d.pending[:last]
			return
		}
	}
}

func (d *Decoder) drop(p *pending, why string) {
	if d.OnExpire != nil {
		missing := make([]byte, 0, 16)
		for i := 0; i < p.total; i++ {
			if p.have&(1<<i) == 0 {
				if len(missing) > 0 {
					missing = append(missing, ',')
				}
				missing = strconv.AppendInt(missing, int64(i+1), 10)
			}
		}
		d.OnExpire(errorf(p.firstLine, CauseLost, "fragments",
			"message of "+strconv.Itoa(p.total)+" sentences lacks fragment "+string(missing)+": "+why))
	}
	d.release(p)
}

func (d *Decoder) expire() {
	maxAge := d.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	for i := 0; i < len(d.pending); {
		p := d.pending[i]
		if d.seen-p.born > maxAge {
			d.drop(p, "not complete within "+strconv.FormatInt(maxAge, 10)+" sentences")
			continue // drop moved another entry into slot i
		}
		i++
	}
}

// Flush drops every incomplete message, reporting each to OnExpire; call it at the end of
// the input.
func (d *Decoder) Flush() {
	for len(d.pending) > 0 {
		d.drop(d.pending[0], "input ended")
	}
}

// Pending returns how many messages wait for fragments.
func (d *Decoder) Pending() int { return len(d.pending) }
