package agreement

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	truce "github.com/truce-project/truce"
)

func TestMinimalAgreementLoads(t *testing.T) {
	a, err := Load("testdata/minimal")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if a.ID != "example-1" || len(a.Parties) != 2 || len(a.Lines) != 1 || len(a.Zones) != 4 || len(a.Rules) != 2 {
		t.Fatalf("loaded %d parties, %d lines, %d zones, %d rules", len(a.Parties), len(a.Lines), len(a.Zones), len(a.Rules))
	}
	if got := len(a.Lines[0].Path); got != 4 {
		t.Errorf("line of contact has %d vertices, want 4", got)
	}
	dmz := a.Zones[0]
	if dmz.Band == nil || dmz.Band.Km != 7.5 || dmz.Band.Side != truce.SideBoth || dmz.Band.Line != "contact" {
		t.Errorf("dmz band = %+v", dmz.Band)
	}
	if c := a.Zones[2].Circle; c == nil || c.RadiusKm != 30 || c.Center[0] != 34.58 {
		t.Errorf("npp circle = %+v", c)
	}
	if len(a.Zones[3].Area) != 1 || len(a.Zones[3].Area[0][0]) != 5 {
		t.Errorf("da-1 area = %v", a.Zones[3].Area)
	}
	if a.Rules[1].When == "" || a.Rules[1].Attribution != truce.AttributeSide {
		t.Errorf("rule artillery-50 = %+v", a.Rules[1])
	}
	if len(a.Hash) != 64 {
		t.Errorf("hash %q is not a hex SHA-256", a.Hash)
	}
}

// folder returns the minimal agreement as an in-memory folder with agreement.yaml replaced by
// the result of edit.
func folder(t *testing.T, edit func(string) string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{"agreement.yaml", "geo/line.geojson", "geo/da-1.geojson"} {
		data, err := os.ReadFile("testdata/minimal/" + name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
	}
	fsys["agreement.yaml"].Data = []byte(edit(string(fsys["agreement.yaml"].Data)))
	return fsys
}

func TestHashChangesWithAnyFile(t *testing.T) {
	a1, err := LoadFS(folder(t, func(s string) string { return s }))
	if err != nil {
		t.Fatal(err)
	}
	f := folder(t, func(s string) string { return s })
	f["geo/da-1.geojson"].Data = []byte(strings.Replace(string(f["geo/da-1.geojson"].Data), "47.45", "47.46", 2))
	a2, err := LoadFS(f)
	if err != nil {
		t.Fatal(err)
	}
	if a1.Hash == a2.Hash {
		t.Error("changing a referenced GeoJSON file did not change the agreement's hash")
	}
	a3, _ := LoadFS(folder(t, func(s string) string { return s }))
	if a1.Hash != a3.Hash {
		t.Error("loading the same folder twice gave two hashes")
	}
}

func TestBadAgreementsNameFileLineAndField(t *testing.T) {
	cases := []struct {
		name string
		edit func(string) string
		want []string // each must appear in one problem
	}{
		{"unknown party on a line",
			func(s string) string { return strings.Replace(s, "right: b}", "right: c}", 1) },
			[]string{`agreement.yaml:7: line "contact": right: party "c" is not defined`}},
		{"zone references a missing line",
			func(s string) string {
				return strings.Replace(s, "band: {line: contact, km: 7.5", "band: {line: contact-2, km: 7.5", 1)
			},
			[]string{`agreement.yaml:9: zone "dmz": band: line "contact-2" is not defined`}},
		{"rule references a missing zone",
			func(s string) string { return strings.Replace(s, "zones: [dmz]", "zones: [dmz-x]", 1) },
			[]string{`agreement.yaml:14: rule "dmz-presence": zone "dmz-x" is not defined`}},
		{"unknown kind",
			func(s string) string { return strings.Replace(s, "presence.vehicle,", "presence.tank,", 1) },
			[]string{`agreement.yaml:14: rule "dmz-presence": kind "presence.tank" is not in the taxonomy`}},
		{"unknown field",
			func(s string) string { return strings.Replace(s, "radius_km: 30", "radius: 30", 1) },
			[]string{`agreement.yaml:11: zone "npp": circle: unknown field "radius"`, `zone "npp": circle: field "radius_km" (or "radius_nm") is required`}},
		{"negative band",
			func(s string) string { return strings.Replace(s, "km: 50", "km: -50", 1) },
			[]string{`agreement.yaml:10: zone "west-50": band: km must be more than 0`}},
		{"bad side",
			func(s string) string { return strings.Replace(s, "side: left}", "side: west}", 1) },
			[]string{`agreement.yaml:10: zone "west-50": band: side "west" is not left, right or both`}},
		{"duplicate zone id",
			func(s string) string { return strings.Replace(s, "id: npp", "id: dmz", 1) },
			[]string{`agreement.yaml:11: zone "dmz" is defined twice (first at line 9)`}},
		{"missing GeoJSON file",
			func(s string) string { return strings.Replace(s, "geo/da-1.geojson", "geo/da-2.geojson", 1) },
			[]string{`agreement.yaml:12: zone "da-1": file "geo/da-2.geojson": no such file`}},
		{"file outside the folder",
			func(s string) string { return strings.Replace(s, "geo/da-1.geojson", "../da-1.geojson", 1) },
			[]string{`zone "da-1": file "../da-1.geojson" must be a relative path inside the agreement folder`}},
		{"YAML syntax",
			func(s string) string { return strings.Replace(s, "rules:", "rules: [", 1) },
			[]string{`agreement.yaml:`, `not valid YAML`}},
		{"circle centre off the Earth",
			func(s string) string { return strings.Replace(s, "[34.58, 47.51]", "[34.58, 97.51]", 1) },
			[]string{`agreement.yaml:11: zone "npp": circle: field "center": [34.58, 97.51] is not a [lon, lat] on Earth`}},
		{"bad severity and attribution",
			func(s string) string {
				return strings.Replace(s, "severity: major, attribution: party", "severity: huge, attribution: who", 1)
			},
			[]string{`rule "dmz-presence": severity "huge" is not one of minor, major, critical`, `rule "dmz-presence": attribution "who" is not party, side, origin or none`}},
		{"one party",
			func(s string) string { return strings.Replace(s, "  - {id: b, name: Party B}\n", "", 1) },
			[]string{`at least two parties are required`}},
		{"every problem at once",
			func(s string) string {
				return strings.Replace(strings.Replace(s, "right: b}", "right: c}", 1), "zones: [dmz]", "zones: [nowhere]", 1)
			},
			[]string{`party "c" is not defined`, `zone "nowhere" is not defined`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadFS(folder(t, c.edit))
			if err == nil {
				t.Fatal("loaded without error")
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not say %q; it says:\n%s", w, msg)
				}
			}
		})
	}
}

