package maritime

import "time"

// Nautical mile and knot, the units of the sea.
const (
	NauticalMileM = 1852.0
	knotMS        = NauticalMileM / 3600 // metres a second in a knot
)

// Config holds the detectors' thresholds and the memory bounds. A zero field takes the
// default named beside it. The defaults of the dark period, encounter and loitering
// detectors are those Global Fishing Watch publishes for its own AIS products.
type Config struct {
	// MaxVessels bounds how many vessels are tracked (default 10,000). Past it, the vessel
	// heard from least recently is forgotten, with its track and its detectors' state; a
	// vessel that then reappears starts afresh. Set it above the number of vessels heard
	// within GapMin, or dark periods of forgotten vessels go unseen.
	MaxVessels int
	// TrackLength is how many recent positions each vessel keeps (default 32).
	TrackLength int

	// StandoffM is how close a military or unknown vessel may come to a vessel in a corridor
	// zone, in metres (default 10 nm).
	StandoffM float64
	// UnknownAfter is how long a vessel must have been tracked without static data (ship
	// type or name) before it counts as unknown (default 15 minutes). AIS sends static data
	// every six minutes, so every vessel is briefly without it when first heard.
	UnknownAfter time.Duration

	// GapMin is the silence that makes a dark period (default 12 h), reported when the
	// vessel is heard again, if its last or next position is more than GapShoreM metres
	// from shore (default 50 nm), where a receiver should have heard it.
	GapMin    time.Duration
	GapShoreM float64

	// Two vessels are in an encounter when within EncounterM metres of each other (default
	// 500 m), both under EncounterMaxKn knots (default 2), for EncounterMin or more (default
	// 2 h), more than EncounterAnchorageM metres from any anchorage (default 10 km).
	EncounterM          float64
	EncounterMaxKn      float64
	EncounterMin        time.Duration
	EncounterAnchorageM float64

	// A vessel loiters when under LoiterMaxKn knots (default 2) for LoiterMin or more
	// (default 4 h), more than LoiterShoreM metres from shore (default 20 nm).
	LoiterMaxKn  float64
	LoiterMin    time.Duration
	LoiterShoreM float64

	// JumpMaxKn is the speed that consecutive positions of a ship cannot imply (default 50
	// knots, beyond any merchant ship or warship in the Black Sea). A jump must also be
	// longer than JumpMinM metres (default 1 nm), so that two reports a second apart with
	// the usual position noise are not a jump.
	JumpMaxKn float64
	JumpMinM  float64

	// PairMaxAge is how old the other vessel's last position may be when two vessels are
	// compared, for the stand-off and encounters (default 10 minutes). PairPause is how
	// long a pair may go unconfirmed before a stand-off or encounter counts as over
	// (default 30 minutes).
	PairMaxAge time.Duration
	PairPause  time.Duration

	// Anchorages are points (latitude, longitude) counted as anchorages besides the
	// agreement's zones of kind anchorage.
	Anchorages [][2]float64
}

// Defaults of Config.
const (
	DefaultMaxVessels          = 10_000
	DefaultTrackLength         = 32
	DefaultStandoffM           = 10 * NauticalMileM
	DefaultUnknownAfter        = 15 * time.Minute
	DefaultGapMin              = 12 * time.Hour
	DefaultGapShoreM           = 50 * NauticalMileM
	DefaultEncounterM          = 500
	DefaultEncounterMaxKn      = 2
	DefaultEncounterMin        = 2 * time.Hour
	DefaultEncounterAnchorageM = 10_000
	DefaultLoiterMaxKn         = 2
	DefaultLoiterMin           = 4 * time.Hour
	DefaultLoiterShoreM        = 20 * NauticalMileM
	DefaultJumpMaxKn           = 50
	DefaultJumpMinM            = NauticalMileM
	DefaultPairMaxAge          = 10 * time.Minute
	DefaultPairPause           = 30 * time.Minute
)

func (c *Config) defaults() {
	setInt := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	setF := func(p *float64, v float64) {
		if !(*p > 0) {
			*p = v
		}
	}
	setD := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	setInt(&c.MaxVessels, DefaultMaxVessels)
	setInt(&c.TrackLength, DefaultTrackLength)
	if c.TrackLength < 3 {
		c.TrackLength = 3 // the jump detector looks two positions back
	}
	setF(&c.StandoffM, DefaultStandoffM)
	setD(&c.UnknownAfter, DefaultUnknownAfter)
	setD(&c.GapMin, DefaultGapMin)
	setF(&c.GapShoreM, DefaultGapShoreM)
	setF(&c.EncounterM, DefaultEncounterM)
	setF(&c.EncounterMaxKn, DefaultEncounterMaxKn)
	setD(&c.EncounterMin, DefaultEncounterMin)
	setF(&c.EncounterAnchorageM, DefaultEncounterAnchorageM)
	setF(&c.LoiterMaxKn, DefaultLoiterMaxKn)
	setD(&c.LoiterMin, DefaultLoiterMin)
	setF(&c.LoiterShoreM, DefaultLoiterShoreM)
	setF(&c.JumpMaxKn, DefaultJumpMaxKn)
	setF(&c.JumpMinM, DefaultJumpMinM)
	setD(&c.PairMaxAge, DefaultPairMaxAge)
	setD(&c.PairPause, DefaultPairPause)
}
