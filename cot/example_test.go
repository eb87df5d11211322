package cot_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/truce-project/truce/cot"
)

func ExampleDecoder() {
	in := `<?xml version="1.0"?>
<event version="2.0" uid="m-1" type="a-h-G-E-V-A-T" how="h-e" time="2026-01-01T10:00:00Z" start="2026-01-01T10:00:00Z" stale="2026-01-01T10:05:00Z">
  <point lat="45.1" lon="33.2" hae="120" ce="25" le="9999999"/>
  <detail><contact callsign="T-72"/><remarks>moving south</remarks></detail>
</event>
<event version="2.0" uid="m-2" type="a-h-G" how="h-e" time="2026-01-01T10:00:00Z" start="2026-01-01T10:00:00Z" stale="2026-01-01T10:05:00Z">
  <point lat="95" lon="33.2" hae="0" ce="0" le="0"/>
</event>`
	d := cot.NewDecoder(strings.NewReader(in))
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			continue
		}
		t := cot.ParseType(e.Type)
		fmt.Println(e.UID, e.Callsign(), e.RemarksText(), t.AffiliationName(), t.DimensionName(), t.FunctionNames())
	}
	// Output:
	// m-1 T-72 moving south hostile ground [equipment ground vehicle armored vehicle tank]
	// cot: event at byte 321: point@lat: 95 is outside [-90, 90]
}

func ExampleMapping_Map() {
	e, err := cot.UnmarshalXML([]byte(`<event version="2.0" uid="m-1" type="a-h-G-E-V-A-T" how="h-e" time="2026-01-01T10:00:00Z" start="2026-01-01T10:00:00Z" stale="2026-01-01T10:05:00Z"><point lat="45.1" lon="33.2" hae="120" ce="25" le="9999999"/><detail><link uid="ANDROID-mon-1" relation="p-p"/></detail></event>`))
	if err != nil {
		panic(err)
	}
	r := cot.DefaultMapping().Map(e, nil)
	fmt.Println(r.Class, r.Observation.Kind, r.Observation.Source, r.Observation.CEm)
	// Output:
	// observation presence.vehicle cot:ANDROID-mon-1 25
}
