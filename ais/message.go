package ais

import (
	"strconv"
)

// Message is one decoded AIS message. Numeric fields hold the values as transmitted, in the
// units of the standard (see the package comment); the methods scale them and say when a
// value is not available. Which fields are set depends on Type:
//
//	1, 2, 3   Status Turn Speed Accuracy Lon Lat Course Heading Second Maneuver RAIM Radio
//	4, 11     Year Month Day Hour Minute Second Accuracy Lon Lat EPFD RAIM Radio
//	5         AISVersion IMO Callsign Shipname ShipType dimensions EPFD ETA* Draught Destination DTE
//	6         SeqNo DestMMSI Retransmit DAC FID Data
//	7, 13     Acks (the acknowledged MMSIs)
//	8         DAC FID Data
//	9         Alt Speed (knots) Accuracy Lon Lat Course Second Regional DTE Assigned RAIM Radio
//	10        DestMMSI
//	12        SeqNo DestMMSI Retransmit Text
//	14        Text
//	15        Interrogations
//	16        Assignments
//	17        Lon Lat (1/10 minute) Data
//	18        Reserved Speed Accuracy Lon Lat Course Heading Second Regional CS Display DSC Band Msg22 Assigned RAIM Radio
//	19        as 18 to Regional, then Shipname ShipType dimensions EPFD RAIM DTE Assigned
//	20        Reservations
//	21        AidType Shipname (the aid's name) Accuracy Lon Lat dimensions EPFD Second OffPosition Regional RAIM VirtualAid Assigned
//	22        ChannelA ChannelB TxRx Power, Area or Dest1 Dest2, Addressed BandA BandB ZoneSize
//	23        Area StationType ShipType TxRx Interval Quiet
//	24        Part; part A Shipname; part B ShipType VendorID Model Serial Callsign, dimensions or MothershipMMSI
//	25, 26    Addressed Structured DestMMSI AppID Data (26: Radio)
//	27        Accuracy RAIM Status Lon Lat (1/10 minute) Speed (knots) Course (degrees) GNSS
//
// Types outside the standard carry only Type, Repeat, MMSI and Payload. Text fields, Data and
// Payload alias the Decoder's buffers and are valid until its next call; copy them to keep
// them.
type Message struct {
	Type   uint8
	Repeat uint8
	MMSI   uint32

	// Reception metadata from the envelope of the message's last fragment.
	Channel byte
	Own     bool   // from an AIVDO sentence
	Source  string // tag block s:, if any
	// UnixMilli is the tag block c: time of the message's first fragment, 0 when absent.
	UnixMilli int64

	Status   uint8
	Turn     int8
	Speed    uint16
	Accuracy bool
	Lon      int32
	Lat      int32
	Course   uint16
	Heading  uint16
	Second   uint8
	Maneuver uint8
	RAIM     bool
	Radio    uint32

	Year, Month, Day, Hour, Minute uint16 // type 4 and 11 time; type 5 ETA (no year)
	EPFD                           uint8

	AISVersion  uint8
	IMO         uint32
	ShipType    uint8
	ToBow       uint16
	ToStern     uint16
	ToPort      uint8
	ToStarboard uint8
	Draught     uint8
	DTE         bool
	HasDTE      bool // type 5 messages cut short in the wild lack the DTE bit

	Alt      uint16 // type 9, metres
	Regional uint8
	Reserved uint8
	Assigned bool

	CS, Display, DSC, Band, Msg22 bool // type 18 capability flags

	AidType     uint8
	OffPosition bool
	VirtualAid  bool

	Part           uint8 // type 24: 0 = part A, 1 = part B
	Model          uint8
	Serial         uint32
	MothershipMMSI uint32 // type 24 part B of an auxiliary craft (MMSI 98xxxxxxx)

	// GNSS is type 27's position-latency bit as transmitted (gpsd's "gnss"); the standard
	// sets it when the position is more than five seconds old.
	GNSS bool

	DestMMSI   uint32    // types 10 and 12: the station addressed
	SeqNo      uint8     // type 12: sequence number of addressed messages
	Retransmit bool      // type 12
	Acks       []uint32  // types 7 and 13: the stations whose messages are acknowledged, 1 to 4
	acks       [4]uint32 // storage for Acks, so decoding does not allocate

	// Types 6 and 8 carry application data identified by a designated area code and a
	// function id; type 17 carries DGNSS corrections. Data holds the DataBits bits of it,
	// from the first, the last byte padded with zero bits.
	DAC      uint16
	FID      uint8
	Data     []byte
	DataBits int

	// Types 15, 16 and 20 manage the radio slots of a base station network. How many
	// entries a message has depends on its length.
	Interrogations []Interrogation
	Assignments    []SlotAssignment
	Reservations   []SlotReservation
	slots          [4]SlotReservation
	interrogations [3]Interrogation
	assignments    [2]SlotAssignment

	// Types 22 and 23 set radio parameters over an area, or for two stations (22).
	ChannelA, ChannelB uint16
	TxRx               uint8
	Power              bool
	Area               Area
	Dest1, Dest2       uint32
	Addressed          bool // also types 25 and 26: DestMMSI is set
	BandA, BandB       bool
	ZoneSize           uint8
	StationType        uint8
	Interval           uint8
	Quiet              uint8

	Structured bool   // types 25 and 26: the data begins with a 16-bit application id
	AppID      uint16 // types 25 and 26

	Text        []byte // types 12 and 14: the safety-related text
	Callsign    []byte
	Shipname    []byte // also the aid to navigation's name (type 21), with its extension
	Destination []byte
	VendorID    []byte

	// Payload is the armoured payload of the whole message and Fill its fill bits, kept for
	// every type so that undecoded types can be stored and re-examined.
	Payload []byte
	Fill    int
	Bits    int // the payload's length in bits
}

