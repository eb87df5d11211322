package cot

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// UnmarshalXML decodes one XML event from b. Anything after the event other than white
// space, comments and processing instructions is an error; to read a stream of events use
// a Decoder. The error is a *DecodeError with offsets counted from the start of b.
func UnmarshalXML(b []byte) (*Event, error) {
	if len(b) > DefaultMaxEventSize {
		return nil, &DecodeError{At: -1, Msg: "event is larger than " + strconv.Itoa(DefaultMaxEventSize) + " bytes"}
	}
	s := scanners.Get().(*scanner)
	defer func() { s.b = nil; scanners.Put(s) }()
	s.b, s.i = b, 0
	e := new(Event)
	start, err := s.parseEvent(e)
	if err == nil {
		err = s.skipMisc()
		if err == nil && s.i < len(b) {
			err = s.fail(s.i, "more than one element")
		}
	}
	if err != nil {
		return nil, asDecodeError(err, 0, start, len(b))
	}
	return e, nil
}

// asDecodeError turns a scanner or field error into a *DecodeError for an event that
// begins at base+start of the input; n is the length of the buffer, for truncation.
func asDecodeError(err error, base int64, start, n int) *DecodeError {
	switch e := err.(type) {
	case *DecodeError:
		return e
	case *syntaxError:
		return &DecodeError{Offset: base + int64(start), At: base + int64(e.off), Msg: e.msg}
	case *fieldError:
		return &DecodeError{Offset: base + int64(start), At: -1, Field: e.field, Msg: e.msg}
	}
	if err == errIncomplete {
		return &DecodeError{Offset: base + int64(start), At: base + int64(n), Msg: "truncated: the input ended inside the event"}
	}
	return &DecodeError{Offset: base + int64(start), At: -1, Msg: err.Error()}
}

// parseEvent decodes the event that begins at or after s.i (after white space, comments
// and an XML declaration) into e. It returns the offset of the event's '<'.
func (s *scanner) parseEvent(e *Event) (start int, err error) {
	s.nested = -1
	if err := s.skipMisc(); err != nil {
		return s.i, err
	}
	start = s.i
	if s.i >= len(s.b) {
		return start, errIncomplete
	}
	name, self, err := s.startTag()
	if err != nil {
		return start, err
	}
	if string(name) != "event" {
		return start, s.fail(start, "root element is <"+string(name)+">, not <event>")
	}
	// A bad value in a field is reported once the event has been read to its end, so that
	// a stream decoder knows where the next event begins; only bad syntax stops at once.
	var ferr error
	var have struct{ time, start, stale bool }
	for _, a := range s.attrs {
		v, err := s.attrString(a)
		if err != nil {
			return start, err
		}
		switch string(a.name) {
		case "version":
			e.Version = v
		case "uid":
			e.UID = v
		case "type":
			e.Type = v
		case "how":
			e.How = v
		case "time":
			e.Time, err = parseTime("event@time", v)
			have.time = true
		case "start":
			e.Start, err = parseTime("event@start", v)
			have.start = true
		case "stale":
			e.Stale, err = parseTime("event@stale", v)
			have.stale = true
		case "access":
			e.Access = v
		case "qos":
			e.QoS = v
		case "opex":
			e.Opex = v
		default:
			e.Attrs = append(e.Attrs, Attr{s.str(a.name), v})
		}
		if err != nil && ferr == nil {
			ferr = err
		}
	}
	havePoint := false
	if !self {
		for {
			child, self, at, done, err := s.next(name, 1, nil)
			if err != nil {
				return start, err
			}
			if done {
				break
			}
			switch {
			case string(child) == "point" && !havePoint:
				if err := s.parsePoint(&e.Point); err != nil && ferr == nil {
					ferr = err
				}
				havePoint = true
				if !self {
					if _, err := s.content(child, 2, nil); err != nil {
						return start, err
					}
				}
			case string(child) == "detail" && !self:
				if err := s.parseDetail(&e.Detail, child); err != nil {
					return start, err
				}
			default:
				if !self {
					if _, err := s.content(child, 2, nil); err != nil {
						return start, err
					}
				}
				if string(child) != "detail" {
					e.Other = append(e.Other, s.b[at:s.i]...)
				}
			}
		}
	}
	// XML is text: an event that is not UTF-8 is refused whole, rather than letting bytes
	// that no other client can read into strings and on into TAK protocol.
	if !utf8.Valid(s.b[start:s.i]) {
		bad := start
		for r, n := rune(0), 0; bad < s.i; bad += n {
			if r, n = utf8.DecodeRune(s.b[bad:s.i]); r == utf8.RuneError && n <= 1 {
				break
			}
		}
		return start, s.fail(bad, "not valid UTF-8")
	}
	if ferr != nil {
		return start, ferr
	}
	switch {
	case e.UID == "":
		return start, &fieldError{"event@uid", "required"}
	case !have.time:
		return start, &fieldError{"event@time", "required"}
	case !have.start:
		return start, &fieldError{"event@start", "required"}
	case !have.stale:
		return start, &fieldError{"event@stale", "required"}
	case !havePoint:
		return start, &fieldError{"point", "required"}
	}
	return start, nil
}

