package cot

import (
	"strings"
	"testing"
)

func event(t *testing.T, uid, typ, detail string) *Event {
	t.Helper()
	x := `<event version="2.0" uid="` + uid + `" type="` + typ + `" how="h-e" time="2026-01-01T10:00:00Z" start="2026-01-01T10:00:00Z" stale="2026-01-01T10:05:00Z"><point lat="45.1" lon="33.2" hae="120" ce="25" le="9999999"/><detail>` + detail + `</detail></event>`
	e, err := UnmarshalXML([]byte(x))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestMappingClassifiesEvents(t *testing.T) {
	m := DefaultMapping()
	m.OwnDevices = []string{"ANDROID-monitor-1", "MISSION-*"}
	m.Affiliations = map[string]string{"h": "east"}
	placedBy := `<link uid="ANDROID-monitor-1" type="a-f-G-U-C" relation="p-p"/><contact callsign="T-72 column"/><remarks>three tanks moving south</remarks>`
	tests := []struct {
		name       string
		e          *Event
		class      Class
		kind       string
		party      string
		source     string
		attr, want string
	}{
		{"hostile ground vehicle from a monitor is presence.vehicle", event(t, "m-1", "a-h-G-E-V-A-T", placedBy),
			Observation, "presence.vehicle", "east", "cot:ANDROID-monitor-1", "remarks", "three tanks moving south"},
		{"unknown-affiliation mortar is a weapon with no party", event(t, "m-2", "a-u-G-E-W-O", ""),
			Observation, "presence.weapon", "", "cot", "category", "mortar"},
		{"drone is air.uav", event(t, "m-3", "a-n-A-M-H-Q", ""),
			Observation, "air.uav", "", "cot", "affiliation", "neutral"},
		{"vessel is sea.vessel", event(t, "m-4", "a-h-S-C", ""),
			Observation, "sea.vessel", "east", "cot", "cot_type", "a-h-S-C"},
		{"own device reporting itself is a patrol position", event(t, "ANDROID-monitor-1", "a-f-G-U-C", `<contact callsign="MON-1"/><track speed="1.5" course="90"/>`),
			PatrolPosition, "", "", "", "", ""},
		{"own device by prefix is a patrol position", event(t, "MISSION-boat-2", "a-f-S-X", ""),
			PatrolPosition, "", "", "", "", ""},
		{"a friendly unit that is not the mission's is an observation", event(t, "ANDROID-other", "a-f-G-U-C", ""),
			Observation, "presence.personnel", "", "cot", "affiliation", "friend"},
		{"spot marker has no rule and is kept raw", event(t, "m-5", "b-m-p-s-m", ""),
			Raw, "", "", "", "", ""},
		{"route is kept raw", event(t, "m-6", "b-m-r", ""), Raw, "", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Map(tt.e, []byte("raw"))
			if got.Class != tt.class {
				t.Fatalf("class %v (%s), want %v", got.Class, got.Reason, tt.class)
			}
			switch tt.class {
			case Raw:
				if got.Reason == "" {
					t.Error("raw event without a reason")
				}
			case PatrolPosition:
				if got.Position == nil || got.Position.Device != tt.e.UID || got.Position.Lat != 45.1 || got.Position.CEm != 25 {
					t.Errorf("position %+v", got.Position)
				}
			case Observation:
				o := got.Observation
				if o.Kind != tt.kind || o.Party != tt.party || o.Source != tt.source || o.ID != tt.e.UID {
					t.Errorf("observation kind %q party %q source %q id %q; want %q %q %q %q", o.Kind, o.Party, o.Source, o.ID, tt.kind, tt.party, tt.source, tt.e.UID)
				}
				if v := o.Attrs[tt.attr]; v != tt.want {
					t.Errorf("attrs[%q] = %v, want %q", tt.attr, v, tt.want)
				}
				if o.CEm != 25 || string(o.Raw) != "raw" || o.Validate() != nil {
					t.Errorf("ce_m %v raw %q validate %v", o.CEm, o.Raw, o.Validate())
				}
			}
		})
	}
}

