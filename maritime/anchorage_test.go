package maritime

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/truce-project/truce"
)

func TestAnchoragesFromZonesAndPoints(t *testing.T) {
	a := &truce.Agreement{Zones: []truce.Zone{
		{ID: "roads", Kind: truce.ZoneAnchorage, Circle: &truce.Circle{Center: orb.Point{30.8, 46.4}, RadiusKm: 2}},
		// A clockwise ring: the loader does not promise an orientation.
		{ID: "basin", Kind: truce.ZoneAnchorage, Area: orb.MultiPolygon{{{{31, 44}, {31, 44.1}, {31.1, 44.1}, {31.1, 44}, {31, 44}}}}},
		{ID: "elsewhere", Kind: truce.ZoneExclusion, Circle: &truce.Circle{Center: orb.Point{35, 43}, RadiusKm: 5}},
	}}
	an, err := newAnchorages(a, [][2]float64{{43, 32}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		lat, lon float64
		lo, hi   float64 // metres
	}{
		{"inside the circle", 46.4, 30.8, 0, 0},
		{"1 km outside the circle", 46.4 + 3000/metresPerDegree, 30.8, 900, 1100},
		{"inside the polygon", 44.05, 31.05, 0, 0},
		{"5.5 km south of the polygon", 44 - 5500/metresPerDegree, 31.05, 5400, 5600},
		{"at the point", 43, 32, 0, 1},
		{"an exclusion zone is no anchorage", 43, 35, 100_000, math.Inf(1)},
	}
	for _, tt := range tests {
		if d := an.distanceM(tt.lat, tt.lon); d < tt.lo || d > tt.hi {
			t.Errorf("%s: %.0f m from an anchorage, want %g to %g", tt.name, d, tt.lo, tt.hi)
		}
	}
	none, err := newAnchorages(nil, nil)
	if err != nil || !math.IsInf(none.distanceM(45, 30), 1) {
		t.Errorf("without anchorages: %v, %v", none.distanceM(45, 30), err)
	}
}

func TestAnchorageErrorsNameTheZoneOrPoint(t *testing.T) {
	tests := []struct {
		name   string
		zones  []truce.Zone
		points [][2]float64
		want   string
	}{
		{"a band", []truce.Zone{{ID: "lane", Kind: truce.ZoneAnchorage, Band: &truce.Band{Line: "x", Km: 1}}}, nil, `zone "lane": an anchorage must be a polygon or a circle`},
		{"a ring of two points", []truce.Zone{{ID: "thin", Kind: truce.ZoneAnchorage, Area: orb.MultiPolygon{{{{31, 44}, {31, 45}, {31, 44}}}}}}, nil, `zone "thin": a ring of fewer than 3 points`},
		{"a point off the globe", nil, [][2]float64{{45, 30}, {95, 30}}, "anchorage 1: (95, 30)"},
	}
	for _, tt := range tests {
		_, err := newAnchorages(&truce.Agreement{Zones: tt.zones}, tt.points)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}