// Interrogation is one request of a type 15 message: station MMSI is asked for a message of
// type Type in slot Offset. The first two requests of a message ask the same station.
type Interrogation struct {
	MMSI   uint32
	Type   uint8
	Offset uint16
}

// SlotAssignment is one station's reporting schedule in a type 16 message.
type SlotAssignment struct {
	MMSI              uint32
	Offset, Increment uint16
}

// SlotReservation is one block of slots a base station reserves in a type 20 message.
type SlotReservation struct {
	Offset    uint16
	Number    uint8
	Timeout   uint8
	Increment uint16
}

// Area is a rectangle in 1/10 minute of arc, as types 22 and 23 send it.
type Area struct {
	NELon, NELat, SWLon, SWLat int32
}

// Not-available codes of the standard.
const (
	lonNA    = 181 * 600000
	latNA    = 91 * 600000
	speedNA  = 1023
	courseNA = 3600
	headNA   = 511
	turnNA   = -128
	secondNA = 60
)

// IsPositionReport reports whether the message type carries a vessel's position: class A
// (1, 2, 3), class B (18, 19) or long-range (27) reports.
func (m *Message) IsPositionReport() bool {
	switch m.Type {
	case 1, 2, 3, 18, 19, 27:
		return true
	}
	return false
}

// hasPosition reports whether the type has Lon and Lat fields.
func (m *Message) hasPosition() bool {
	switch m.Type {
	case 1, 2, 3, 4, 9, 11, 18, 19, 21, 27:
		return true
	}
	return false
}

// Position returns latitude and longitude in degrees, and whether both are available and in
// range.
func (m *Message) Position() (lat, lon float64, ok bool) {
	if !m.hasPosition() {
		return 0, 0, false
	}
	div := int32(600000)
	if m.Type == 27 {
		div = 600
	}
	// 181 and 91 degrees mean "not available"; anything else beyond 180 and 90 is garbage.
	if m.Lon > 180*div || m.Lon < -180*div || m.Lat > 90*div || m.Lat < -90*div {
		return 0, 0, false
	}
	return float64(m.Lat) / float64(div), float64(m.Lon) / float64(div), true
}

// lonOK and latOK report availability of each coordinate on its own, as gpsd reports them.
func (m *Message) lonOK() bool {
	if m.Type == 27 {
		return m.Lon != lonNA/1000
	}
	return m.Lon != lonNA
}

func (m *Message) latOK() bool {
	if m.Type == 27 {
		return m.Lat != latNA/1000
	}
	return m.Lat != latNA
}

