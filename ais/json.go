package ais

import (
	"strconv"
)

// JSONOptions selects the form of AppendJSON's output.
type JSONOptions struct {
	// Scaled reports values in their units (degrees, knots) as gpsd's scaled JSON does;
	// otherwise they are reported as transmitted, as gpsd's unscaled JSON does.
	Scaled bool
	// Device, when not empty, is reported as "device", as gpsd names its input.
	Device string
}

// AppendJSON appends m to dst as one JSON object in gpsd's JSON-AIS encoding (field names,
// order and scaling as gpsd reports them), without a trailing newline. Fields whose value is
// the standard's "not available" code are left out. A type outside the standard reports its
// raw armoured payload as "payload" with its "fill" bits.
//
// The object is written by hand, without reflection, because this is the hot path of a
// feed decoder.
func AppendJSON(dst []byte, m *Message, o JSONOptions) []byte {
	dst = append(dst, `{"class":"AIS"`...)
	if o.Device != "" {
		dst = appendKey(dst, `,"device":`)
		dst = appendString(dst, o.Device)
	}
	dst = appendUint(dst, `,"type":`, uint64(m.Type))
	dst = appendUint(dst, `,"repeat":`, uint64(m.Repeat))
	dst = appendUint(dst, `,"mmsi":`, uint64(m.MMSI))
	dst = appendBool(dst, `,"scaled":`, o.Scaled)
	switch m.Type {
	case 1, 2, 3:
		dst = appendStatus(dst, m)
		if m.Turn != turnNA {
			dst = appendKey(dst, `,"turn":`)
			switch {
			case !o.Scaled:
				dst = strconv.AppendInt(dst, int64(m.Turn), 10)
			case m.Turn == 127:
				dst = append(dst, `"fastright"`...)
			case m.Turn == -127:
				dst = append(dst, `"fastleft"`...)
			default:
				r, _, _ := m.TurnRate()
				dst = strconv.AppendFloat(dst, r, 'f', 2, 64)
			}
		}
		dst = appendSpeedTenths(dst, m, o)
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendLonLat(dst, m, o)
		dst = appendCourseTenths(dst, m, o)
		dst = appendHeading(dst, m)
		dst = appendSecond(dst, m)
		dst = appendUint(dst, `,"maneuver":`, uint64(m.Maneuver))
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendUint(dst, `,"radio":`, uint64(m.Radio))
	case 4, 11:
		if m.Year != 0 || m.Month != 0 || m.Day != 0 || m.Hour < 24 || m.Minute < 60 || m.Second < 60 {
			dst = appendKey(dst, `,"timestamp":`)
			dst = append(dst, '"')
			dst = appendPadded(dst, uint64(m.Year), 4)
			dst = append(dst, '-')
			dst = appendPadded(dst, uint64(m.Month), 2)
			dst = append(dst, '-')
			dst = appendPadded(dst, uint64(m.Day), 2)
			dst = append(dst, 'T')
			dst = appendPadded(dst, uint64(m.Hour), 2)
			dst = append(dst, ':')
			dst = appendPadded(dst, uint64(m.Minute), 2)
			dst = append(dst, ':')
			dst = appendPadded(dst, uint64(m.Second), 2)
			dst = append(dst, `Z"`...)
		}
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendLonLat(dst, m, o)
		dst = appendEPFD(dst, m)
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendUint(dst, `,"radio":`, uint64(m.Radio))
	case 5:
		if m.IMO != 0 {
			dst = appendUint(dst, `,"imo":`, uint64(m.IMO))
		}
		dst = appendUint(dst, `,"ais_version":`, uint64(m.AISVersion))
		dst = appendText(dst, `,"callsign":`, m.Callsign)
		dst = appendText(dst, `,"shipname":`, m.Shipname)
		dst = appendShipType(dst, m)
		dst = appendDimensions(dst, m)
		dst = appendEPFD(dst, m)
		if m.Month != 0 || m.Day != 0 || m.Hour < 24 || m.Minute < 60 {
			dst = appendKey(dst, `,"eta":`)
			dst = append(dst, '"')
			dst = appendPadded(dst, uint64(m.Month), 2)
			dst = append(dst, '-')
			dst = appendPadded(dst, uint64(m.Day), 2)
			dst = append(dst, 'T')
			dst = appendPadded(dst, uint64(m.Hour), 2)
			dst = append(dst, ':')
			dst = appendPadded(dst, uint64(m.Minute), 2)
			dst = append(dst, `Z"`...)
		}
		if m.Draught != 0 {
			dst = appendKey(dst, `,"draught":`)
			if o.Scaled {
				dst = appendTenths(dst, uint64(m.Draught))
			} else {
				dst = strconv.AppendUint(dst, uint64(m.Draught), 10)
			}
		}
		dst = appendText(dst, `,"destination":`, m.Destination)
		if m.HasDTE {
			dst = appendFlagInt(dst, `,"dte":`, m.DTE)
		}
	case 9:
		if m.Alt != 4095 {
			dst = appendUint(dst, `,"alt":`, uint64(m.Alt))
		}
		if m.Speed != speedNA {
			dst = appendUint(dst, `,"speed":`, uint64(m.Speed))
		}
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendLonLat(dst, m, o)
		dst = appendCourseTenths(dst, m, o)
		dst = appendSecond(dst, m)
		dst = appendUint(dst, `,"regional":`, uint64(m.Regional))
		dst = appendFlagInt(dst, `,"dte":`, m.DTE)
		dst = appendBool(dst, `,"assigned":`, m.Assigned)
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendUint(dst, `,"radio":`, uint64(m.Radio))
	case 18, 19:
		dst = appendUint(dst, `,"reserved":`, uint64(m.Reserved))
		dst = appendSpeedTenths(dst, m, o)
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendLonLat(dst, m, o)
		dst = appendCourseTenths(dst, m, o)
		dst = appendHeading(dst, m)
		dst = appendSecond(dst, m)
		dst = appendUint(dst, `,"regional":`, uint64(m.Regional))
		if m.Type == 18 {
			dst = appendBool(dst, `,"cs":`, m.CS)
			dst = appendBool(dst, `,"display":`, m.Display)
			dst = appendBool(dst, `,"dsc":`, m.DSC)
			dst = appendBool(dst, `,"band":`, m.Band)
			dst = appendBool(dst, `,"msg22":`, m.Msg22)
			dst = appendBool(dst, `,"assigned":`, m.Assigned)
			dst = appendBool(dst, `,"raim":`, m.RAIM)
			dst = appendUint(dst, `,"radio":`, uint64(m.Radio))
			break
		}
		dst = appendText(dst, `,"shipname":`, m.Shipname)
		dst = appendShipType(dst, m)
		dst = appendDimensions(dst, m)
		dst = appendEPFD(dst, m)
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendFlagInt(dst, `,"dte":`, m.DTE)
		dst = appendBool(dst, `,"assigned":`, m.Assigned)
	case 21:
		dst = appendUint(dst, `,"aid_type":`, uint64(m.AidType))
		dst = appendKey(dst, `,"aid_type_text":`)
		dst = appendString(dst, aidTypeText(m.AidType))
		dst = appendText(dst, `,"name":`, m.Shipname)
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendLonLat(dst, m, o)
		dst = appendDimensions(dst, m)
		dst = appendEPFD(dst, m)
		dst = appendSecond(dst, m)
		dst = appendBool(dst, `,"off_position":`, m.OffPosition)
		dst = appendUint(dst, `,"regional":`, uint64(m.Regional))
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendBool(dst, `,"virtual_aid":`, m.VirtualAid)
		dst = appendBool(dst, `,"assigned":`, m.Assigned)
	case 24:
		dst = appendUint(dst, `,"part":`, uint64(m.Part))
		dst = appendText(dst, `,"shipname":`, m.Shipname)
		if m.Part == 1 {
			dst = appendShipType(dst, m)
			dst = appendText(dst, `,"vendorid":`, m.VendorID)
			dst = appendUint(dst, `,"model":`, uint64(m.Model))
			dst = appendUint(dst, `,"serial":`, uint64(m.Serial))
			dst = appendText(dst, `,"callsign":`, m.Callsign)
			if m.MMSI/10000000 == 98 {
				dst = appendUint(dst, `,"mothership_mmsi":`, uint64(m.MothershipMMSI))
			} else {
				dst = appendDimensions(dst, m)
			}
		}
	case 27:
		dst = appendStatus(dst, m)
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendLonLat(dst, m, o)
		if m.Speed != 63 {
			dst = appendUint(dst, `,"speed":`, uint64(m.Speed))
		}
		if m.Course != 511 {
			dst = appendUint(dst, `,"course":`, uint64(m.Course))
		}
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendBool(dst, `,"gnss":`, m.GNSS)
	case 7, 13:
		for k, a := range m.Acks {
			dst = appendUint(dst, ackKeys[k], uint64(a))
		}
	case 10:
		dst = appendUint(dst, `,"dest_mmsi":`, uint64(m.DestMMSI))
	case 12:
		dst = appendUint(dst, `,"seqno":`, uint64(m.SeqNo))
		dst = appendUint(dst, `,"dest_mmsi":`, uint64(m.DestMMSI))
		dst = appendBool(dst, `,"retransmit":`, m.Retransmit)
		dst = appendText(dst, `,"text":`, m.Text)
	case 14:
		dst = appendText(dst, `,"text":`, m.Text)
	case 6:
		dst = appendUint(dst, `,"seqno":`, uint64(m.SeqNo))
		dst = appendUint(dst, `,"dest_mmsi":`, uint64(m.DestMMSI))
		dst = appendBool(dst, `,"retransmit":`, m.Retransmit)
		dst = appendUint(dst, `,"dac":`, uint64(m.DAC))
		dst = appendUint(dst, `,"fid":`, uint64(m.FID))
		dst = appendData(dst, m)
	case 8:
		dst = appendUint(dst, `,"dac":`, uint64(m.DAC))
		dst = appendUint(dst, `,"fid":`, uint64(m.FID))
		dst = appendData(dst, m)
	case 17:
		dst = appendLonLat(dst, m, o)
		dst = appendData(dst, m)
	case 22:
		dst = appendUint(dst, `,"channel_a":`, uint64(m.ChannelA))
		dst = appendUint(dst, `,"channel_b":`, uint64(m.ChannelB))
		dst = appendUint(dst, `,"txrx":`, uint64(m.TxRx))
		dst = appendBool(dst, `,"power":`, m.Power)
		if m.Addressed {
			dst = appendUint(dst, `,"dest1":`, uint64(m.Dest1))
			dst = appendUint(dst, `,"dest2":`, uint64(m.Dest2))
		} else {
			dst = appendArea(dst, m.Area, o)
		}
		dst = appendBool(dst, `,"addressed":`, m.Addressed)
		dst = appendBool(dst, `,"band_a":`, m.BandA)
		dst = appendBool(dst, `,"band_b":`, m.BandB)
		dst = appendUint(dst, `,"zonesize":`, uint64(m.ZoneSize))
	case 23:
		dst = appendArea(dst, m.Area, o)
		dst = appendUint(dst, `,"stationtype":`, uint64(m.StationType))
		dst = appendKey(dst, `,"stationtype_text":`)
		dst = appendString(dst, stationTypeText(m.StationType))
		dst = appendShipType(dst, m)
		dst = appendUint(dst, `,"txrx":`, uint64(m.TxRx))
		dst = appendUint(dst, `,"interval":`, uint64(m.Interval))
		dst = appendUint(dst, `,"quiet":`, uint64(m.Quiet))
	case 25, 26:
		dst = appendBool(dst, `,"addressed":`, m.Addressed)
		dst = appendBool(dst, `,"structured":`, m.Structured)
		if m.Addressed {
			dst = appendUint(dst, `,"dest_mmsi":`, uint64(m.DestMMSI))
		}
		if m.Structured {
			dst = appendUint(dst, `,"app_id":`, uint64(m.AppID))
		}
		dst = appendData(dst, m)
		if m.Type == 26 {
			dst = appendUint(dst, `,"radio":`, uint64(m.Radio))
		}
	case 15:
		for k, q := range m.Interrogations {
			keys := &interrogationKeys[k]
			if k != 1 {
				dst = appendUint(dst, keys[0], uint64(q.MMSI))
			}
			dst = appendUint(dst, keys[1], uint64(q.Type))
			dst = appendUint(dst, keys[2], uint64(q.Offset))
		}
	case 16:
		for k, a := range m.Assignments {
			keys := &assignmentKeys[k]
			dst = appendUint(dst, keys[0], uint64(a.MMSI))
			dst = appendUint(dst, keys[1], uint64(a.Offset))
			dst = appendUint(dst, keys[2], uint64(a.Increment))
		}
	case 20:
		for k, r := range m.Reservations {
			keys := &reservationKeys[k]
			dst = appendUint(dst, keys[0], uint64(r.Offset))
			dst = appendUint(dst, keys[1], uint64(r.Number))
			dst = appendUint(dst, keys[2], uint64(r.Timeout))
			dst = appendUint(dst, keys[3], uint64(r.Increment))
		}
	default:
		dst = appendText(dst, `,"payload":`, m.Payload)
		dst = appendUint(dst, `,"fill":`, uint64(m.Fill))
	}
	return append(dst, '}')
}

