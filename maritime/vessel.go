package maritime

import (
	"math"
	"strconv"
)

// fix is one position of a vessel, with what the detectors derive from it once.
type fix struct {
	t        int64 // Unix milliseconds
	lat, lon float64
	speedKn  float64 // NaN when neither reported nor derivable
	anchorM  float64 // distance to the nearest anchorage; NaN until needed
	corridor int16   // the corridor zone the position is in or possibly in; -1: none
	obs      string  // the observation's id
}

// vessel is one tracked vessel: its identity, a ring of its recent positions, the state of
// the detectors that follow it, and its links in the least-recently-seen list and the grid.
type vessel struct {
	key      vesselKey
	id       string
	mmsi     uint32
	name     string
	party    string
	military bool
	static   bool // ship type or name heard
	// suspectAt is the vessel's index in the Detector's suspects, -1 when not a suspect.
	suspectAt int
	first     int64 // when first heard, Unix milliseconds

	ring []fix // TrackLength positions, oldest overwritten
	head int   // where the next position goes
	n    int   // positions held

	// Exclusion zones: the zone of the vessel's stay (-1: none), since when, and whether
	// that stay has been reported.
	zone        int
	zoneSince   int64
	zoneEntered string // the observation of the first position in the zone
	zoneDone    bool
	zoneOut     int64 // when the vessel was first seen out of the zone since; 0: in it

	// Loitering: the start of the current slow run far from shore (0: none), the sums for
	// its mean position, and whether it has been reported.
	loiterStart int64
	loiterLat   float64
	loiterLon   float64
	loiterN     int
	loiterObs   string
	loiterDone  bool
	jumped      bool // the newest position was reached by a jump
	prev, next  *vessel
	cell        int64
	cellSet     bool
}

// last returns the newest position; the vessel must have one.
func (v *vessel) last() *fix { return &v.ring[(v.head+len(v.ring)-1)%len(v.ring)] }

// before returns the position k steps before the newest (k = 0 is the newest), or nil.
func (v *vessel) before(k int) *fix {
	if k >= v.n {
		return nil
	}
	return &v.ring[(v.head+len(v.ring)-1-k)%len(v.ring)]
}

func (v *vessel) push(f fix) {
	v.ring[v.head] = f
	v.head = (v.head + 1) % len(v.ring)
	if v.n < len(v.ring) {
		v.n++
	}
}

// pop removes the newest position.
func (v *vessel) pop() {
	if v.n == 0 {
		return
	}
	v.head = (v.head + len(v.ring) - 1) % len(v.ring)
	v.ring[v.head] = fix{}
	v.n--
}

// label is how explanations name the vessel.
func (v *vessel) label() string {
	s := ""
	switch {
	case v.military && v.name != "":
		s = "military vessel " + v.name
	case v.military:
		s = "military vessel"
	case v.name != "":
		s = "vessel " + v.name
	case !v.static:
		s = "unidentified vessel"
	default:
		s = "vessel"
	}
	if v.mmsi != 0 {
		return s + " (MMSI " + strconv.FormatUint(uint64(v.mmsi), 10) + ")"
	}
	return s + " (" + v.id + ")"
}

// lru is the list of vessels from the most recently heard (front) to the least.
type lru struct{ front, back *vessel }

func (l *lru) remove(v *vessel) {
	if v.prev != nil {
		v.prev.next = v.next
	} else {
		l.front = v.next
	}
	if v.next != nil {
		v.next.prev = v.prev
	} else {
		l.back = v.prev
	}
	v.prev, v.next = nil, nil
}

func (l *lru) pushFront(v *vessel) {
	v.next = l.front
	if l.front != nil {
		l.front.prev = v
	}
	l.front = v
	if l.back == nil {
		l.back = v
	}
}

// grid buckets vessels by their newest position in cells of gridDeg degrees, so that the
// vessels near a point are found by looking in a few cells.
type grid map[int64][]*vessel

const gridDeg = 0.05

func cellOf(lat, lon float64) int64 {
	return int64(math.Floor(lat/gridDeg))<<32 | int64(uint32(int32(math.Floor(lon/gridDeg))))
}

func (g grid) move(v *vessel, lat, lon float64) {
	c := cellOf(lat, lon)
	if v.cellSet && v.cell == c {
		return
	}
	g.remove(v)
	g[c] = append(g[c], v)
	v.cell, v.cellSet = c, true
}

func (g grid) remove(v *vessel) {
	if !v.cellSet {
		return
	}
	vs := g[v.cell]
	for i, u := range vs {
		if u == v {
			vs[i] = vs[len(vs)-1]
			vs[len(vs)-1] = nil
			vs = vs[:len(vs)-1]
			break
		}
	}
	if len(vs) == 0 {
		delete(g, v.cell)
	} else {
		g[v.cell] = vs
	}
	v.cellSet = false
}

// near calls fn for every vessel whose newest position is in a cell within rM metres of
// the point (a superset of the vessels within rM).
func (g grid) near(lat, lon, rM float64, fn func(u *vessel)) {
	dlat := rM / (earthRadiusM * math.Pi / 180)
	c := math.Cos(math.Min(89, math.Abs(lat)+dlat) * math.Pi / 180)
	dlon := math.Min(180, dlat/c)
	lat0, lat1 := int64(math.Floor((lat-dlat)/gridDeg)), int64(math.Floor((lat+dlat)/gridDeg))
	lon0, lon1 := int64(math.Floor((lon-dlon)/gridDeg)), int64(math.Floor((lon+dlon)/gridDeg))
	for a := lat0; a <= lat1; a++ {
		for b := lon0; b <= lon1; b++ {
			for _, u := range g[a<<32|int64(uint32(int32(b)))] {
				fn(u)
			}
		}
	}
}
