package truce

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Observation is one report from a monitor, a sensor or a feed: something of a Kind seen at a
// place and time. ID is unique within Source, so a source that re-sends a report is harmless.
type Observation struct {
	ID     string    `json:"id"`
	Source string    `json:"source,omitempty"`
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Lat    float64   `json:"lat"`
	Lon    float64   `json:"lon"`
	// CEm is the radius in metres of the horizontal uncertainty circle; zero means the
	// position is taken as exact.
	CEm float64 `json:"ce_m,omitempty"`
	// Party is the affiliation of what was observed, when the observer could tell.
	Party string `json:"party,omitempty"`
	// Attrs carries what the kind needs: weapon category and calibre, counts, MMSI, speed,
	// bearing of fire. Values are JSON values (string, float64, bool, nil, []any, map[string]any).
	Attrs map[string]any `json:"attrs,omitempty"`
	// Evidence lists SHA-256 hashes (hex) of photos and files that support the report.
	Evidence []string `json:"evidence,omitempty"`
	// Raw is the bytes the observation was decoded from, kept for audit.
	Raw []byte `json:"-"`
}

// Kinds is the taxonomy of observation kinds. A kind is a family and a member joined by a dot;
// rules may name a whole family as "fire.*".
var Kinds = []string{
	"fire.explosion", "fire.burst", "fire.projectile", "fire.flash", "fire.flare",
	"presence.personnel", "presence.vehicle", "presence.weapon", "presence.fortification", "presence.mine",
	"air.uav", "air.aircraft",
	"sea.vessel",
	"access.restriction",
	"damage.infrastructure",
	"harm.civilian",
}

var knownKinds = func() map[string]bool {
	m := make(map[string]bool, len(Kinds))
	for _, k := range Kinds {
		m[k] = true
		m[k[:strings.IndexByte(k, '.')]+".*"] = true
	}
	return m
}()

// IsKnownKind reports whether kind is in the taxonomy.
func IsKnownKind(kind string) bool { return knownKinds[kind] && !strings.HasSuffix(kind, ".*") }

// IsKindPattern reports whether p is a kind or a family pattern such as "fire.*".
func IsKindPattern(p string) bool { return knownKinds[p] }

// KindMatches reports whether kind matches pattern p (a kind, or a family as "fire.*").
func KindMatches(p, kind string) bool {
	if p == kind {
		return true
	}
	if strings.HasSuffix(p, ".*") {
		family := p[:len(p)-1] // keeps the dot
		return strings.HasPrefix(kind, family)
	}
	return false
}

// Validate checks the fields every observation must have, whatever its source. The returned
// error is an *Error with code EINVALID whose message names the field.
func (o *Observation) Validate() error {
	switch {
	case o.ID == "":
		return Errorf(EINVALID, "id: required")
	case !utf8.ValidString(o.ID):
		return Errorf(EINVALID, "id: not valid UTF-8")
	case !utf8.ValidString(o.Source):
		return Errorf(EINVALID, "source: not valid UTF-8")
	case !utf8.ValidString(o.Party):
		return Errorf(EINVALID, "party: not valid UTF-8")
	case o.Time.IsZero():
		return Errorf(EINVALID, "time: required")
	case o.Kind == "":
		return Errorf(EINVALID, "kind: required")
	case !IsKnownKind(o.Kind):
		return Errorf(EINVALID, "kind: %q is not a known kind", o.Kind)
	case math.IsNaN(o.Lat) || o.Lat < -90 || o.Lat > 90:
		return Errorf(EINVALID, "lat: %v is outside [-90, 90]", o.Lat)
	case math.IsNaN(o.Lon) || o.Lon < -180 || o.Lon > 180:
		return Errorf(EINVALID, "lon: %v is outside [-180, 180]", o.Lon)
	case math.IsNaN(o.CEm) || math.IsInf(o.CEm, 0) || o.CEm < 0:
		return Errorf(EINVALID, "ce_m: %v must be a finite number of metres, 0 or more", o.CEm)
	}
	return nil
}