// SpeedKnots returns speed over ground in knots and whether it is available. For class A and
// B reports 102.2 means 102.2 knots or more.
func (m *Message) SpeedKnots() (float64, bool) {
	switch m.Type {
	case 1, 2, 3, 18, 19:
		if m.Speed == speedNA {
			return 0, false
		}
		return float64(m.Speed) / 10, true
	case 9:
		if m.Speed == speedNA {
			return 0, false
		}
		return float64(m.Speed), true
	case 27:
		if m.Speed == 63 {
			return 0, false
		}
		return float64(m.Speed), true
	}
	return 0, false
}

// CourseDegrees returns course over ground in degrees from true north and whether it is
// available.
func (m *Message) CourseDegrees() (float64, bool) {
	switch m.Type {
	case 1, 2, 3, 9, 18, 19:
		if m.Course >= courseNA {
			return 0, false
		}
		return float64(m.Course) / 10, true
	case 27:
		if m.Course >= 360 {
			return 0, false
		}
		return float64(m.Course), true
	}
	return 0, false
}

// HeadingDegrees returns true heading and whether it is available.
func (m *Message) HeadingDegrees() (int, bool) {
	switch m.Type {
	case 1, 2, 3, 18, 19:
		if m.Heading >= 360 {
			return 0, false
		}
		return int(m.Heading), true
	}
	return 0, false
}

// TurnRate returns the rate of turn in degrees per minute, and whether a rate is available.
// fast is +1 or -1 when the vessel reports only that it turns right or left by more than 5
// degrees in 30 seconds, without a turn indicator.
func (m *Message) TurnRate() (degPerMin float64, fast int, ok bool) {
	switch {
	case m.Turn == turnNA:
		return 0, 0, false
	case m.Turn == 127:
		return 0, 1, true
	case m.Turn == -127:
		return 0, -1, true
	}
	r := float64(m.Turn) / 4.733
	if m.Turn < 0 {
		return -r * r, 0, true
	}
	return r * r, 0, true
}

// StatusText is the navigation status in words.
func (m *Message) StatusText() string { return statusText(m.Status) }

// ShipTypeText is the ship and cargo type in words.
func (m *Message) ShipTypeText() string { return shipTypeText(m.ShipType) }

