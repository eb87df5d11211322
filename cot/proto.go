package cot

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/cot/internal/takpb"
)

// The six detail elements with messages of their own are put in them only when they fit
// exactly: only the attributes the message has, each present (an absent number would read
// back as zero) and parseable. Anything else is carried in xmlDetail, so nothing is lost.

func contactFits(c *Contact) bool { return len(c.Attrs) == 0 }
func groupFits(g *Group) bool     { return len(g.Attrs) == 0 }
func precisionFits(p *PrecisionLocation) bool {
	return len(p.Attrs) == 0
}
func takvFits(t *Takv) bool { return len(t.Attrs) == 0 }

func statusFits(s *Status) bool {
	if len(s.Attrs) != 0 || s.Readiness != "" {
		return false
	}
	n, err := strconv.ParseUint(s.Battery, 10, 32)
	return err == nil && strconv.FormatUint(n, 10) == s.Battery
}

func trackFits(t *Track) bool {
	if len(t.Attrs) != 0 {
		return false
	}
	_, ok1 := parseFinite(t.Speed)
	_, ok2 := parseFinite(t.Course)
	return ok1 && ok2
}

// MarshalProto returns the TAK protocol version 1 TakMessage for e, without framing. An
// event the protocol cannot carry (a time before 1970) is a *truce.Error with code
// truce.EINVALID.
func MarshalProto(e *Event) ([]byte, error) {
	m, err := toProto(e)
	if err != nil {
		return nil, truce.Errorf(truce.EINVALID, "cot: event %q: %v", e.UID, err)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		// Strings that are not UTF-8 are the only way to get here: protobuf refuses them.
		return nil, truce.Errorf(truce.EINVALID, "cot: event %q: %v", e.UID, err)
	}
	return b, nil
}

// appendFrame is AppendFrame: the size of the TakMessage, cached by proto.Size, gives the
// frame's header before the message is marshalled after it.
func appendFrame(dst []byte, e *Event) ([]byte, error) {
	m, err := toProto(e)
	if err != nil {
		return dst, truce.Errorf(truce.EINVALID, "cot: event %q: %v", e.UID, err)
	}
	size := proto.Size(m)
	start := len(dst)
	dst = append(dst, magic)
	dst = binary.AppendUvarint(dst, uint64(size))
	dst, err = proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(dst, m)
	if err != nil {
		// Strings that are not UTF-8 are the only way to get here: protobuf refuses them.
		return dst[:start], truce.Errorf(truce.EINVALID, "cot: event %q: %v", e.UID, err)
	}
	return dst, nil
}

func toProto(e *Event) (*takpb.TakMessage, error) {
	ms := func(field string, t time.Time) (uint64, error) {
		if t.Before(time.Unix(0, 0)) {
			return 0, &fieldError{field, "times before 1970 cannot be written in TAK protocol"}
		}
		return uint64(t.UnixMilli()), nil
	}
	ev := &takpb.CotEvent{
		Type:   e.Type,
		Access: e.Access,
		Qos:    e.QoS,
		Opex:   e.Opex,
		Uid:    e.UID,
		How:    e.How,
		Lat:    e.Point.Lat,
		Lon:    e.Point.Lon,
		Hae:    e.Point.HAE,
		Ce:     e.Point.CE,
		Le:     e.Point.LE,
	}
	var err error
	if ev.SendTime, err = ms("event@time", e.Time); err != nil {
		return nil, err
	}
	if ev.StartTime, err = ms("event@start", e.Start); err != nil {
		return nil, err
	}
	if ev.StaleTime, err = ms("event@stale", e.Stale); err != nil {
		return nil, err
	}
	d := &e.Detail
	if !d.IsEmpty() {
		pd := &takpb.Detail{XmlDetail: string(appendDetail(nil, d, false))}
		if c := d.Contact; c != nil && contactFits(c) {
			pd.Contact = &takpb.Contact{Callsign: c.Callsign, Endpoint: c.Endpoint}
		}
		if g := d.Group; g != nil && groupFits(g) {
			pd.Group = &takpb.Group{Name: g.Name, Role: g.Role}
		}
		if p := d.PrecisionLocation; p != nil && precisionFits(p) {
			pd.PrecisionLocation = &takpb.PrecisionLocation{Geopointsrc: p.GeoPointSrc, Altsrc: p.AltSrc}
		}
		if s := d.Status; s != nil && statusFits(s) {
			n, _ := strconv.ParseUint(s.Battery, 10, 32)
			pd.Status = &takpb.Status{Battery: uint32(n)}
		}
		if t := d.Takv; t != nil && takvFits(t) {
			pd.Takv = &takpb.Takv{Device: t.Device, Platform: t.Platform, Os: t.OS, Version: t.Version}
		}
		if t := d.Track; t != nil && trackFits(t) {
			speed, _ := t.SpeedValue()
			course, _ := t.CourseValue()
			pd.Track = &takpb.Track{Speed: speed, Course: course}
		}
		ev.Detail = pd
	}
	return &takpb.TakMessage{CotEvent: ev}, nil
}

