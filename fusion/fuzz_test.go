package fusion

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"testing"

	truce "github.com/truce-project/truce"
)

// FuzzAdd feeds observations decoded from JSON lines, as the server receives them, to a
// Fuser already holding the example's reports: whatever the attributes say, Add returns an
// incident holding the observation or an error, never panics, and never yields a position
// that is not a number.
func FuzzAdd(f *testing.F) {
	examples, err := os.ReadFile("../examples/notional-east/observations.ndjson")
	if err != nil {
		f.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(examples), []byte("\n"))
	for _, l := range lines {
		f.Add(l)
	}
	f.Add([]byte(`{"id":"acoustic-1-000001","source":"acoustic-1","time":"2026-05-01T08:31:02.5Z","kind":"fire.burst","lat":47.43,"lon":34.66,"ce_m":5,"attrs":{"bearing_deg":23.4,"bearing_sd_deg":3,"sensor":"acoustic-1"}}` + "\n" +
		`{"id":"acoustic-2-000001","source":"acoustic-2","time":"2026-05-01T08:31:04Z","kind":"fire.burst","lat":47.40,"lon":34.72,"ce_m":5,"attrs":{"bearing_deg":318,"bearing_sd_deg":4,"time_sd_s":0.05}}`))
	f.Add([]byte(`{"id":"x","source":"s","time":"2026-05-01T08:31:00Z","kind":"fire.flash","lat":47.4,"lon":34.7,"attrs":{"bearing_deg":1e308,"origin_lat":47,"origin_lon":34.6,"origin_ce_m":0,"bearing_of":"impact"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fu := New(nil, nil, Config{})
		for _, l := range lines {
			var o truce.Observation
			if json.Unmarshal(l, &o) == nil && o.Validate() == nil {
				fu.Add(o, nil)
			}
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			var o truce.Observation
			if json.Unmarshal(sc.Bytes(), &o) != nil || o.Validate() != nil {
				continue
			}
			inc, err := fu.Add(o, nil)
			if err != nil || inc == nil {
				continue
			}
			if fu.IncidentOf(o.Source, o.ID) != inc {
				t.Fatalf("incident %s does not hold %s", inc.ID, o.ID)
			}
			for _, fx := range []*Fix{inc.Position, inc.Origin} {
				if fx != nil && (math.IsNaN(fx.Lat) || math.IsNaN(fx.Lon) || math.IsNaN(fx.Ellipse.SemiMajorM)) {
					t.Fatalf("fix %+v is not a number", fx)
				}
			}
		}
	})
}

// FuzzLocate fits three reports of any position, bearing, noise and time: the fit returns an
// error or a fix whose numbers are numbers, and never panics.
func FuzzLocate(f *testing.F) {
	f.Add(47.9, 37.2, 30.0, 3.0, 47.95, 37.1, 120.0, 4.0, 47.85, 37.3, 300.0, 2.0, 0.0)
	f.Add(47.9, 37.2, 30.0, 3.0, 47.9, 37.2, 30.0, 3.0, 47.9, 37.2, 30.0, 3.0, 0.5)
	f.Add(89.99, 179.99, 0.0, 0.1, -89.9, -179.9, 180.0, 90.0, 0.0, 0.0, 359.9, 45.0, 1e-9)
	f.Fuzz(func(t *testing.T, lat1, lon1, b1, sd1, lat2, lon2, b2, sd2, lat3, lon3, b3, sd3, tsd float64) {
		ok := func(lat, lon, sd float64) bool {
			return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && sd > 0 && sd <= 90
		}
		if !ok(lat1, lon1, sd1) || !ok(lat2, lon2, sd2) || !ok(lat3, lon3, sd3) || math.IsNaN(b1+b2+b3) ||
			math.IsInf(b1+b2+b3, 0) || !(tsd >= 0 && tsd < 1e6) {
			return
		}
		ms := []measurement{
			{key: "a", bearing: true, lat: lat1, lon: lon1, az: wrap(b1 * deg), sd: sd1 * deg, t: 100},
			{key: "b", bearing: true, lat: lat2, lon: lon2, az: wrap(b2 * deg), sd: sd2 * deg, t: 101},
			{key: "c", lat: lat3, lon: lon3, sd: sd3 * 100, t: 102},
		}
		for _, set := range [][]measurement{ms[:2], ms} {
			fx, err := locate(set, tsd)
			if err == nil && (math.IsNaN(fx.Lat) || math.IsNaN(fx.Lon) || math.IsNaN(fx.Ellipse.SemiMajorM)) {
				t.Fatalf("fix %+v is not a number", fx)
			}
		}
	})
}
