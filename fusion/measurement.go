package fusion

import (
	"math"
	"strings"

	truce "github.com/truce-project/truce"
)

// Target is the point a report locates: where fire came from, or where it struck.
type Target uint8

const (
	// TargetNone: the report is not of fire, or says nothing of where it came from.
	TargetNone Target = iota
	// TargetOrigin: the firing position.
	TargetOrigin
	// TargetImpact: where the round landed.
	TargetImpact
)

func (t Target) String() string {
	switch t {
	case TargetOrigin:
		return "origin"
	case TargetImpact:
		return "impact"
	}
	return "none"
}

// MarshalText writes the target's name, so that JSON says "origin" rather than a number.
func (t Target) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// ce95 is the ratio of a circular Gaussian's 95% radius to its standard deviation per axis,
// √5.991: a reported radius ce is read as the 95% circle, σ = ce / ce95.
const ce95 = 2.4477

// minSigmaM keeps a position reported as exact (ce_m 0) from weighing infinitely.
const minSigmaM = 1.0

// measurement is one thing a fit can use: a bearing from a reporter, or a position.
type measurement struct {
	key     string // the observation's key
	bearing bool
	lat     float64 // the reporter (bearing) or the position (point)
	lon     float64
	az      float64 // bearing, radians clockwise from north
	sd      float64 // bearing: radians; point: metres per axis
	t       float64 // arrival time, seconds since the Unix epoch
	tsd     float64 // arrival time standard deviation, seconds; 0: not used in fits
	target  Target
}

// targetOf is what a report of kind locates by default: the sound of an explosion is the
// impact; a burst, a flash and a launch are the firing position.
func targetOf(kind string) Target {
	switch kind {
	case "fire.explosion":
		return TargetImpact
	case "fire.burst", "fire.flash", "fire.projectile":
		return TargetOrigin
	}
	return TargetNone
}

// class is the compatibility class of a kind: observations join an incident only within a
// class. Fire is split by the target it locates, since an impact and a firing position are
// different places; a flare is not a shot.
func class(kind string) string {
	switch targetOf(kind) {
	case TargetImpact:
		return "fire/impact"
	case TargetOrigin:
		return "fire/origin"
	}
	return kind
}

// number reads attrs[key] as a finite number. It reports whether the key is present, and an
// error naming the observation and the field when the value is not a finite number.
func number(o *truce.Observation, key string) (float64, bool, error) {
	v, ok := o.Attrs[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	f, isNum := v.(float64)
	if !isNum {
		if i, isInt := v.(int); isInt {
			f, isNum = float64(i), true
		}
	}
	if !isNum || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, true, truce.Errorf(truce.EINVALID, "observation %q: attrs.%s: %v is not a finite number", o.ID, key, v)
	}
	return f, true, nil
}

// targetAttr reads attrs[name], which says what a report's bearing or position is of:
// "origin" or "impact" (any case). ok is false when the attribute is absent or not a string.
func targetAttr(o *truce.Observation, name string) (t Target, ok bool, err error) {
	s, ok := o.Attrs[name].(string)
	if !ok {
		return TargetNone, false, nil
	}
	switch strings.ToLower(s) {
	case "origin":
		return TargetOrigin, true, nil
	case "impact":
		return TargetImpact, true, nil
	}
	return TargetNone, false, truce.Errorf(truce.EINVALID, "observation %q: attrs.%s: %q is neither \"origin\" nor \"impact\"", o.ID, name, s)
}

// readMeasurements returns what o says about where its fire was, and an origin a monitor
// estimated, if any. An attribute that is present but malformed is an error naming it.
func readMeasurements(o *truce.Observation, key string) (heard measurement, origin *measurement, err error) {
	heard = measurement{key: key, lat: o.Lat, lon: o.Lon, target: targetOf(o.Kind),
		t: float64(o.Time.UnixNano()) / 1e9}
	heard.sd = math.Max(o.CEm/ce95, minSigmaM)
	if t, ok, err := targetAttr(o, "bearing_of"); err != nil {
		return heard, nil, err
	} else if ok {
		heard.target = t
	}
	b, hasB, err := number(o, "bearing_deg")
	if err != nil {
		return heard, nil, err
	}
	if hasB {
		if b < -360 || b > 360 {
			return heard, nil, truce.Errorf(truce.EINVALID, "observation %q: attrs.bearing_deg: %v is outside [-360, 360]", o.ID, b)
		}
		sd, hasSD, err := number(o, "bearing_sd_deg")
		if err != nil {
			return heard, nil, err
		}
		if !hasSD {
			sd = DefaultBearingSDDeg
		}
		if sd <= 0 || sd > 90 {
			return heard, nil, truce.Errorf(truce.EINVALID, "observation %q: attrs.bearing_sd_deg: %v is outside (0, 90]", o.ID, sd)
		}
		heard.bearing = true
		heard.az = wrap(b * deg)
		heard.sd = sd * deg
		tsd, hasT, err := number(o, "time_sd_s")
		if err != nil {
			return heard, nil, err
		}
		if hasT {
			if tsd <= 0 {
				return heard, nil, truce.Errorf(truce.EINVALID, "observation %q: attrs.time_sd_s: %v must be more than 0", o.ID, tsd)
			}
			heard.tsd = tsd
		}
	}
	if !heard.bearing {
		// A monitor's position of fire is where it was seen or heard, which package sim and
		// the rules do not take for the origin: only attrs.position_of says which it is.
		heard.target = TargetNone
		if t, ok, err := targetAttr(o, "position_of"); err != nil {
			return heard, nil, err
		} else if ok {
			heard.target = t
		}
	}
	olat, hasLat, err := number(o, "origin_lat")
	if err != nil {
		return heard, nil, err
	}
	olon, hasLon, err := number(o, "origin_lon")
	if err != nil {
		return heard, nil, err
	}
	if hasLat != hasLon {
		return heard, nil, truce.Errorf(truce.EINVALID, "observation %q: attrs.origin_lat and attrs.origin_lon: one is given without the other", o.ID)
	}
	if hasLat {
		if olat < -90 || olat > 90 || olon < -180 || olon > 180 {
			return heard, nil, truce.Errorf(truce.EINVALID, "observation %q: attrs.origin_lat, origin_lon: %v, %v is not a position", o.ID, olat, olon)
		}
		ce, _, err := number(o, "origin_ce_m")
		if err != nil {
			return heard, nil, err
		}
		if ce < 0 {
			return heard, nil, truce.Errorf(truce.EINVALID, "observation %q: attrs.origin_ce_m: %v must be 0 or more", o.ID, ce)
		}
		origin = &measurement{key: key, lat: olat, lon: olon, sd: math.Max(ce/ce95, minSigmaM),
			target: TargetOrigin, t: heard.t}
	}
	return heard, origin, nil
}

// DefaultBearingSDDeg is the bearing noise assumed when a report gives no bearing_sd_deg: a
// monitor's estimate of the direction of fire by ear and eye.
const DefaultBearingSDDeg = 10
