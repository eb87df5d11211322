package maritime

import "time"

// Kinds of Event.
const (
	// EventExclusion: a military or unknown vessel inside an exclusion or stand-off zone.
	EventExclusion = "exclusion"
	// EventStandoff: a military or unknown vessel within the stand-off distance of a vessel
	// in a corridor zone. Vessels[0] is the military or unknown vessel, Vessels[1] the one
	// in the corridor.
	EventStandoff = "standoff"
	// EventDark: a vessel silent for the dark period or longer, far from shore at one end.
	EventDark = "dark"
	// EventEncounter: two vessels close together and slow, away from anchorages.
	EventEncounter = "encounter"
	// EventLoitering: a vessel slow for a long time far from shore.
	EventLoitering = "loitering"
	// EventJump: consecutive positions of a vessel that no ship could sail between.
	EventJump = "jump"
)

// Event is something a detector found in the vessels' tracks: what, who, when and where,
// and a sentence a person can read. It is what a finding is made from.
type Event struct {
	Kind string `json:"kind"`
	// Vessels names the vessels concerned as VesselID does; MMSI holds their MMSIs,
	// index-aligned, 0 for a vessel known only by a track.
	Vessels []string `json:"vessels"`
	MMSI    []uint32 `json:"mmsi"`
	// Party is the affiliation of the first vessel, when its observations gave one.
	Party string `json:"party,omitempty"`
	// Zone is the agreement zone concerned (exclusion, and the corridor for a stand-off).
	Zone string `json:"zone,omitempty"`
	// Start and End bound what the event rests on: the entry into the zone and the position
	// that found it, the silence, the time the vessels were close or slow.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Lat, Lon is where the event was: the position in the zone, the position before a
	// silence or a jump, the mean position of an encounter or of loitering. Lat2, Lon2 is a
	// second position where there is one: the position after a silence or a jump, the
	// corridor vessel of a stand-off.
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	Lat2      float64 `json:"lat2,omitempty"`
	Lon2      float64 `json:"lon2,omitempty"`
	HasSecond bool    `json:"-"`
	// Observations are the ids of the observations the event rests on, newest last.
	Observations []string `json:"observations"`
	Explanation  string   `json:"explanation"`
}