func TestMappingOfPatrolPositionCarriesTrack(t *testing.T) {
	m := &Mapping{OwnDevices: []string{"D"}}
	got := m.Map(event(t, "D", "a-f-G-U-C", `<track speed="1.5" course="90"/>`), nil)
	if p := got.Position; p == nil || p.Speed != 1.5 || p.Course != 90 {
		t.Errorf("position %+v", p)
	}
}

func TestMappingKeepsCorpusEventsWithoutLoss(t *testing.T) {
	names, events := corpus(t)
	m := DefaultMapping()
	counts := map[Class]int{}
	for _, n := range names {
		e, err := UnmarshalXML(events[n])
		if err != nil {
			t.Fatal(err)
		}
		r := m.Map(e, events[n])
		counts[r.Class]++
		if r.Class == Observation && r.Observation.Validate() != nil {
			t.Errorf("%s: invalid observation %v", n, r.Observation.Validate())
		}
	}
	if counts[Raw]+counts[Observation] != len(names) || counts[Observation] == 0 || counts[Raw] == 0 {
		t.Errorf("classes %v over %d events", counts, len(names))
	}
}

func TestLoadMapping(t *testing.T) {
	tests := []struct {
		name, yaml, err string
	}{
		{"rules replace the defaults", "own_devices: [ANDROID-*]\naffiliations: {h: east}\nrules:\n  - type: a-.-G-E-V*\n    kind: presence.vehicle\n", ""},
		{"empty file keeps the defaults", "", ""},
		{"unknown kind names the line", "rules:\n  - type: a-h-G\n    kind: presence.vehicle\n  - type: a-h-G-E-V\n    kind: presence.tank\n", `m.yaml:4: rules[1].kind: "presence.tank" is not a known kind`},
		{"missing type", "rules:\n  - kind: air.uav\n", "m.yaml:2: rules[0].type: required"},
		{"unknown field in a rule", "rules:\n  - type: a\n    knd: air.uav\n", "field knd not found"},
		{"unknown top-level field", "rule: []\n", "field rule not found"},
		{"bad affiliation", "affiliations: {x: east}\n", `affiliations: "x" is not a CoT affiliation`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := LoadMapping("m.yaml", strings.NewReader(tt.yaml))
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(m.Rules) == 0 {
					t.Error("no rules")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestMatchType(t *testing.T) {
	tests := []struct {
		pattern, code string
		want          bool
	}{
		{"a-h-G-E-V*", "a-h-G-E-V", true},
		{"a-h-G-E-V*", "a-h-G-E-V-A-T", true},
		{"a-h-G-E-V*", "a-h-G-E-VX", false},
		{"a-h-G-E-V*", "a-h-G-E", false},
		{"a-.-G*", "a-f-G-U-C", true},
		{"a-.-G*", "a-f-A", false},
		{"a-.-G-*", "a-n-G-U", true},
		{"a-h-G", "a-h-G", true},
		{"a-h-G", "a-h-G-U", false},
		{"*", "b-m-r", true},
	}
	for _, tt := range tests {
		if got := MatchType(tt.pattern, tt.code); got != tt.want {
			t.Errorf("MatchType(%q, %q) = %v, want %v", tt.pattern, tt.code, got, tt.want)
		}
	}
}

func TestParseType(t *testing.T) {
	ty := ParseType("a-h-G-U-C")
	if ty.AtomName() != "atom" || ty.AffiliationName() != "hostile" || ty.DimensionName() != "ground" ||
		strings.Join(ty.FunctionNames(), ",") != "unit,combat" {
		t.Errorf("a-h-G-U-C: %+v %v", ty, ty.FunctionNames())
	}
	if b := ParseType("b-m-p-s-m"); b.Atom != "b" || b.Affiliation != "" || strings.Join(b.Function, "-") != "m-p-s-m" {
		t.Errorf("b-m-p-s-m: %+v", b)
	}
	if z := ParseType(""); z.Atom != "" {
		t.Errorf("empty: %+v", z)
	}
}