// decodeBits fills m from the unarmoured payload. The header (type, repeat, MMSI) is decoded
// for every type; a payload too short for its type is an error.
func (m *Message) decodeBits(bs *bitString, text []byte) error {
	n := bs.n
	if n < 38 {
		return errorf(0, CauseLength, "payload", strconv.Itoa(n)+" bits is too short for any message")
	}
	m.Type = uint8(bs.u(0, 6))
	m.Repeat = uint8(bs.u(6, 2))
	m.MMSI = uint32(bs.u(8, 30))
	m.Bits = n
	need := 0
	switch m.Type {
	case 1, 2, 3:
		need = 149 // a radio status cut short is read as far as it goes, as gpsd does
	case 4, 9, 11, 18:
		need = 168
	case 5:
		need = 420 // the standard says 424; 420 and 422 are common and lose only padding
	case 19:
		need = 312
	case 21:
		need = 272
	case 24:
		need = 160
	case 27:
		need = 96
	case 7, 10, 13:
		need = 70
	case 6, 15:
		need = 88
	case 16:
		need = 92
	case 22:
		need = 145
	case 23:
		need = 154
	case 25:
		need = 40
	case 26:
		need = 60
	case 20:
		need = 70
	case 8:
		need = 56
	case 17:
		need = 80
	case 12:
		need = 72
	case 14:
		need = 40
	}
	if n < need {
		return errorf(0, CauseLength, "payload", "type "+strconv.Itoa(int(m.Type))+" needs "+strconv.Itoa(need)+" bits, has "+strconv.Itoa(n))
	}
	switch m.Type {
	case 1, 2, 3:
		m.Status = uint8(bs.u(38, 4))
		m.Turn = int8(bs.i(42, 8))
		m.Speed = uint16(bs.u(50, 10))
		m.Accuracy = bs.flag(60)
		m.Lon = int32(bs.i(61, 28))
		m.Lat = int32(bs.i(89, 27))
		m.Course = uint16(bs.u(116, 12))
		m.Heading = uint16(bs.u(128, 9))
		m.Second = uint8(bs.u(137, 6))
		m.Maneuver = uint8(bs.u(143, 2))
		m.RAIM = bs.flag(148)
		if n >= 168 {
			m.Radio = uint32(bs.u(149, 19))
		} else {
			m.Radio = uint32(bs.u(149, n-149))
		}
	case 4, 11:
		m.Year = uint16(bs.u(38, 14))
		m.Month = uint16(bs.u(52, 4))
		m.Day = uint16(bs.u(56, 5))
		m.Hour = uint16(bs.u(61, 5))
		m.Minute = uint16(bs.u(66, 6))
		m.Second = uint8(bs.u(72, 6))
		m.Accuracy = bs.flag(78)
		m.Lon = int32(bs.i(79, 28))
		m.Lat = int32(bs.i(107, 27))
		m.EPFD = uint8(bs.u(134, 4))
		m.RAIM = bs.flag(148)
		m.Radio = uint32(bs.u(149, 19))
	case 5:
		m.AISVersion = uint8(bs.u(38, 2))
		m.IMO = uint32(bs.u(40, 30))
		text = bs.text(text, 70, 7)
		m.Callsign = text
		text = bs.text(text[len(text):], 112, 20)
		m.Shipname = text
		m.ShipType = uint8(bs.u(232, 8))
		m.ToBow = uint16(bs.u(240, 9))
		m.ToStern = uint16(bs.u(249, 9))
		m.ToPort = uint8(bs.u(258, 6))
		m.ToStarboard = uint8(bs.u(264, 6))
		m.EPFD = uint8(bs.u(270, 4))
		m.Month = uint16(bs.u(274, 4))
		m.Day = uint16(bs.u(278, 5))
		m.Hour = uint16(bs.u(283, 5))
		m.Minute = uint16(bs.u(288, 6))
		m.Draught = uint8(bs.u(294, 8))
		text = bs.text(text[len(text):], 302, 20)
		m.Destination = text
		if n >= 423 {
			m.DTE = bs.flag(422)
			m.HasDTE = true
		}
	case 9:
		m.Alt = uint16(bs.u(38, 12))
		m.Speed = uint16(bs.u(50, 10))
		m.Accuracy = bs.flag(60)
		m.Lon = int32(bs.i(61, 28))
		m.Lat = int32(bs.i(89, 27))
		m.Course = uint16(bs.u(116, 12))
		m.Second = uint8(bs.u(128, 6))
		m.Regional = uint8(bs.u(134, 8))
		m.DTE = bs.flag(142)
		m.HasDTE = true
		m.Assigned = bs.flag(146)
		m.RAIM = bs.flag(147)
		m.Radio = uint32(bs.u(148, 20))
	case 18, 19:
		m.Reserved = uint8(bs.u(38, 8))
		m.Speed = uint16(bs.u(46, 10))
		m.Accuracy = bs.flag(56)
		m.Lon = int32(bs.i(57, 28))
		m.Lat = int32(bs.i(85, 27))
		m.Course = uint16(bs.u(112, 12))
		m.Heading = uint16(bs.u(124, 9))
		m.Second = uint8(bs.u(133, 6))
		if m.Type == 18 {
			m.Regional = uint8(bs.u(139, 2))
			m.CS = bs.flag(141)
			m.Display = bs.flag(142)
			m.DSC = bs.flag(143)
			m.Band = bs.flag(144)
			m.Msg22 = bs.flag(145)
			m.Assigned = bs.flag(146)
			m.RAIM = bs.flag(147)
			m.Radio = uint32(bs.u(148, 20))
			break
		}
		m.Regional = uint8(bs.u(139, 4))
		m.Shipname = bs.text(text, 143, 20)
		m.ShipType = uint8(bs.u(263, 8))
		m.ToBow = uint16(bs.u(271, 9))
		m.ToStern = uint16(bs.u(280, 9))
		m.ToPort = uint8(bs.u(289, 6))
		m.ToStarboard = uint8(bs.u(295, 6))
		m.EPFD = uint8(bs.u(301, 4))
		m.RAIM = bs.flag(305)
		m.DTE = bs.flag(306)
		m.HasDTE = true
		m.Assigned = bs.flag(307)
	case 21:
		m.AidType = uint8(bs.u(38, 5))
		text = bs.text(text, 43, 20)
		if len(text) == 20 && n > 272 {
			// A full name continues in the name extension after the fixed fields.
			text = bs.text(text, 272, (n-272)/6)
		}
		m.Shipname = text
		m.Accuracy = bs.flag(163)
		m.Lon = int32(bs.i(164, 28))
		m.Lat = int32(bs.i(192, 27))
		m.ToBow = uint16(bs.u(219, 9))
		m.ToStern = uint16(bs.u(228, 9))
		m.ToPort = uint8(bs.u(237, 6))
		m.ToStarboard = uint8(bs.u(243, 6))
		m.EPFD = uint8(bs.u(249, 4))
		m.Second = uint8(bs.u(253, 6))
		m.OffPosition = bs.flag(259)
		m.Regional = uint8(bs.u(260, 8))
		m.RAIM = bs.flag(268)
		m.VirtualAid = bs.flag(269)
		m.Assigned = bs.flag(270)
	case 24:
		m.Part = uint8(bs.u(38, 2))
		switch m.Part {
		case 0:
			m.Shipname = bs.text(text, 40, 20)
		case 1:
			if n < 168 {
				return errorf(0, CauseLength, "payload", "type 24 part B needs 168 bits, has "+strconv.Itoa(n))
			}
			m.ShipType = uint8(bs.u(40, 8))
			// ITU-R M.1371-4 splits bits 48-89 into a three-character vendor id, a model
			// and a serial number; earlier editions made it one seven-character vendor
			// string. Both readings are kept, the text in gpsd's seven-character form.
			text = bs.text(text, 48, 7)
			m.VendorID = text
			m.Model = uint8(bs.u(66, 4))
			m.Serial = uint32(bs.u(70, 20))
			text = bs.text(text[len(text):], 90, 7)
			m.Callsign = text
			if m.MMSI/10000000 == 98 {
				m.MothershipMMSI = uint32(bs.u(132, 30))
			} else {
				m.ToBow = uint16(bs.u(132, 9))
				m.ToStern = uint16(bs.u(141, 9))
				m.ToPort = uint8(bs.u(150, 6))
				m.ToStarboard = uint8(bs.u(156, 6))
			}
		default:
			return errorf(0, CauseFormat, "part number", "type 24 part "+strconv.Itoa(int(m.Part))+" is not A (0) or B (1)")
		}
	case 7, 13:
		// Up to four MMSIs, each followed by a two-bit sequence number. An MMSI that the end
		// of the message cuts short is read with its missing bits as zeros, as gpsd reads it.
		for k := 0; k < 4 && 40+32*k < n; k++ {
			m.acks[k] = uint32(bs.u(40+32*k, 30))
			m.Acks = m.acks[:k+1]
		}
	case 10:
		m.DestMMSI = uint32(bs.u(40, 30))
	case 6:
		m.SeqNo = uint8(bs.u(38, 2))
		m.DestMMSI = uint32(bs.u(40, 30))
		m.Retransmit = bs.flag(70)
		m.DAC = uint16(bs.u(72, 10))
		m.FID = uint8(bs.u(82, 6))
		m.Data, m.DataBits = bs.bytesFrom(88)
	case 8:
		m.DAC = uint16(bs.u(40, 10))
		m.FID = uint8(bs.u(50, 6))
		m.Data, m.DataBits = bs.bytesFrom(56)
	case 17:
		m.Lon = int32(bs.i(40, 18))
		m.Lat = int32(bs.i(58, 17))
		m.Data, m.DataBits = bs.bytesFrom(80)
	case 15:
		// One station asked for one or two messages (88 or 110 bits), or a second station
		// asked too (160 bits).
		mmsi1 := uint32(bs.u(40, 30))
		m.interrogations[0] = Interrogation{MMSI: mmsi1, Type: uint8(bs.u(70, 6)), Offset: uint16(bs.u(76, 12))}
		k := 1
		if n >= 108 {
			m.interrogations[1] = Interrogation{MMSI: mmsi1, Type: uint8(bs.u(90, 6)), Offset: uint16(bs.u(96, 12))}
			k = 2
		}
		if n >= 158 {
			m.interrogations[2] = Interrogation{MMSI: uint32(bs.u(110, 30)), Type: uint8(bs.u(140, 6)), Offset: uint16(bs.u(146, 12))}
			k = 3
		}
		m.Interrogations = m.interrogations[:k]
	case 16:
		k := 0
		for ; k < 2 && 40+52*k+52 <= n; k++ {
			at := 40 + 52*k
			m.assignments[k] = SlotAssignment{MMSI: uint32(bs.u(at, 30)), Offset: uint16(bs.u(at+30, 12)), Increment: uint16(bs.u(at+42, 10))}
		}
		m.Assignments = m.assignments[:k]
	case 20:
		k := 0
		for ; k < 4 && 40+30*k+30 <= n; k++ {
			at := 40 + 30*k
			m.slots[k] = SlotReservation{Offset: uint16(bs.u(at, 12)), Number: uint8(bs.u(at+12, 4)), Timeout: uint8(bs.u(at+16, 3)), Increment: uint16(bs.u(at+19, 11))}
		}
		m.Reservations = m.slots[:k]
	case 22:
		m.ChannelA = uint16(bs.u(40, 12))
		m.ChannelB = uint16(bs.u(52, 12))
		m.TxRx = uint8(bs.u(64, 4))
		m.Power = bs.flag(68)
		// The addressed flag comes after the fields whose meaning it decides.
		m.Addressed = bs.flag(139)
		if m.Addressed {
			m.Dest1 = uint32(bs.u(69, 30))
			m.Dest2 = uint32(bs.u(104, 30))
		} else {
			m.Area = Area{NELon: int32(bs.i(69, 18)), NELat: int32(bs.i(87, 17)), SWLon: int32(bs.i(104, 18)), SWLat: int32(bs.i(122, 17))}
		}
		m.BandA = bs.flag(140)
		m.BandB = bs.flag(141)
		m.ZoneSize = uint8(bs.u(142, 3))
	case 23:
		m.Area = Area{NELon: int32(bs.i(40, 18)), NELat: int32(bs.i(58, 17)), SWLon: int32(bs.i(75, 18)), SWLat: int32(bs.i(93, 17))}
		m.StationType = uint8(bs.u(110, 4))
		m.ShipType = uint8(bs.u(114, 8))
		m.TxRx = uint8(bs.u(144, 2))
		m.Interval = uint8(bs.u(146, 4))
		m.Quiet = uint8(bs.u(150, 4))
	case 25, 26:
		m.Addressed = bs.flag(38)
		m.Structured = bs.flag(39)
		at := 40
		if m.Addressed {
			m.DestMMSI = uint32(bs.u(40, 30))
			at = 70
		}
		if m.Structured {
			m.AppID = uint16(bs.u(at, 16))
			at += 16
		}
		end := n
		if m.Type == 26 {
			// A communication state closes the message: a selector bit and 19 bits of
			// SOTDMA or ITDMA state.
			end = n - 20
			m.Radio = uint32(bs.u(n-20, 20))
		}
		if end < at {
			return errorf(0, CauseLength, "payload", "type "+strconv.Itoa(int(m.Type))+" has "+strconv.Itoa(n)+" bits, too few for its header")
		}
		m.Data, m.DataBits = bs.bits(at, end-at)
	case 12:
		m.SeqNo = uint8(bs.u(38, 2))
		m.DestMMSI = uint32(bs.u(40, 30))
		m.Retransmit = bs.flag(70)
		m.Text = bs.text(text, 72, (n-72)/6)
	case 14:
		m.Text = bs.text(text, 40, (n-40)/6)
	case 27:
		m.Accuracy = bs.flag(38)
		m.RAIM = bs.flag(39)
		m.Status = uint8(bs.u(40, 4))
		m.Lon = int32(bs.i(44, 18))
		m.Lat = int32(bs.i(62, 17))
		m.Speed = uint16(bs.u(79, 6))
		m.Course = uint16(bs.u(85, 9))
		m.GNSS = bs.flag(94)
	}
	return nil
}
