package sim_test

import (
	"testing"
	"testing/fstest"

	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/sim"
)

// customAgreement has rules whose conditions name attributes and values nothing in the
// generator's repertoire has, a rule limited to one side of the line, and one beyond a
// distance from it: the injector must learn them from the agreement.
var customAgreement = fstest.MapFS{
	"agreement.yaml": {Data: []byte(`id: custom
title: An agreement with unusual conditions
parties:
  - {id: a, name: Party A}
  - {id: b, name: Party B}
lines:
  - {id: contact, name: the line, file: line.geojson, left: a, right: b}
zones:
  - {id: dmz, name: the zone, kind: demilitarized, band: {line: contact, km: 5, side: both}}
  - {id: left-30, name: the left band, kind: withdrawal, band: {line: contact, km: 30, side: left}}
rules:
  - id: cruise
    article: Art. 1
    kinds: [presence.weapon]
    zones: [left-30]
    when: "attrs.system == 'cruise' && attrs.range_km > 300"
    severity: major
    attribution: side
  - id: drones-right
    article: Art. 2
    kinds: [air.uav]
    line: {line: contact, within_km: 20, side: right}
    when: "attrs.wingspan_m >= 4.5"
    severity: minor
    attribution: party
  - id: deep-fortification
    article: Art. 3
    kinds: [presence.fortification]
    line: {line: contact, beyond_km: 10, within_km: 40}
    severity: minor
    attribution: side
`)},
	"line.geojson": {Data: []byte(`{"type": "Feature", "properties": {},
 "geometry": {"type": "LineString", "coordinates": [[35.0, 46.0], [35.2, 47.0], [35.5, 48.0], [35.6, 49.0]]}}`)},
}

func TestRulesWithUnusualConditionsAreInjected(t *testing.T) {
	a, err := agreement.LoadFS(customAgreement)
	if err != nil {
		t.Fatal(err)
	}
	j, err := rules.Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(j, sim.Config{Hours: 24, Seed: 2, ViolationsPerHour: 6})
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]int{}
	for o, l := range s.Observations() {
		got := map[string]bool{}
		for _, f := range j.Judge(&o, nil) {
			got[f.Rule] = true
		}
		if len(got) != len(l.Rules) {
			t.Errorf("%s: judged %v, truth %v", o.ID, got, l.Rules)
		}
		if l.Injected != nil && got[l.Injected.Rule] {
			fired[l.Injected.Rule]++
		}
	}
	for _, r := range a.Rules {
		if fired[r.ID] == 0 {
			t.Errorf("rule %s was never injected", r.ID)
		}
	}
}