var ackKeys = [4]string{`,"mmsi1":`, `,"mmsi2":`, `,"mmsi3":`, `,"mmsi4":`}

// gpsd's member names for the entries of types 15, 16 and 20.
var (
	interrogationKeys = [3][3]string{
		{`,"mmsi1":`, `,"type1_1":`, `,"offset1_1":`},
		{``, `,"type1_2":`, `,"offset1_2":`},
		{`,"mmsi2":`, `,"type2_1":`, `,"offset2_1":`},
	}
	assignmentKeys = [2][3]string{
		{`,"mmsi1":`, `,"offset1":`, `,"increment1":`},
		{`,"mmsi2":`, `,"offset2":`, `,"increment2":`},
	}
	reservationKeys = [4][4]string{
		{`,"offset1":`, `,"number1":`, `,"timeout1":`, `,"increment1":`},
		{`,"offset2":`, `,"number2":`, `,"timeout2":`, `,"increment2":`},
		{`,"offset3":`, `,"number3":`, `,"timeout3":`, `,"increment3":`},
		{`,"offset4":`, `,"number4":`, `,"timeout4":`, `,"increment4":`},
	}
)

// appendKey appends a member name already written as `,"name":`, so that the hot path
// copies one constant instead of quoting names.
func appendKey(dst []byte, k string) []byte {
	return append(dst, k...)
}

