package tak

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/cot"
)

// CoT types of the stream's control events.
const (
	typeProtoSupport  = "t-x-takp-v" // server: the protocol versions it speaks
	typeProtoRequest  = "t-x-takp-q" // client: asks for a version
	typeProtoResponse = "t-x-takp-r" // server: grants or refuses it
	typePing          = "t-x-c-t"
	typePong          = "t-x-c-t-r"
)

// FindingType is the CoT type of a finding's marker: a spot map marker, whose colour (see
// severityColor) says the severity. Clients draw spot markers as coloured dots that a user
// can tap to read the remarks, and never take them for units of either side.
const FindingType = "b-m-p-s-m"

// FindingUIDPrefix begins the uid of every finding's marker; the rest is the finding's id,
// which is stable, so a client that sees a finding again updates the marker it has.
const FindingUIDPrefix = "truce-finding-"

// severityColor is the ARGB colour of a finding's marker, as a signed 32-bit integer the
// way ATAK writes it: red for critical, orange for major, yellow for minor, white otherwise.
func severityColor(severity string) int32 {
	switch severity {
	case "critical":
		return int32(-65536) // 0xffff0000
	case "major":
		return int32(-23296) // 0xffffa500
	case "minor":
		return int32(-256) // 0xffffff00
	}
	return -1 // 0xffffffff
}

// FindingEvent returns the marker that shows f on a TAK client's map: uid FindingUIDPrefix +
// f.ID, a spot marker coloured by severity at the finding's position with ce the
// observation's uncertainty (ceM, 0 when exact), callsign the article and kind, remarks the
// finding's explanation. Start is the observation's time, so that a client can tell how old
// the news is; the marker goes stale stale after now.
func FindingEvent(f *truce.Finding, ceM float64, now time.Time, stale time.Duration) *cot.Event {
	// TAK protocol carries milliseconds: the XML says no more, so both forms agree.
	now = now.UTC().Truncate(time.Millisecond)
	start := f.Time.UTC()
	if start.IsZero() || start.After(now) {
		start = now
	}
	callsign := f.Article + " " + f.Kind
	if f.Status == truce.StatusPossible {
		callsign += " (possible)"
	}
	var extra []byte
	extra = append(extra, `<color argb="`...)
	extra = strconv.AppendInt(extra, int64(severityColor(f.Severity)), 10)
	extra = append(extra, `"/><usericon iconsetpath="COT_MAPPING_SPOTMAP/b-m-p-s-m/`...)
	extra = strconv.AppendInt(extra, int64(severityColor(f.Severity)), 10)
	extra = append(extra, `"/>`...)
	return &cot.Event{
		Version: "2.0",
		UID:     FindingUIDPrefix + f.ID,
		Type:    FindingType,
		How:     "m-f",
		Time:    now,
		Start:   start,
		Stale:   now.Add(stale),
		Point:   cot.Point{Lat: f.Lat, Lon: f.Lon, HAE: cot.Unknown, CE: ceM, LE: cot.Unknown},
		Detail: cot.Detail{
			Contact: &cot.Contact{Callsign: callsign},
			Remarks: &cot.Remarks{Text: f.Explanation},
			Extra:   extra,
		},
	}
}

// controlEvent returns a t-x-... event of the server's with the given detail XML.
func controlEvent(uid, typ string, now time.Time, detail string) *cot.Event {
	now = now.UTC().Truncate(time.Millisecond)
	return &cot.Event{
		Version: "2.0",
		UID:     uid,
		Type:    typ,
		How:     "m-g",
		Time:    now,
		Start:   now,
		Stale:   now.Add(time.Minute),
		Point:   cot.Point{HAE: cot.Unknown, CE: cot.Unknown, LE: cot.Unknown},
		Detail:  cot.Detail{Extra: []byte(detail)},
	}
}

func protoSupportEvent(now time.Time) *cot.Event {
	return controlEvent("protouid", typeProtoSupport, now, `<TakControl><TakProtocolSupport version="1"/></TakControl>`)
}

func protoResponseEvent(now time.Time, granted bool) *cot.Event {
	return controlEvent("protouid", typeProtoResponse, now,
		`<TakControl><TakResponse status="`+strconv.FormatBool(granted)+`"/></TakControl>`)
}

func pongEvent(now time.Time) *cot.Event { return controlEvent("takPong", typePong, now, "") }

// noticeEvent is a chat message from the server to one device, shown in its All Chat Rooms:
// how a client is told why it is being disconnected, and how a liaison is told of a notice.
// id names the message, so that a device shown it twice can tell; "" makes one from now.
func noticeEvent(now time.Time, id, text string) *cot.Event {
	now = now.UTC()
	ts := now.Format(time.RFC3339)
	if id == "" {
		id = strconv.FormatInt(now.UnixNano(), 36)
	}
	var d bytes.Buffer
	d.WriteString(`<__chat parent="RootContactGroup" groupOwner="false" messageId="`)
	xml.EscapeText(&d, []byte(id))
	d.WriteString(`" chatroom="All Chat Rooms" id="All Chat Rooms" senderCallsign="truce"><chatgrp uid0="truce" uid1="All Chat Rooms" id="All Chat Rooms"/></__chat>`)
	d.WriteString(`<link uid="truce" type="a-f-G-U-C" relation="p-p"/>`)
	e := controlEvent("GeoChat.truce.All Chat Rooms."+id, "b-t-f", now, d.String())
	e.How = "h-g-i-g-o"
	e.Detail.Remarks = &cot.Remarks{Text: text, Attrs: []cot.Attr{{Name: "source", Value: "truce"}, {Name: "to", Value: "All Chat Rooms"}, {Name: "time", Value: ts}}}
	return e
}

// takRequestVersion returns the version a t-x-takp-q event asks for, or "" when its detail
// holds no TakRequest. The detail has passed the cot decoder, which refuses document type
// declarations, so encoding/xml sees no entity to expand.
func takRequestVersion(e *cot.Event) string {
	if len(e.Detail.Extra) == 0 {
		return ""
	}
	var doc struct {
		Control []struct {
			Request *struct {
				Version string `xml:"version,attr"`
			} `xml:"TakRequest"`
		} `xml:"TakControl"`
	}
	b := make([]byte, 0, len(e.Detail.Extra)+7)
	b = append(b, "<d>"...)
	b = append(b, e.Detail.Extra...)
	b = append(b, "</d>"...)
	if err := xml.Unmarshal(b, &doc); err != nil {
		return ""
	}
	for _, c := range doc.Control {
		if c.Request != nil {
			return c.Request.Version
		}
	}
	return ""
}