func TestBadGeoJSONNamesFileAndLine(t *testing.T) {
	cases := []struct {
		name, file, data, want string
	}{
		{"syntax error", "geo/da-1.geojson", "{\"type\": \"FeatureCollection\",\n \"features\": [\n {\"type\": \"Feature\" \"geometry\": null}]}", "geo/da-1.geojson:3: not valid GeoJSON"},
		{"line is a polygon", "geo/line.geojson", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`, `line "contact": geo/line.geojson: feature 0: geometry is Polygon, want LineString`},
		{"zone is a line", "geo/da-1.geojson", `{"type":"LineString","coordinates":[[0,0],[1,0]]}`, `zone "da-1": geo/da-1.geojson: feature 0: geometry is LineString, want Polygon or MultiPolygon`},
		{"coordinate off the Earth", "geo/da-1.geojson", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,100],[0,0]]]}`, "geo/da-1.geojson: feature 0 (#0): coordinate ring 0, vertex 2: [1, 100] is not a [lon, lat] position on Earth"},
		{"not GeoJSON", "geo/line.geojson", `{"hello": 1}`, `geo/line.geojson:1: not GeoJSON: no "type" member`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := folder(t, func(s string) string { return s })
			f[c.file].Data = []byte(c.data)
			_, err := LoadFS(f)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestFeatureSelectedByName(t *testing.T) {
	f := folder(t, func(s string) string {
		return strings.Replace(s, "file: geo/da-1.geojson}", "file: geo/da-1.geojson, feature: DA-1}", 1)
	})
	if _, err := LoadFS(f); err != nil {
		t.Fatal(err)
	}
	f = folder(t, func(s string) string {
		return strings.Replace(s, "file: geo/da-1.geojson}", "file: geo/da-1.geojson, feature: DA-9}", 1)
	})
	_, err := LoadFS(f)
	if err == nil || !strings.Contains(err.Error(), `no feature "DA-9" (the file has 1: ["DA-1"])`) {
		t.Fatalf("error = %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	base, err := os.ReadFile("testdata/minimal/agreement.yaml")
	if err != nil {
		f.Fatal(err)
	}
	line, _ := os.ReadFile("testdata/minimal/geo/line.geojson")
	da, _ := os.ReadFile("testdata/minimal/geo/da-1.geojson")
	f.Add(base, line, da)
	f.Add([]byte("id: x\nparties: [[]]\nzones: {a: 1}\n"), []byte("{}"), []byte("[]"))
	f.Add([]byte("&a [*a]"), []byte(`{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]}`), []byte(`{"type":"FeatureCollection","features":[null]}`))
	f.Fuzz(func(t *testing.T, yamlData, lineData, daData []byte) {
		fsys := fstest.MapFS{
			"agreement.yaml":   {Data: yamlData},
			"geo/line.geojson": {Data: lineData},
			"geo/da-1.geojson": {Data: daData},
		}
		a, err := LoadFS(fsys)
		if err == nil && a == nil {
			t.Fatal("no agreement and no error")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("an error with no message")
		}
	})
}
