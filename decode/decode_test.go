package decode

import (
	"strings"
	"testing"

	truce "github.com/truce-project/truce"
)

type result struct {
	good []*truce.Observation
	bad  []*RecordError
}

func readAll(t *testing.T, f Format, input string) (result, error) {
	t.Helper()
	var res result
	err := Read(strings.NewReader(input), f, Options{Source: "file.test"}, func(line int, o *truce.Observation, rerr *RecordError) error {
		if rerr != nil {
			if rerr.Line != line {
				t.Errorf("handler line %d but record error line %d", line, rerr.Line)
			}
			res.bad = append(res.bad, rerr)
		} else {
			res.good = append(res.good, o)
		}
		return nil
	})
	return res, err
}

func TestNDJSONBadRecordsAreReportedAndGoodOnesKept(t *testing.T) {
	input := `{"id":"o1","source":"patrol-7","time":"2026-05-01T06:00:00Z","kind":"presence.vehicle","lat":47.5,"lon":35.3,"ce_m":50,"party":"east","attrs":{"count":{"low":1,"best":2,"high":3},"caliber_mm":122}}

{"id":"o2","time":"2026-05-01T06:00:00Z","kind":"presence.tank","lat":47.5,"lon":35.3}
{"id":"o3","time":"yesterday","kind":"fire.burst","lat":47.5,"lon":35.3}
{"id":"o4","time":"2026-05-01T06:00:00Z","kind":"fire.burst","lat":97.5,"lon":35.3}
{"id":"o5","time":"2026-05-01T06:00:00Z","kind":"fire.burst","lattitude":47.5,"lon":35.3}
{"id":"o6","time":"2026-05-01T06:00:00Z","kind":"fire.burst","lat":"47.5","lon":35.3}
{"id":"o7", "time":
{"id":"o8","time":"2026-05-01T06:00:00Z","kind":"fire.burst","lon":35.3}
{"id":"o9","time":"2026-05-01T06:00:00Z","kind":"fire.burst","lat":47.5,"lon":35.3,"ce_m":-1}
{"id":"o10","time":"2026-05-01T06:00:00Z","kind":"fire.burst","lat":47.5,"lon":35.3,"evidence":["abc"]}
{"id":"o11","time":"2026-05-01T06:00:00.5+02:00","kind":"fire.burst","lat":47.5,"lon":35.3}
`
	res, err := readAll(t, NDJSON, input)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.good) != 2 || res.good[0].ID != "o1" || res.good[1].ID != "o11" {
		t.Fatalf("good records: %v", res.good)
	}
	o := res.good[0]
	if o.Source != "patrol-7" || o.CEm != 50 || o.Party != "east" || o.Attrs["caliber_mm"] != 122.0 {
		t.Errorf("o1 = %+v", o)
	}
	if res.good[1].Source != "file.test" {
		t.Errorf("default source not applied: %q", res.good[1].Source)
	}
	want := []string{
		`line 3 (id "o2"): kind: "presence.tank" is not a known kind`,
		`line 4 (id "o3"): time: "yesterday" is not an RFC 3339 time`,
		`line 5 (id "o4"): lat: 97.5 is outside [-90, 90]`,
		`line 6 (id "o5"): lattitude: unknown field`,
		`line 7 (id "o6"): lat: want a number, got JSON string`,
		`line 8: not valid JSON`,
		`line 9 (id "o8"): lat: required`,
		`line 10 (id "o9"): ce_m: -1 must be a finite number of metres`,
		`line 11 (id "o10"): evidence[0]: "abc" is not a hex SHA-256`,
	}
	if len(res.bad) != len(want) {
		t.Fatalf("%d bad records, want %d: %v", len(res.bad), len(want), res.bad)
	}
	for i, w := range want {
		if !strings.HasPrefix(res.bad[i].Error(), w) {
			t.Errorf("bad record %d: %q, want prefix %q", i, res.bad[i].Error(), w)
		}
	}
}

func TestNDJSONOverlongLineIsSkippedNotBuffered(t *testing.T) {
	long := `{"id":"big","attrs":{"x":"` + strings.Repeat("a", 3<<20) + `"}}`
	input := long + "\n" + `{"id":"ok","time":"2026-05-01T06:00:00Z","kind":"fire.flash","lat":1,"lon":2}` + "\n"
	res, err := readAll(t, NDJSON, input)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.good) != 1 || len(res.bad) != 1 || !strings.Contains(res.bad[0].Error(), "line 1: record longer than") {
		t.Fatalf("good %v bad %v", res.good, res.bad)
	}
}

