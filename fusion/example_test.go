package fusion_test

import (
	"fmt"
	"log"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/fusion"
	"github.com/truce-project/truce/rules"
)

// Three acoustic sensors hear one burst of machine-gun fire; their bearings cross where it
// was fired from, 3 km on Party East's side of the line, and the incident is attributed.
func ExampleFuser_Add() {
	a, err := agreement.Load("../examples/notional-east")
	if err != nil {
		log.Fatal(err)
	}
	judge, err := rules.Compile(a)
	if err != nil {
		log.Fatal(err)
	}
	f := fusion.New(a, judge.Engine(), fusion.Config{})
	fired := time.Date(2026, 5, 1, 8, 30, 0, 0, time.UTC)
	reports := []struct {
		sensor       string
		lat, lon     float64
		bearing, sd  float64
		afterSeconds float64
	}{
		{"acoustic-1", 48.108263, 37.854887, 21.5, 3, 17.493},
		{"acoustic-2", 48.168315, 37.803005, 97.9, 4, 17.493},
		{"acoustic-3", 48.212112, 37.896463, 190.8, 2.5, 17.493},
	}
	var inc *fusion.Incident
	for _, r := range reports {
		o := truce.Observation{ID: r.sensor + "-000001", Source: r.sensor, Kind: "fire.burst",
			Time: fired.Add(time.Duration(r.afterSeconds * float64(time.Second))), Lat: r.lat, Lon: r.lon, CEm: 5,
			Attrs: map[string]any{"bearing_deg": r.bearing, "bearing_sd_deg": r.sd}}
		if inc, err = f.Add(o, judge.Judge(&o, nil)); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(len(inc.Members), "reports,", inc.Sources, "independent sources, confidence", inc.Confidence)
	fmt.Println(inc.Attribution.Party)
	fmt.Println(inc.Attribution.Explanation)
	// Output:
	// 3 reports, 3 independent sources, confidence 0.94
	// east
	// origin 2.9 km on Party East's side of the line of contact, 95% ellipse 1.0 km × 491 m, entirely on Party East's side (from 3 bearings)
}
