// Package cot reads and writes Cursor-on-Target (CoT), the event format of ATAK, iTAK, WinTAK
// and TAK Server, in both of its encodings.
//
// # The XML form
//
// A CoT event is one XML element:
//
//	<event version="2.0" uid="ANDROID-1" type="a-h-G-U-C" how="h-g-i-g-o"
//	       time="2026-07-02T16:19:11Z" start="2026-07-02T16:19:11Z" stale="2026-07-02T16:24:11Z">
//	  <point lat="49.27" lon="-123.11" hae="-11.9" ce="9.9" le="9999999"/>
//	  <detail>
//	    <contact callsign="ALPHA-1" endpoint="*:-1:stcp"/>
//	    <remarks>two trucks heading north</remarks>
//	  </detail>
//	</event>
//
// uid names the thing the event is about (a later event with the same uid replaces it); type
// says what it is (see [Type]); how says how the position was obtained (h-e: entered by a
// person, m-g: machine, GPS); time is when the event was made, start and stale bound when it
// is valid. The point is WGS84 latitude and longitude in degrees, height above the ellipsoid
// (hae) in metres, and the circular (ce) and linear (le) error in metres, 9999999 meaning
// unknown. The detail holds everything else, and is open: clients add elements of their own.
// [Detail] models the elements TAK clients use to show an event (contact, __group,
// precisionlocation, status, takv, track, uid, remarks, link) and keeps every other element,
// shapes and routes included, verbatim as XML, so that re-encoding an event loses nothing a
// client would show.
//
// Events are untrusted input. The decoder is a small scanner written for this format: it
// refuses any document type declaration (so no entity can be defined, and no entity bomb
// expanded), knows only the five predefined entities and character references, limits the
// size of an event ([DefaultMaxEventSize]) and the depth of nesting, and reports an error
// that names the byte offset and the field. A bad event is dropped; the next one is read.
//
// # TAK protocol version 1
//
// The same event as a protobuf TakMessage (cot/internal/takpb/takmessage.proto): the event
// attributes and the point become fields of CotEvent, with times in milliseconds since the
// Unix epoch. Six detail elements have messages of their own (contact, __group,
// precisionlocation, status, takv, track), used only when the element fits the message
// exactly; every other detail element travels as XML text in Detail.xmlDetail. What the
// protocol has no field for is lost on the way: the version, other attributes of the event
// element, children of the event other than point and detail, and time below the
// millisecond.
//
// Messages are framed in two ways. On a stream (TCP, TLS), each message is preceded by the
// byte 0xbf and its length as a protobuf varint. In a mesh datagram (UDP multicast), the
// payload is preceded by the three bytes 0xbf, 0x01, 0xbf, the 1 being the protocol version
// (0xbf 0x00 0xbf is followed by XML).
//
// # From events to observations
//
// A [Mapping] says what an event means to the mission: a self-report of one of the
// mission's own devices is a patrol position (kept from the parties, never an observation);
// a marker whose type matches a rule (a-h-G-E-V* a hostile ground vehicle, "." matching any
// affiliation) becomes a truce.Observation of that rule's kind; anything else is returned
// as raw with the reason, so nothing is dropped. [DefaultMapping] covers the common ground,
// air and sea symbols; [LoadMapping] reads a YAML table:
//
//	source: cot
//	own_devices: [ANDROID-*]     # uids of the mission's devices; "*" ends a prefix
//	affiliations: {}             # CoT affiliation letter -> party id; usually left empty
//	rules:
//	  - type: a-.-G-E-V*
//	    kind: presence.vehicle
//	  - type: a-.-G-E-W-H*
//	    kind: presence.weapon
//	    attrs: {category: howitzer}
package cot
