package geo

// Containment says where a point with an uncertainty circle stands relative to a zone.
type Containment uint8

const (
	// Outside: the whole uncertainty circle is outside the zone.
	Outside Containment = iota
	// Possible: the uncertainty circle crosses the zone's boundary.
	Possible
	// Inside: the whole uncertainty circle is inside the zone.
	Inside
)

func (c Containment) String() string {
	switch c {
	case Inside:
		return "inside"
	case Possible:
		return "possible"
	default:
		return "outside"
	}
}

// Side is the side of a line a point is on, walking the line in coordinate order.
type Side int8

const (
	// SideNone: the point is on the line (or the line is degenerate).
	SideNone Side = iota
	SideLeft
	SideRight
)

func (s Side) String() string {
	switch s {
	case SideLeft:
		return "left"
	case SideRight:
		return "right"
	default:
		return "on"
	}
}

// LineStatus is a point's relation to one line of the agreement.
type LineStatus struct {
	// DistanceM is the geodesic (WGS84) distance in metres from the point to the nearest point
	// of the line. It is within 8 cm + 2e-6 of the distance of the exact value (under 1 m to
	// 300 km), and exact where a zone's decision depended on it. For a point beyond every
	// distance the agreement measures from the line (its widest band, plus the uncertainty)
	// and more than 1 km away, it is measured to the line simplified to 50 m, so within about
	// 50 m. It is NaN for coordinates Locate cannot place.
	DistanceM float64
	// Side is the side of the line the point is on.
	Side Side
	// SideCertain is false when the uncertainty circle reaches across the line, so the point
	// may be on either side.
	SideCertain bool
}

// Location is everything the rules need to know about where a point is: its containment in
// each zone and its relation to each line, index-aligned with the agreement's Zones and Lines.
// A Location is reused across calls to Engine.Locate so that locating allocates nothing.
type Location struct {
	Zones []Containment
	Lines []LineStatus

	// Per-call state of the engine that filled the Location last, kept here so that Locate
	// allocates nothing and the Engine itself stays safe for concurrent use.
	engine   *Engine
	near     []lineNear
	lat, lon float64
}