func TestJSONArrayLinesPointAtEachElement(t *testing.T) {
	input := "[\n" +
		`  {"id":"a","time":"2026-05-01T06:00:00Z","kind":"fire.flash","lat":1,"lon":2},` + "\n" +
		`  {"id":"b","time":"2026-05-01T06:00:00Z","kind":"fire.flash","lat":1,"lon":200},` + "\n" +
		`  {"id":"c","time":"2026-05-01T06:00:00Z","kind":"fire.flash","lat":1,"lon":3}` + "\n]"
	res, err := readAll(t, JSON, input)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.good) != 2 || len(res.bad) != 1 || res.bad[0].Line != 3 || res.bad[0].Field != "lon" {
		t.Fatalf("good %v bad %v", res.good, res.bad)
	}
}

func TestJSONObjectStreamIsReadAsNDJSON(t *testing.T) {
	res, err := readAll(t, JSON, `{"id":"a","time":"2026-05-01T06:00:00Z","kind":"fire.flash","lat":1,"lon":2}`)
	if err != nil || len(res.good) != 1 {
		t.Fatalf("err %v, good %v", err, res.good)
	}
}

func TestGeoJSONFeaturesBecomeObservations(t *testing.T) {
	input := `{"type": "FeatureCollection", "name": "patrol 7",
"features": [
 {"type": "Feature", "id": "g1", "geometry": {"type": "Point", "coordinates": [35.3, 47.5]},
  "properties": {"time": "2026-05-01T06:00:00Z", "kind": "presence.weapon", "ce_m": 30, "attrs": {"category": "artillery", "caliber_mm": 152}}},
 {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[35.3, 47.5], [35, 47]]},
  "properties": {"id": "g2", "time": "2026-05-01T06:00:00Z", "kind": "presence.weapon"}},
 {"type": "Feature", "geometry": {"type": "Point", "coordinates": [35.3, 47.5]},
  "properties": {"id": "g3", "time": "2026-05-01T06:00:00Z", "kind": "presence.weapon", "colour": "red"}},
 {"type": "Feature", "geometry": {"type": "Point", "coordinates": [35.3, 147.5]},
  "properties": {"id": "g4", "time": "2026-05-01T06:00:00Z", "kind": "presence.weapon"}}
]}`
	res, err := readAll(t, GeoJSON, input)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.good) != 1 || res.good[0].ID != "g1" || res.good[0].Lat != 47.5 || res.good[0].Lon != 35.3 || res.good[0].Attrs["caliber_mm"] != 152.0 {
		t.Fatalf("good %+v", res.good)
	}
	want := []string{
		`line 5 (id "g2"): feature 1: geometry: want a Point`,
		`line 7 (id "g3"): feature 2: properties.colour: unknown field`,
		`line 9 (id "g4"): feature 3: geometry: 147.5 is outside [-90, 90]`,
	}
	if len(res.bad) != len(want) {
		t.Fatalf("bad %v", res.bad)
	}
	for i, w := range want {
		if !strings.HasPrefix(res.bad[i].Error(), w) {
			t.Errorf("bad record %d: %q, want prefix %q", i, res.bad[i].Error(), w)
		}
	}
}