func appendUint(dst []byte, k string, v uint64) []byte {
	return strconv.AppendUint(appendKey(dst, k), v, 10)
}

func appendBool(dst []byte, k string, v bool) []byte {
	return strconv.AppendBool(appendKey(dst, k), v)
}

func appendFlagInt(dst []byte, k string, v bool) []byte {
	dst = appendKey(dst, k)
	if v {
		return append(dst, '1')
	}
	return append(dst, '0')
}

func appendPadded(dst []byte, v uint64, width int) []byte {
	var b [20]byte
	s := strconv.AppendUint(b[:0], v, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// appendString appends s as a JSON string. Six-bit text holds only printable ASCII, so only
// quotes and backslashes need escaping; other control bytes are escaped for safety.
func appendString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c == 0x7f:
			const hex = "0123456789abcdef"
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// appendText appends a text field unless it is empty, the standard's "not available".
func appendText(dst []byte, k string, v []byte) []byte {
	if len(v) == 0 {
		return dst
	}
	return appendString(appendKey(dst, k), v)
}

func appendStatus(dst []byte, m *Message) []byte {
	dst = appendUint(dst, `,"status":`, uint64(m.Status))
	dst = appendKey(dst, `,"status_text":`)
	return appendString(dst, statusText(m.Status))
}

func appendShipType(dst []byte, m *Message) []byte {
	dst = appendUint(dst, `,"shiptype":`, uint64(m.ShipType))
	dst = appendKey(dst, `,"shiptype_text":`)
	return appendString(dst, shipTypeText(m.ShipType))
}

func appendEPFD(dst []byte, m *Message) []byte {
	dst = appendUint(dst, `,"epfd":`, uint64(m.EPFD))
	dst = appendKey(dst, `,"epfd_text":`)
	return appendString(dst, epfdText(m.EPFD))
}

func appendDimensions(dst []byte, m *Message) []byte {
	dst = appendUint(dst, `,"to_bow":`, uint64(m.ToBow))
	dst = appendUint(dst, `,"to_stern":`, uint64(m.ToStern))
	dst = appendUint(dst, `,"to_port":`, uint64(m.ToPort))
	return appendUint(dst, `,"to_starboard":`, uint64(m.ToStarboard))
}

func appendSpeedTenths(dst []byte, m *Message, o JSONOptions) []byte {
	if m.Speed == speedNA {
		return dst
	}
	dst = appendKey(dst, `,"speed":`)
	if o.Scaled {
		return appendTenths(dst, uint64(m.Speed))
	}
	return strconv.AppendUint(dst, uint64(m.Speed), 10)
}

func appendCourseTenths(dst []byte, m *Message, o JSONOptions) []byte {
	if m.Course >= courseNA {
		return dst
	}
	dst = appendKey(dst, `,"course":`)
	if o.Scaled {
		return appendTenths(dst, uint64(m.Course))
	}
	return strconv.AppendUint(dst, uint64(m.Course), 10)
}

func appendHeading(dst []byte, m *Message) []byte {
	if m.Heading == headNA {
		return dst
	}
	return appendUint(dst, `,"heading":`, uint64(m.Heading))
}

func appendSecond(dst []byte, m *Message) []byte {
	if m.Second == secondNA {
		return dst
	}
	return appendUint(dst, `,"second":`, uint64(m.Second))
}

// appendLonLat appends each coordinate that is available: a receiver may know one and not
// the other, and gpsd reports them separately.
func appendLonLat(dst []byte, m *Message, o JSONOptions) []byte {
	if m.Type == 17 {
		// DGNSS reference station position, 1/10 minute, which gpsd prints to 0.1 degree.
		dst = appendKey(dst, `,"lon":`)
		dst = appendDGNSSCoordinate(dst, m.Lon, o.Scaled)
		dst = appendKey(dst, `,"lat":`)
		return appendDGNSSCoordinate(dst, m.Lat, o.Scaled)
	}
	if m.lonOK() {
		dst = appendKey(dst, `,"lon":`)
		dst = appendCoordinate(dst, m.Lon, m.Type == 27, o.Scaled)
	}
	if m.latOK() {
		dst = appendKey(dst, `,"lat":`)
		dst = appendCoordinate(dst, m.Lat, m.Type == 27, o.Scaled)
	}
	return dst
}

// appendArea writes the corners of a type 22 or 23 area, in 1/10 minute of arc.
func appendArea(dst []byte, a Area, o JSONOptions) []byte {
	dst = appendKey(dst, `,"ne_lon":`)
	dst = appendTenthMinutes(dst, a.NELon, o.Scaled)
	dst = appendKey(dst, `,"ne_lat":`)
	dst = appendTenthMinutes(dst, a.NELat, o.Scaled)
	dst = appendKey(dst, `,"sw_lon":`)
	dst = appendTenthMinutes(dst, a.SWLon, o.Scaled)
	dst = appendKey(dst, `,"sw_lat":`)
	return appendTenthMinutes(dst, a.SWLat, o.Scaled)
}

func appendTenthMinutes(dst []byte, raw int32, scaled bool) []byte {
	if !scaled {
		return strconv.AppendInt(dst, int64(raw), 10)
	}
	return strconv.AppendFloat(dst, float64(raw)/600, 'f', 6, 64)
}

func appendDGNSSCoordinate(dst []byte, raw int32, scaled bool) []byte {
	if !scaled {
		return strconv.AppendInt(dst, int64(raw), 10)
	}
	return strconv.AppendFloat(dst, float64(raw)/600, 'f', 1, 64)
}

// appendCoordinate writes a coordinate in degrees as gpsd does: seven decimals from
// 1/10000 minute, four from type 27's 1/10 minute. Both are raw·50/3 in units of the last
// decimal (raw/600000 degrees is raw·50/3 ten-millionths), so the digits are computed
// exactly in integers; the remainder is a third or two thirds, never a tie, so rounding it to
// the nearest unit gives the digits strconv.AppendFloat would, at a tenth of the cost.
func appendCoordinate(dst []byte, raw int32, long bool, scaled bool) []byte {
	if !scaled {
		return strconv.AppendInt(dst, int64(raw), 10)
	}
	v := int64(raw) * 50
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	q := v / 3
	if v%3 == 2 {
		q++
	}
	decimals, pow := int64(7), int64(10000000)
	if long {
		decimals, pow = 4, 10000
	}
	dst = strconv.AppendInt(dst, q/pow, 10)
	dst = append(dst, '.')
	return appendPadded(dst, uint64(q%pow), int(decimals))
}

// appendData writes binary data as gpsd does: "bits:hex", the hex digits of whole bytes.
func appendData(dst []byte, m *Message) []byte {
	const hex = "0123456789abcdef"
	dst = appendKey(dst, `,"data":"`)
	dst = strconv.AppendUint(dst, uint64(m.DataBits), 10)
	dst = append(dst, ':')
	for _, b := range m.Data {
		dst = append(dst, hex[b>>4], hex[b&15])
	}
	return append(dst, '"')
}

// appendTenths writes v/10 with one decimal, as strconv.AppendFloat(v/10, 'f', 1) would.
func appendTenths(dst []byte, v uint64) []byte {
	dst = strconv.AppendUint(dst, v/10, 10)
	return append(dst, '.', byte('0'+v%10))
}
