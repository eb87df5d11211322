package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/truce-project/truce"
)

// zoneAreaBetweenParallelsKm2 is the exact WGS84 area between two parallels over dlon degrees
// of longitude: a lon/lat box, whose top and bottom edges run along parallels as GeoJSON
// draws them.
func zoneAreaBetweenParallelsKm2(lat1, lat2, dlon float64) float64 {
	e := math.Sqrt(wgs84E2)
	b := wgs84A * (1 - wgs84F)
	q := func(lat float64) float64 {
		s := math.Sin(lat * math.Pi / 180)
		return s/(1-wgs84E2*s*s) + math.Log((1+e*s)/(1-e*s))/(2*e)
	}
	return b * b * (dlon * math.Pi / 180) / 2 * (q(lat2) - q(lat1)) / 1e6
}

func routeGeodesicKm(ls orb.LineString) float64 {
	s := 0.0
	for i := 0; i+1 < len(ls); i++ {
		s += geodesicM(ls[i][1], ls[i][0], ls[i+1][1], ls[i+1][0])
	}
	return s / 1000
}

func TestMeasures(t *testing.T) {
	a := meridianAgreement()
	a.Lines = append(a.Lines, truce.Line{ID: "route", Path: loadLineString(t, "route_Odesa_Istanbul_searoute.geojson")})
	a.Zones = append(a.Zones, truce.Zone{ID: "box", Area: orb.MultiPolygon{{square(30, 46, 31, 47, true)}}})
	e := mustEngine(t, a)
	meridianKm := geodesicM(47, 35, 48, 35) / 1000
	boxKm2 := zoneAreaBetweenParallelsKm2(46, 47, 1)
	cases := []struct {
		name      string
		got, want float64
		relTol    float64
	}{
		// A meridian is a geodesic and straight in lon/lat, so its length is Karney's.
		{"length of a meridian line", e.LineLengthKm(0), meridianKm, 1e-9},
		// The route's edges are long but nearly meridians, so the lon/lat-straight length is
		// within a few parts in a hundred thousand of the geodesic one.
		{"length of the Odesa-Istanbul route", e.LineLengthKm(1), routeGeodesicKm(a.Lines[1].Path), 1e-4},
		{"area of a lon/lat box", e.ZoneAreaKm2(4), boxKm2, 1e-7},
		// A geodesic circle of 10 km has area πr²(1 - r²/(12R²)) to within far less than the
		// tolerance, which allows for the polygonised outline.
		{"area of a circle", e.ZoneAreaKm2(3), math.Pi * 100, 2e-4},
		// A both-sided band round a straight line is a rectangle and two half discs.
		{"area of a both-sided band", e.ZoneAreaKm2(0), 2*7.5*meridianKm + math.Pi*7.5*7.5, 2e-3},
		// A one-sided band is a rectangle and two quarter discs.
		{"area of a one-sided band", e.ZoneAreaKm2(1), 5*meridianKm + math.Pi*5*5/2, 2e-3},
	}
	for _, c := range cases {
		if math.Abs(c.got-c.want) > c.relTol*c.want {
			t.Errorf("%s: %.6f, want %.6f (relative tolerance %g)", c.name, c.got, c.want, c.relTol)
		}
	}
}

func TestZoneDepth(t *testing.T) {
	a := meridianAgreement()
	a.Zones = append(a.Zones, truce.Zone{ID: "box", Area: orb.MultiPolygon{{square(30, 46, 31, 47, false)}}})
	e := mustEngine(t, a)
	east1km := func() (float64, float64) { return offset(47.5, 35, 90, 1000) }
	lat, lon := east1km()
	inBoxLat, inBoxLon := offset(46.5, 30, 90, 3)
	outBoxLat, outBoxLon := offset(46.5, 30, 270, 3)
	cLat, cLon := offset(47.5, 36, 45, 9000)
	cases := []struct {
		name     string
		zone     int
		lat, lon float64
		want     float64
	}{
		{"1 km from the line is 6.5 km deep in the DMZ", 0, lat, lon, 6500},
		{"1 km right of the line is 1 km outside the left band", 1, lat, lon, -1000},
		{"1 km right of the line is 1 km deep in the right band, the line being nearer than its far edge", 2, lat, lon, 1000},
		{"9 km from the centre is 1 km deep in the circle", 3, cLat, cLon, 1000},
		{"3 m inside the box", 4, inBoxLat, inBoxLon, 3},
		{"3 m outside the box", 4, outBoxLat, outBoxLon, -3},
	}
	for _, c := range cases {
		if got := e.ZoneDepthM(c.zone, c.lat, c.lon); math.Abs(got-c.want) > 0.01 {
			t.Errorf("%s: %.4f m, want %.4f m", c.name, got, c.want)
		}
	}
}

// TestBandOutlineMatchesBand draws the DMZ and a one-sided withdrawal band of the drawn line
// of contact and checks the outline against the engine's own judgement: outline vertices lie
// on the band's edge, and random points inside the outline are inside the band except within
// a few tens of metres of its edge, where a polygon with vertices every few hundred metres
// cuts corners.
func TestBandOutlineMatchesBand(t *testing.T) {
	a := notionalAgreement(t)
	e := mustEngine(t, a)
	loc := e.NewLocation()
	r := rand.New(rand.NewPCG(5, 5))
	// The DMZ, a left and a right band of the line of contact, and the corridor and stand-off
	// of the sea route, which bends sharply at the Bosporus.
	for _, zi := range []int{0, 1, 2, 10, 11} {
		z := &e.zones[zi]
		mp := e.ZoneOutline(zi)
		ring := mp[0][0]
		if ring.Orientation() != orb.CCW {
			t.Errorf("zone %s: outline is not counter-clockwise", z.id)
		}
		for k, p := range ring {
			if k%4 != 0 {
				continue // every fourth vertex keeps the test quick
			}
			d, side, _ := e.lineDistanceM(z.line, p[1], p[0])
			onLine := d < 1 && z.side != SideNone
			if !onLine && math.Abs(d-z.bandM) > 1 {
				t.Errorf("zone %s: outline vertex [%.6f, %.6f] is %.1f m from the line (side %v), want %g", z.id, p[0], p[1], d, side, z.bandM)
				break
			}
		}
		b := ring.Bound()
		disagree := 0
		for k := 0; k < 2000; k++ {
			lon := b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0])
			lat := b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])
			inOutline := insideRing(lonLat{lon, lat}, cleanPath(ring, true))
			e.Locate(lat, lon, 0, loc)
			if inOutline == (loc.Zones[zi] == Inside) {
				continue
			}
			d, _, _ := e.lineDistanceM(z.line, lat, lon)
			if math.Abs(d-z.bandM) > 50 && d > 50 {
				disagree++
				if disagree < 5 {
					t.Errorf("zone %s: [%.6f, %.6f] %.0f m from the line: in outline %v, band %v", z.id, lon, lat, d, inOutline, loc.Zones[zi])
				}
			}
		}
		t.Logf("zone %s: outline of %d vertices, area %.1f km²", z.id, len(ring), e.ZoneAreaKm2(zi))
	}
}