func (s *scanner) parsePoint(p *Point) error {
	var have [5]bool
	for _, a := range s.attrs {
		var dst *float64
		var k int
		switch string(a.name) {
		case "lat":
			dst, k = &p.Lat, 0
		case "lon":
			dst, k = &p.Lon, 1
		case "hae":
			dst, k = &p.HAE, 2
		case "ce":
			dst, k = &p.CE, 3
		case "le":
			dst, k = &p.LE, 4
		default:
			continue
		}
		v, err := strconv.ParseFloat(string(a.value), 64)
		if err != nil {
			return &fieldError{"point@" + string(a.name), strconv.Quote(string(a.value)) + " is not a number"}
		}
		*dst, have[k] = v, true
	}
	for k, name := range [...]string{"lat", "lon"} {
		if !have[k] {
			return &fieldError{"point@" + name, "required"}
		}
	}
	// hae, ce and le are required by the schema, but a missing one means no more than
	// "unknown", which is what CoT writes for them.
	for k := 2; k < 5; k++ {
		if !have[k] {
			*[...]*float64{&p.HAE, &p.CE, &p.LE}[k-2] = Unknown
		}
	}
	return p.validate()
}

// validate checks the ranges of a point. Height and errors may be NaN (some clients send
// it for unknown) but latitude and longitude must be real coordinates.
func (p *Point) validate() error {
	switch {
	case math.IsNaN(p.Lat) || p.Lat < -90 || p.Lat > 90:
		return &fieldError{"point@lat", strconv.FormatFloat(p.Lat, 'g', -1, 64) + " is outside [-90, 90]"}
	case math.IsNaN(p.Lon) || p.Lon < -180 || p.Lon > 180:
		return &fieldError{"point@lon", strconv.FormatFloat(p.Lon, 'g', -1, 64) + " is outside [-180, 180]"}
	case math.IsInf(p.HAE, 0):
		return &fieldError{"point@hae", "is infinite"}
	case math.IsInf(p.CE, 0) || p.CE < 0:
		return &fieldError{"point@ce", strconv.FormatFloat(p.CE, 'g', -1, 64) + " is not a finite distance"}
	case math.IsInf(p.LE, 0) || p.LE < 0:
		return &fieldError{"point@le", strconv.FormatFloat(p.LE, 'g', -1, 64) + " is not a finite distance"}
	}
	return nil
}

// parseTime parses a CoT time: RFC 3339 in UTC or with an offset, with any number of
// fractional digits ("2023-07-18T15:23:09.00Z").
func parseTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, &fieldError{field, strconv.Quote(v) + " is not an RFC 3339 time"}
	}
	return t.UTC(), nil
}

// parseDetail reads the children of the detail element, whose start tag has been read.
func (s *scanner) parseDetail(d *Detail, name []byte) error {
	s.extra, s.links, s.blk = s.extra[:0], s.links[:0], nil
	for {
		child, self, at, done, err := s.next(name, 2, nil)
		if err != nil {
			return err
		}
		if done {
			break
		}
		var children bool
		s.elemText = s.elemText[:0]
		if !self {
			if children, err = s.content(child, 3, &s.elemText); err != nil {
				return err
			}
		}
		// The attributes of child are gone once content has read its children, so an
		// element with children is never modelled; nor is one with text, other than
		// remarks, since its model has no place for the text.
		if children || (string(child) != "remarks" && !isBlank(s.elemText)) || !s.model(d, child, s.elemText) {
			s.extra = append(s.extra, s.b[at:s.i]...)
		}
	}
	if len(s.extra) > 0 {
		d.Extra = append(d.Extra, s.extra...)
	}
	if len(s.links) > 0 {
		d.Links = append(d.Links, s.links...)
	}
	return nil
}

// detailBlock holds the modelled elements of one detail, allocated together.
type detailBlock struct {
	Contact           Contact
	Group             Group
	PrecisionLocation PrecisionLocation
	Status            Status
	Takv              Takv
	Track             Track
	UID               DetailUID
	Remarks           Remarks
}

// block returns the detailBlock of the detail being parsed, allocating it on first use.
func (s *scanner) block() *detailBlock {
	if s.blk == nil {
		s.blk = new(detailBlock)
	}
	return s.blk
}

