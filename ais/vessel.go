package ais

import (
	"strconv"
	"time"

	"github.com/truce-project/truce"
)

// DefaultStaticCapacity is how many vessels' static data a Vessels remembers by default.
const DefaultStaticCapacity = 4096

// Vessels turns decoded messages into observations: position reports (types 1, 2, 3, 18,
// 19, 27) become "sea.vessel" observations and SAR aircraft reports (type 9) "air.aircraft".
// Static and voyage data (types 5, 19 and 24) is remembered by MMSI, so that a position
// report carries the vessel's name and ship type once they have been heard. The memory is
// bounded: past Capacity vessels, the one heard of first is forgotten first.
//
// A Vessels is not safe for concurrent use.
type Vessels struct {
	// DefaultSource is the observation source when the sentence had no tag block source.
	DefaultSource string
	// Capacity bounds the static data cache; 0 means DefaultStaticCapacity.
	Capacity int

	static map[uint32]*staticData
	order  []uint32 // MMSIs in the order first cached, a ring of Capacity
	next   int
}

// staticData is what types 5, 19 and 24 say about a vessel.
type staticData struct {
	name, callsign string
	shipType       uint8
	imo            uint32
}

// Observe returns the observation a message makes, if it makes one: a position report with
// an available position and a time. The time is the tag block's reception time when the
// sentence had one, else received (the caller's time of reception); with neither, there is
// no observation. Static data messages update the cache and make no observation.
//
// The observation's ID is "ais:" MMSI ":" Unix milliseconds, unique within its source, so a
// report received twice from one source is the same observation.
func (v *Vessels) Observe(m *Message, received time.Time) (truce.Observation, bool) {
	switch m.Type {
	case 5, 19, 24:
		v.remember(m)
	}
	kind := "sea.vessel"
	switch {
	case m.IsPositionReport():
	case m.Type == 9:
		kind = "air.aircraft"
	default:
		return truce.Observation{}, false
	}
	lat, lon, ok := m.Position()
	if !ok {
		return truce.Observation{}, false
	}
	at := received
	if m.UnixMilli != 0 {
		at = time.UnixMilli(m.UnixMilli)
	}
	if at.IsZero() {
		return truce.Observation{}, false
	}
	at = at.UTC().Truncate(time.Millisecond)
	source := m.Source
	if source == "" {
		source = v.DefaultSource
	}
	o := truce.Observation{
		ID:     "ais:" + strconv.FormatUint(uint64(m.MMSI), 10) + ":" + strconv.FormatInt(at.UnixMilli(), 10),
		Source: source,
		Time:   at,
		Kind:   kind,
		Lat:    lat,
		Lon:    lon,
		CEm:    uncertainty(m),
		Attrs: map[string]any{
			"mmsi":     float64(m.MMSI),
			"ais_type": float64(m.Type),
		},
		Raw: append([]byte(nil), m.Payload...),
	}
	a := o.Attrs
	if s, ok := m.SpeedKnots(); ok {
		a["speed"] = s
	}
	if c, ok := m.CourseDegrees(); ok {
		a["course"] = c
	}
	if h, ok := m.HeadingDegrees(); ok {
		a["heading"] = float64(h)
	}
	switch m.Type {
	case 1, 2, 3, 27:
		a["class"] = "A"
		a["nav_status"] = float64(m.Status)
		a["nav_status_text"] = m.StatusText()
	case 18, 19:
		a["class"] = "B"
	case 9:
		if m.Alt != 4095 {
			a["alt_m"] = float64(m.Alt)
		}
	}
	if st := v.static[m.MMSI]; st != nil {
		if st.name != "" {
			a["ship_name"] = st.name
		}
		if st.callsign != "" {
			a["callsign"] = st.callsign
		}
		if st.shipType != 0 {
			a["ship_type"] = float64(st.shipType)
			a["ship_type_text"] = shipTypeText(st.shipType)
		}
		if st.imo != 0 {
			a["imo"] = float64(st.imo)
		}
	}
	return o, true
}

// uncertainty is the radius of the horizontal uncertainty circle. The accuracy flag says
// better than 10 m (DGNSS) or worse (plain GNSS, taken as 30 m); a type 27 position is
// rounded to 1/10 minute, up to 93 m in latitude, taken as 100 m.
func uncertainty(m *Message) float64 {
	switch {
	case m.Type == 27:
		return 100
	case m.Accuracy:
		return 10
	}
	return 30
}

// remember merges what a static message says into the cache. Parts of the record a message
// does not carry (a type 24 part A has only the name) keep their earlier values.
func (v *Vessels) remember(m *Message) {
	if v.static == nil {
		n := v.Capacity
		if n <= 0 {
			n = DefaultStaticCapacity
		}
		v.static = make(map[uint32]*staticData, n)
		v.order = make([]uint32, n)
	}
	st := v.static[m.MMSI]
	if st == nil {
		if old := v.order[v.next]; old != 0 || len(v.static) >= len(v.order) {
			delete(v.static, old)
		}
		v.order[v.next] = m.MMSI
		v.next = (v.next + 1) % len(v.order)
		st = &staticData{}
		v.static[m.MMSI] = st
	}
	if len(m.Shipname) > 0 && string(m.Shipname) != st.name {
		st.name = string(m.Shipname)
	}
	if len(m.Callsign) > 0 && string(m.Callsign) != st.callsign {
		st.callsign = string(m.Callsign)
	}
	if m.Type != 24 || m.Part == 1 {
		if m.ShipType != 0 {
			st.shipType = m.ShipType
		}
	}
	if m.Type == 5 && m.IMO != 0 {
		st.imo = m.IMO
	}
}

// StaticCount returns how many vessels' static data is remembered.
func (v *Vessels) StaticCount() int { return len(v.static) }