// UnmarshalProto decodes a TakMessage (without framing). A message that carries only a
// TakControl and no event returns (nil, nil).
func UnmarshalProto(b []byte) (*Event, error) {
	e, err := unmarshalProto(b)
	if err != nil {
		return nil, asDecodeError(err, 0, 0, len(b))
	}
	return e, nil
}

func unmarshalProto(b []byte) (*Event, error) {
	if len(b) > DefaultMaxEventSize {
		return nil, &fieldError{"TakMessage", "larger than " + strconv.Itoa(DefaultMaxEventSize) + " bytes"}
	}
	var m takpb.TakMessage
	if err := proto.Unmarshal(b, &m); err != nil {
		return nil, &fieldError{"TakMessage", "not a valid protobuf message: " + err.Error()}
	}
	ev := m.CotEvent
	if ev == nil {
		return nil, nil
	}
	e := &Event{
		Version: "2.0",
		UID:     ev.Uid,
		Type:    ev.Type,
		How:     ev.How,
		Access:  ev.Access,
		QoS:     ev.Qos,
		Opex:    ev.Opex,
		Point:   Point{Lat: ev.Lat, Lon: ev.Lon, HAE: ev.Hae, CE: ev.Ce, LE: ev.Le},
	}
	var err error
	if e.Time, err = fromMillis("cotEvent.sendTime", ev.SendTime); err != nil {
		return nil, err
	}
	if e.Start, err = fromMillis("cotEvent.startTime", ev.StartTime); err != nil {
		return nil, err
	}
	if e.Stale, err = fromMillis("cotEvent.staleTime", ev.StaleTime); err != nil {
		return nil, err
	}
	if e.UID == "" {
		return nil, &fieldError{"cotEvent.uid", "required"}
	}
	if err := e.Point.validate(); err != nil {
		fe := err.(*fieldError)
		fe.field = "cotEvent." + fe.field[len("point@"):]
		return nil, fe
	}
	if pd := ev.Detail; pd != nil {
		d := &e.Detail
		// The messages first: an element of the same name in xmlDetail is then a second
		// one, kept in Extra, as it was when the event was written.
		if c := pd.Contact; c != nil {
			d.Contact = &Contact{Callsign: c.Callsign, Endpoint: c.Endpoint}
		}
		if g := pd.Group; g != nil {
			d.Group = &Group{Name: g.Name, Role: g.Role}
		}
		if p := pd.PrecisionLocation; p != nil {
			d.PrecisionLocation = &PrecisionLocation{GeoPointSrc: p.Geopointsrc, AltSrc: p.Altsrc}
		}
		if s := pd.Status; s != nil {
			d.Status = &Status{Battery: strconv.FormatUint(uint64(s.Battery), 10)}
		}
		if t := pd.Takv; t != nil {
			d.Takv = &Takv{Device: t.Device, Platform: t.Platform, OS: t.Os, Version: t.Version}
		}
		if t := pd.Track; t != nil {
			d.Track = &Track{
				Speed:  strconv.FormatFloat(t.Speed, 'f', -1, 64),
				Course: strconv.FormatFloat(t.Course, 'f', -1, 64),
			}
		}
		if err := d.unmarshalXMLDetail(pd.XmlDetail); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// fromMillis converts a TAK protocol time. Zero is refused: it is what a sender that forgot
// the field sends.
func fromMillis(field string, ms uint64) (time.Time, error) {
	if ms == 0 {
		return time.Time{}, &fieldError{field, "required"}
	}
	if ms > math.MaxInt64 {
		return time.Time{}, &fieldError{field, strconv.FormatUint(ms, 10) + " ms is out of range"}
	}
	return time.UnixMilli(int64(ms)).UTC(), nil
}

// unmarshalXMLDetail parses the xmlDetail of a TAK protocol message: the children of a
// detail element, without the detail element itself.
func (d *Detail) unmarshalXMLDetail(x string) error {
	if x == "" {
		return nil
	}
	b := make([]byte, 0, len(x)+len("<detail></detail>"))
	b = append(b, "<detail>"...)
	b = append(b, x...)
	b = append(b, "</detail>"...)
	s := scanners.Get().(*scanner)
	defer func() { s.b = nil; scanners.Put(s) }()
	s.b, s.i = b, len("<detail>")
	err := s.parseDetail(d, []byte("detail"))
	if err == nil && s.i != len(b) {
		err = s.fail(s.i, "</detail> in xmlDetail")
	}
	if err != nil {
		if se, ok := err.(*syntaxError); ok {
			return &fieldError{"cotEvent.detail.xmlDetail", "byte " + strconv.Itoa(se.off-len("<detail>")) + ": " + se.msg}
		}
		return &fieldError{"cotEvent.detail.xmlDetail", "not well formed: " + err.Error()}
	}
	return nil
}

func protoMarshal(m *takpb.TakMessage) ([]byte, error) { return proto.Marshal(m) }