// model puts an element with the attributes in s.attrs into its slot in d, and reports
// false if it has none (not a modelled element, or the slot is taken).
func (s *scanner) model(d *Detail, name, text []byte) bool {
	switch string(name) {
	case "contact":
		if d.Contact != nil {
			return false
		}
		c := &s.block().Contact
		if !s.fill(&c.Attrs, "callsign", &c.Callsign, "endpoint", &c.Endpoint) {
			return false
		}
		d.Contact = c
	case "__group":
		if d.Group != nil {
			return false
		}
		g := &s.block().Group
		if !s.fill(&g.Attrs, "name", &g.Name, "role", &g.Role) {
			return false
		}
		d.Group = g
	case "precisionlocation":
		if d.PrecisionLocation != nil {
			return false
		}
		p := &s.block().PrecisionLocation
		if !s.fill(&p.Attrs, "geopointsrc", &p.GeoPointSrc, "altsrc", &p.AltSrc) {
			return false
		}
		d.PrecisionLocation = p
	case "status":
		if d.Status != nil {
			return false
		}
		st := &s.block().Status
		if !s.fill(&st.Attrs, "battery", &st.Battery, "readiness", &st.Readiness) {
			return false
		}
		d.Status = st
	case "takv":
		if d.Takv != nil {
			return false
		}
		t := &s.block().Takv
		if !s.fill(&t.Attrs, "device", &t.Device, "platform", &t.Platform, "os", &t.OS, "version", &t.Version) {
			return false
		}
		d.Takv = t
	case "track":
		if d.Track != nil {
			return false
		}
		t := &s.block().Track
		if !s.fill(&t.Attrs, "speed", &t.Speed, "course", &t.Course) {
			return false
		}
		d.Track = t
	case "uid":
		if d.UID != nil {
			return false
		}
		u := &s.block().UID
		if !s.fill(&u.Attrs, "Droid", &u.Droid) {
			return false
		}
		d.UID = u
	case "remarks":
		if d.Remarks != nil {
			return false
		}
		r := &s.block().Remarks
		r.Text = s.str(text)
		if !s.fill(&r.Attrs) {
			return false
		}
		d.Remarks = r
	case "link":
		var l Link
		if !s.fill(&l.Attrs, "uid", &l.UID, "type", &l.Type, "relation", &l.Relation, "callsign", &l.Callsign, "point", &l.Point) {
			return false
		}
		s.links = append(s.links, l)
	default:
		return false
	}
	return true
}

// fill sets the fields named in pairs ("callsign", &c.Callsign, ...) from s.attrs and puts
// the other attributes in *other. A modelled attribute that is present but empty goes to
// *other too, since an empty field means absent. It reports false if an attribute value is
// not well formed, in which case the element is kept verbatim instead.
func (s *scanner) fill(other *[]Attr, pairs ...any) bool {
next:
	for _, a := range s.attrs {
		v, err := s.attrString(a)
		if err != nil {
			return false
		}
		for k := 0; k < len(pairs); k += 2 {
			if string(a.name) == pairs[k].(string) {
				if v == "" {
					break
				}
				*pairs[k+1].(*string) = v
				continue next
			}
		}
		*other = append(*other, Attr{s.str(a.name), v})
	}
	return true
}

// MarshalXML returns the XML of e; see AppendXML.
func MarshalXML(e *Event) []byte { return AppendXML(nil, e) }

// AppendXML appends the XML of e to dst. Times are written in UTC with milliseconds (more
// digits only when the time has them), numbers in the shortest form that reads back
// exactly. The modelled detail elements come first, then Extra as it came.
func AppendXML(dst []byte, e *Event) []byte {
	version := e.Version
	if version == "" {
		version = "2.0"
	}
	dst = append(dst, "<event"...)
	dst = appendAttr(dst, "version", version)
	dst = appendAttr(dst, "uid", e.UID)
	if e.Type != "" {
		dst = appendAttr(dst, "type", e.Type)
	}
	if e.How != "" {
		dst = appendAttr(dst, "how", e.How)
	}
	dst = appendTimeAttr(dst, "time", e.Time)
	dst = appendTimeAttr(dst, "start", e.Start)
	dst = appendTimeAttr(dst, "stale", e.Stale)
	for _, a := range [...]Attr{{"access", e.Access}, {"qos", e.QoS}, {"opex", e.Opex}} {
		if a.Value != "" {
			dst = appendAttr(dst, a.Name, a.Value)
		}
	}
	dst = appendAttrs(dst, e.Attrs)
	dst = append(dst, "><point"...)
	dst = appendFloatAttr(dst, "lat", e.Point.Lat)
	dst = appendFloatAttr(dst, "lon", e.Point.Lon)
	dst = appendFloatAttr(dst, "hae", e.Point.HAE)
	dst = appendFloatAttr(dst, "ce", e.Point.CE)
	dst = appendFloatAttr(dst, "le", e.Point.LE)
	dst = append(dst, "/>"...)
	if !e.Detail.IsEmpty() {
		dst = append(dst, "<detail>"...)
		dst = appendDetail(dst, &e.Detail, true)
		dst = append(dst, "</detail>"...)
	}
	dst = append(dst, e.Other...)
	return append(dst, "</event>"...)
}

