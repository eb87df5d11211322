package sim

import (
	"bufio"
	"encoding/json"
	"io"
	"iter"
	"time"

	truce "github.com/truce-project/truce"
)

// Generators of observations, as Label.Generator names them.
const (
	GenPatrol   = "patrol"   // an ordinary sighting by a mission patrol
	GenAcoustic = "acoustic" // a report of an acoustic sensor that heard a fire event
	GenVessel   = "vessel"   // a ship's position report: AIS from merchants, radar for warships
	GenInjected = "injected" // an observation made to break a chosen rule
)

// Label is the ground truth of one observation. The relation it promises, for every
// observation the scenario yields, judged by a judge compiled from the same agreement:
//
//   - the set of rules whose findings the observation raises equals Rules (Rules is in the
//     agreement's order), and Violation is len(Rules) > 0;
//   - an observation of Generator "patrol" or "vessel" is ordinary: its Rules is empty;
//   - an observation of Generator "injected" has Injected set, and Rules holds
//     Injected.Rule, whose finding is inside the rule's place and attributed to
//     Injected.Party (no party for a rule that does not attribute);
//   - an observation of Generator "acoustic" belongs to Event, a real fire event, and breaks
//     whatever rules fire at the sensor's position (on notional-east, the ceasefire).
type Label struct {
	ID        string     `json:"id"`
	Source    string     `json:"source"`
	Generator string     `json:"generator"`
	Violation bool       `json:"violation"`
	Rules     []string   `json:"rules,omitempty"`
	Injected  *Violation `json:"-"`
	Event     *Event     `json:"-"`
	// InjectedID and EventID name Injected and Event in the truth file.
	InjectedID string `json:"injected,omitempty"`
	EventID    string `json:"event,omitempty"`
}

// Violation is the truth of one injected violation: what was broken, by whom, when and where.
// Lat and Lon are where it truly was; its observations report it with an error within their
// uncertainty (ce_m).
type Violation struct {
	ID           string    `json:"id"`
	Rule         string    `json:"rule"`
	Article      string    `json:"article"`
	Party        string    `json:"party,omitempty"`
	Time         time.Time `json:"time"`
	Lat          float64   `json:"lat"`
	Lon          float64   `json:"lon"`
	Observations []string  `json:"observations"`
	// OriginLat and OriginLon are where fire truly came from, for fire the rule attributes by
	// origin; the observation's origin_lat and origin_lon are within its origin_ce_m of it.
	OriginLat *float64 `json:"origin_lat,omitempty"`
	OriginLon *float64 `json:"origin_lon,omitempty"`
}

// Event is the truth of one fire event heard by acoustic sensors: where it was fired from,
// where it struck, by whom, and the reports of the sensors that heard it.
type Event struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Weapon    string    `json:"weapon"`
	Party     string    `json:"party"`
	Time      time.Time `json:"time"`
	OriginLat float64   `json:"origin_lat"`
	OriginLon float64   `json:"origin_lon"`
	ImpactLat float64   `json:"impact_lat"`
	ImpactLon float64   `json:"impact_lon"`
	// HeardLat and HeardLon are the sound the sensors took a bearing on: the impact of an
	// explosion, the firing position of a burst.
	HeardLat float64  `json:"heard_lat"`
	HeardLon float64  `json:"heard_lon"`
	Reports  []string `json:"reports"`
	// Launched is when the round was fired and Launches the sensors' reports of the launch
	// (Config.Launches), a bearing to the origin each; Time is then when it landed.
	Launched time.Time `json:"launched,omitzero"`
	Launches []string  `json:"launches,omitempty"`
}

// Truth is the ground truth of a scenario: every observation's label in output order, and the
// injected violations and fire events they belong to.
type Truth struct {
	Agreement    string       `json:"agreement"`
	Hash         string       `json:"agreement_hash"`
	Seed         uint64       `json:"seed"`
	Start        time.Time    `json:"start"`
	Hours        float64      `json:"hours"`
	Rate         float64      `json:"rate"`
	Observations []Label      `json:"observations"`
	Violations   []*Violation `json:"violations"`
	Events       []*Event     `json:"events"`

	seen map[any]bool
}

// NewTruth starts the truth of s; Add each observation's label to it as it is yielded.
func NewTruth(s *Scenario) *Truth {
	return &Truth{
		Agreement: s.a.ID, Hash: s.a.Hash, Seed: s.cfg.Seed, Start: s.cfg.Start,
		Hours: s.cfg.Hours, Rate: s.cfg.Rate,
		Violations: []*Violation{}, Events: []*Event{},
	}
}

// Add records a label. Violations and events are listed once, in the order their first
// observation was yielded.
func (t *Truth) Add(l Label) {
	t.Observations = append(t.Observations, l)
	if t.seen == nil {
		t.seen = map[any]bool{}
	}
	// Reports of two events can interleave in time, so "already listed" needs a set.
	if v := l.Injected; v != nil && !t.seen[v] {
		t.seen[v] = true
		t.Violations = append(t.Violations, v)
	}
	if e := l.Event; e != nil && !t.seen[e] {
		t.seen[e] = true
		t.Events = append(t.Events, e)
	}
}

// WriteJSON writes the truth as one indented JSON document.
func (t *Truth) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(t)
}

// ReadTruth reads a truth file written by WriteJSON.
func ReadTruth(r io.Reader) (*Truth, error) {
	var t Truth
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return nil, truce.Errorf(truce.EINVALID, "truth: %v", err)
	}
	return &t, nil
}

// WriteNDJSON writes each observation of seq to w as one line of JSON, passing each label to
// onLabel (which may be nil), and returns the number written.
func WriteNDJSON(w io.Writer, seq iter.Seq2[truce.Observation, Label], onLabel func(Label)) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	n := 0
	for o, l := range seq {
		if err := enc.Encode(&o); err != nil {
			return n, err
		}
		n++
		if onLabel != nil {
			onLabel(l)
		}
	}
	return n, bw.Flush()
}
