package maritime

import (
	"math"
	"os"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/truce-project/truce"
)

// FuzzReadShoreGeoJSON checks that no input crashes the coastline reader or the index, and
// that a shore it accepts answers distances that are numbers, 0 or more.
func FuzzReadShoreGeoJSON(f *testing.F) {
	// Seeded with a stretch of the real coastline and one of its islands: the whole file
	// makes each execution too slow for the fuzzer to explore.
	real, err := os.ReadFile(coastFile)
	if err != nil {
		f.Fatal(err)
	}
	feat, err := geojson.UnmarshalFeature(real)
	if err != nil {
		f.Fatal(err)
	}
	ml := feat.Geometry.(orb.MultiLineString)
	part := orb.MultiLineString{ml[0][:60], ml[len(ml)-1]}
	seed, err := geojson.NewFeature(part).MarshalJSON()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"type":"LineString","coordinates":[[30,45],[31,46]]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[30,45],[31,45],[31,46],[30,45]]]}}]}`))
	f.Add([]byte(`{"type":"MultiLineString","coordinates":[[[0,0]],[[180,0],[-180,0]],[[0,90],[0,-90]]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadShoreGeoJSON(data)
		if err != nil {
			return
		}
		q := s.NewQuery()
		for _, p := range [][2]float64{{45, 30}, {-89.9, 179.9}, {0, 0}} {
			if d := q.DistanceM(p[0], p[1]); math.IsNaN(d) || d < 0 {
				t.Fatalf("distance %v at %v", d, p)
			}
			q.BeyondM(p[0], p[1], DefaultLoiterShoreM)
		}
	})
}

// FuzzObserve feeds a detector observations with arbitrary positions, speeds, times and
// identities, interleaved with a real track, and checks that nothing crashes and that every
// event names its vessels and has a time span in order.
func FuzzObserve(f *testing.F) {
	f.Add(45.0, 30.633, 12.0, int64(600), 271000001.0, "w1", true)
	f.Add(43.5, 31.8, 0.5, int64(13*3600), 0.0, "", false)
	f.Add(math.NaN(), math.Inf(1), -1.0, int64(-5), 1.5, "t", false)
	f.Add(90.0, 180.0, 1e9, int64(1)<<40, 999999999.0, "x", true)
	d := newDetector(f, Config{MaxVessels: 50, Anchorages: [][2]float64{{44, 31}}})
	f.Fuzz(func(t *testing.T, lat, lon, speed float64, dt int64, mmsi float64, track string, military bool) {
		o := &truce.Observation{
			ID: "f", Source: "fuzz", Kind: "sea.vessel", Lat: lat, Lon: lon, CEm: 30,
			Time:  t0.Add(time.Duration(dt%(1<<33)) * time.Second),
			Attrs: map[string]any{"speed": speed, "mmsi": mmsi, "track": track, "military": military},
		}
		for _, e := range d.Observe(o) {
			if len(e.Vessels) == 0 || len(e.Vessels) != len(e.MMSI) || e.End.Before(e.Start) || e.Explanation == "" {
				t.Fatalf("event %+v", e)
			}
		}
	})
}