// appendDetail appends the children of d. With all false it leaves out the elements that
// TAK protocol carries in messages of their own (see protoFits).
func appendDetail(dst []byte, d *Detail, all bool) []byte {
	if c := d.Contact; c != nil && (all || !contactFits(c)) {
		dst = appendElem(dst, "contact", c.Attrs, "callsign", c.Callsign, "endpoint", c.Endpoint)
	}
	if g := d.Group; g != nil && (all || !groupFits(g)) {
		dst = appendElem(dst, "__group", g.Attrs, "name", g.Name, "role", g.Role)
	}
	if p := d.PrecisionLocation; p != nil && (all || !precisionFits(p)) {
		dst = appendElem(dst, "precisionlocation", p.Attrs, "geopointsrc", p.GeoPointSrc, "altsrc", p.AltSrc)
	}
	if st := d.Status; st != nil && (all || !statusFits(st)) {
		dst = appendElem(dst, "status", st.Attrs, "battery", st.Battery, "readiness", st.Readiness)
	}
	if t := d.Takv; t != nil && (all || !takvFits(t)) {
		dst = appendElem(dst, "takv", t.Attrs, "device", t.Device, "platform", t.Platform, "os", t.OS, "version", t.Version)
	}
	if t := d.Track; t != nil && (all || !trackFits(t)) {
		dst = appendElem(dst, "track", t.Attrs, "speed", t.Speed, "course", t.Course)
	}
	if u := d.UID; u != nil {
		dst = appendElem(dst, "uid", u.Attrs, "Droid", u.Droid)
	}
	for i := range d.Links {
		l := &d.Links[i]
		dst = appendElem(dst, "link", l.Attrs, "uid", l.UID, "type", l.Type, "relation", l.Relation, "callsign", l.Callsign, "point", l.Point)
	}
	if r := d.Remarks; r != nil {
		dst = append(dst, "<remarks"...)
		dst = appendAttrs(dst, r.Attrs)
		if r.Text == "" {
			dst = append(dst, "/>"...)
		} else {
			dst = append(dst, '>')
			dst = appendEscaped(dst, r.Text, false)
			dst = append(dst, "</remarks>"...)
		}
	}
	return append(dst, d.Extra...)
}

// appendElem appends an empty element with the non-empty attributes in pairs (name, value,
// name, value...) and then other.
func appendElem(dst []byte, name string, other []Attr, pairs ...string) []byte {
	dst = append(dst, '<')
	dst = append(dst, name...)
	for k := 0; k < len(pairs); k += 2 {
		if pairs[k+1] != "" {
			dst = appendAttr(dst, pairs[k], pairs[k+1])
		}
	}
	dst = appendAttrs(dst, other)
	return append(dst, "/>"...)
}

func appendAttrs(dst []byte, attrs []Attr) []byte {
	for _, a := range attrs {
		dst = appendAttr(dst, a.Name, a.Value)
	}
	return dst
}

func appendAttr(dst []byte, name, value string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendEscaped(dst, value, true)
	return append(dst, '"')
}

func appendFloatAttr(dst []byte, name string, v float64) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = strconv.AppendFloat(dst, v, 'f', -1, 64)
	return append(dst, '"')
}

func appendTimeAttr(dst []byte, name string, t time.Time) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	t = t.UTC()
	if t.Nanosecond()%int(time.Millisecond) == 0 {
		dst = t.AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	} else {
		dst = t.AppendFormat(dst, "2006-01-02T15:04:05.999999999Z")
	}
	return append(dst, '"')
}

// appendEscaped appends s with the characters XML reserves escaped. In attribute values,
// white space other than the space is written as a character reference, since a parser
// would otherwise turn it into a space.
func appendEscaped(dst []byte, s string, attr bool) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			if !attr {
				continue
			}
			esc = "&quot;"
		case '\r':
			esc = "&#13;"
		case '\n':
			if !attr {
				continue
			}
			esc = "&#10;"
		case '\t':
			if !attr {
				continue
			}
			esc = "&#9;"
		default:
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		last = i + 1
	}
	return append(dst, s[last:]...)
}

// isBlank reports whether b is only white space.
func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}
