package truce

import "time"

// Containment statuses of a finding: where the observation stands relative to the zone (or
// line condition) the rule concerns.
const (
	// StatusInside: the whole uncertainty circle of the observation meets the rule's place.
	StatusInside = "inside"
	// StatusPossible: the uncertainty circle crosses the boundary; the observation may or may
	// not be inside.
	StatusPossible = "possible"
)

// PartyUndetermined is the attributed party of a finding whose responsibility the evidence
// does not settle.
const PartyUndetermined = "undetermined"

// Finding is one rule of the agreement judged against an observation.
type Finding struct {
	// ID is stable: the same rule judged against the same observation gives the same ID.
	ID          string    `json:"id"`
	Rule        string    `json:"rule"`
	Article     string    `json:"article"`
	Title       string    `json:"title,omitempty"`
	Observation string    `json:"observation"`
	Source      string    `json:"source,omitempty"`
	Kind        string    `json:"kind"`
	Time        time.Time `json:"time"`
	Lat         float64   `json:"lat"`
	Lon         float64   `json:"lon"`
	Zone        string    `json:"zone,omitempty"`
	// Party is the party held responsible, PartyUndetermined, or empty when the rule does not
	// attribute.
	Party       string  `json:"party,omitempty"`
	Attribution string  `json:"attribution,omitempty"`
	Severity    string  `json:"severity"`
	Confidence  float64 `json:"confidence"`
	// Status is StatusInside or StatusPossible.
	Status      string `json:"status"`
	Explanation string `json:"explanation"`
	// Agreement is the content hash of the agreement the finding was judged under.
	Agreement string `json:"agreement"`
	// Review is where people's checking of the finding stands (ReviewDetected until someone
	// acts on it).
	Review string `json:"review,omitempty"`
}