func TestGeoJSONThatIsNotACollectionIsRefused(t *testing.T) {
	for _, in := range []string{`[]`, `{"type":"Feature"}`, `{"type":"FeatureCollection"}`, ``, `{"type":"FeatureCollection","features":[{]}`} {
		if _, err := readAll(t, GeoJSON, in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestCSVWithAttributeColumns(t *testing.T) {
	input := "id,time,kind,lat,lon,ce_m,party,attrs.category,attrs.caliber_mm,attrs.confirmed\n" +
		"c1,2026-05-01T06:00:00Z,presence.weapon,47.5,35.3,100,east,artillery,152,true\n" +
		"c2,2026-05-01T06:00:00Z,presence.weapon,47.5,x35.3,,,,,\n" +
		"c3,2026-05-01T06:00:00Z,presence.weapon,47.5\n" +
		"\"c4,2026-05-01T06:00:00Z,presence.weapon,47.5,35.3,,,,,\n"
	res, err := readAll(t, CSV, input)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.good) != 1 {
		t.Fatalf("good %v, bad %v", res.good, res.bad)
	}
	o := res.good[0]
	if o.Attrs["category"] != "artillery" || o.Attrs["caliber_mm"] != 152.0 || o.Attrs["confirmed"] != true || o.CEm != 100 {
		t.Errorf("c1 = %+v", o)
	}
	want := []string{`line 3 (id "c2"): lon: "x35.3" is not a number`, `line 4: 4 fields, but the header has 10 columns`, `line 5: bad CSV`}
	if len(res.bad) != len(want) {
		t.Fatalf("bad %v", res.bad)
	}
	for i, w := range want {
		if !strings.HasPrefix(res.bad[i].Error(), w) {
			t.Errorf("bad record %d: %q, want prefix %q", i, res.bad[i].Error(), w)
		}
	}
}

func TestCSVUnknownColumnStopsWithAClearError(t *testing.T) {
	_, err := readAll(t, CSV, "id,time,kind,latitude,lon\n")
	if err == nil || !strings.Contains(err.Error(), `column 4 "latitude" is not an observation field`) {
		t.Fatalf("err = %v", err)
	}
	_, err = readAll(t, CSV, "id,time,kind,lon\n")
	if err == nil || !strings.Contains(err.Error(), `no "lat" column`) {
		t.Fatalf("err = %v", err)
	}
}

func TestFormatFromNameAndContentType(t *testing.T) {
	for name, want := range map[string]Format{"a.ndjson": NDJSON, "b.JSONL": NDJSON, "c.json": JSON, "d.geojson": GeoJSON, "e.csv": CSV} {
		if f, err := FormatOfFile(name); err != nil || f != want {
			t.Errorf("%s: %v %v", name, f, err)
		}
	}
	if _, err := FormatOfFile("x.txt"); err == nil {
		t.Error("x.txt: no error")
	}
	for ct, want := range map[string]Format{"application/x-ndjson": NDJSON, "application/json; charset=utf-8": JSON, "application/geo+json": GeoJSON, "text/csv": CSV} {
		if f, err := FormatOfContentType(ct); err != nil || f != want {
			t.Errorf("%s: %v %v", ct, f, err)
		}
	}
	if _, err := FormatOfContentType("text/plain"); err == nil {
		t.Error("text/plain: no error")
	}
}

func fuzzFormat(f *testing.F, format Format, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Read(strings.NewReader(string(data)), format, Options{MaxRecordBytes: 4096}, func(line int, o *truce.Observation, rerr *RecordError) error {
			if (o == nil) == (rerr == nil) {
				t.Fatalf("line %d: want exactly one of observation and error", line)
			}
			if o != nil {
				if err := o.Validate(); err != nil {
					t.Fatalf("line %d: an invalid observation was passed on: %v", line, err)
				}
			}
			if rerr != nil && rerr.Error() == "" {
				t.Fatal("empty error")
			}
			return nil
		})
	})
}

const seedRecord = `{"id":"o1","source":"p","time":"2026-05-01T06:00:00Z","kind":"presence.vehicle","lat":47.5,"lon":35.3,"ce_m":50,"attrs":{"n":1}}`

func FuzzNDJSON(f *testing.F) { fuzzFormat(f, NDJSON, seedRecord+"\n"+seedRecord, "{\n}\n[1]", "") }
func FuzzJSONArray(f *testing.F) {
	fuzzFormat(f, JSON, "["+seedRecord+","+seedRecord+"]", "[1,{}", "[{\"id\":1}]")
}
func FuzzGeoJSON(f *testing.F) {
	fuzzFormat(f, GeoJSON, `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"id":"x","time":"2026-05-01T06:00:00Z","kind":"fire.flash"}}]}`, `{"features":[null]}`)
}
func FuzzCSV(f *testing.F) {
	fuzzFormat(f, CSV, "id,time,kind,lat,lon,attrs.x\na,2026-05-01T06:00:00Z,fire.flash,1,2,3\n", "id\n\"", "id,attrs\nx,{\"a\":1}\n")
}
