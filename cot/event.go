package cot

import (
	"math"
	"strconv"
	"time"
)

// Event is one Cursor-on-Target event. The zero values of the optional string fields mean
// the attribute was absent.
type Event struct {
	Version string // "2.0" in current use
	UID     string
	Type    string // see ParseType; empty when the sender left it out
	How     string
	Time    time.Time
	Start   time.Time
	Stale   time.Time
	Access  string
	QoS     string
	Opex    string

	Point  Point
	Detail Detail

	// Attrs holds the other attributes of the event element, in the order they came.
	Attrs []Attr
	// Other holds child elements of the event other than point and detail, verbatim. TAK
	// protocol has no place for them, so they are carried only in XML.
	Other []byte
}

// Point is the position of an event: WGS84 degrees, height above ellipsoid in metres, and
// circular and linear error in metres. Unknown is written as 9999999 (see Unknown).
type Point struct {
	Lat, Lon float64
	HAE      float64
	CE, LE   float64
}

// Unknown is the value CoT uses for a height or an error that is not known.
const Unknown = 9999999.0

// Attr is an XML attribute, its value unescaped.
type Attr struct {
	Name, Value string
}

// Detail is the detail element of an event. The modelled elements hold their attributes as
// text, exactly as they came (an empty string means absent); attributes they do not model are
// kept in their Attrs. An element that does not fit its model (a second contact, a contact
// with child elements) is kept verbatim in Extra instead, as is every element not modelled
// here, in the order they came.
type Detail struct {
	Contact           *Contact
	Group             *Group
	PrecisionLocation *PrecisionLocation
	Status            *Status
	Takv              *Takv
	Track             *Track
	UID               *DetailUID
	Remarks           *Remarks
	Links             []Link

	// Extra is the XML of every other detail element, concatenated.
	Extra []byte
}

// IsEmpty reports whether the detail has nothing in it.
func (d *Detail) IsEmpty() bool {
	return d.Contact == nil && d.Group == nil && d.PrecisionLocation == nil && d.Status == nil &&
		d.Takv == nil && d.Track == nil && d.UID == nil && d.Remarks == nil && len(d.Links) == 0 &&
		len(d.Extra) == 0
}

// Contact is <contact callsign="" endpoint=""/>: the name a client shows for the event, and
// for a device, where to reach it.
type Contact struct {
	Callsign string
	Endpoint string
	Attrs    []Attr // phone, emailAddress, xmppUsername...
}

// Group is <__group name="" role=""/>: a device's team colour and role.
type Group struct {
	Name  string
	Role  string
	Attrs []Attr
}

// PrecisionLocation is <precisionlocation geopointsrc="" altsrc=""/>: where the position and
// the altitude came from (GPS, USER, DTED2...).
type PrecisionLocation struct {
	GeoPointSrc string
	AltSrc      string
	Attrs       []Attr
}

// Status is <status battery="" readiness=""/>.
type Status struct {
	Battery   string // percent, an unsigned integer
	Readiness string
	Attrs     []Attr
}

// Takv is <takv device="" platform="" os="" version=""/>: the client software that sent the
// event.
type Takv struct {
	Device   string
	Platform string
	OS       string
	Version  string
	Attrs    []Attr
}

// Track is <track speed="" course=""/>: speed in metres per second, course in degrees from
// true north.
type Track struct {
	Speed  string
	Course string
	Attrs  []Attr // slope...
}

// SpeedValue returns the speed in metres per second, and false if it is absent or not a
// finite number.
func (t *Track) SpeedValue() (float64, bool) { return parseFinite(t.Speed) }

// CourseValue returns the course in degrees, and false if it is absent or not a finite number.
func (t *Track) CourseValue() (float64, bool) { return parseFinite(t.Course) }

// DetailUID is <uid Droid=""/>: the name of the device on Android.
type DetailUID struct {
	Droid string
	Attrs []Attr
}

// Remarks is <remarks>text</remarks>: free text from the person who made the event.
type Remarks struct {
	Text  string
	Attrs []Attr // source, to, time
}

// Link is <link .../>: a relation to another event (relation "p-p": produced by, the parent
// device), or, in a route or a drawn shape, one of its points ("lat,lon[,hae]" in Point).
type Link struct {
	UID      string
	Type     string
	Relation string
	Callsign string
	Point    string
	Attrs    []Attr // remarks, production_time, parent_callsign...
}

// Callsign returns the contact callsign, or "" if there is none.
func (e *Event) Callsign() string {
	if e.Detail.Contact == nil {
		return ""
	}
	return e.Detail.Contact.Callsign
}

// RemarksText returns the remarks text, or "" if there is none.
func (e *Event) RemarksText() string {
	if e.Detail.Remarks == nil {
		return ""
	}
	return e.Detail.Remarks.Text
}

func parseFinite(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}
