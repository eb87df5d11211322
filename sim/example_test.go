package sim_test

import (
	"fmt"
	"log"

	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/sim"
)

// A scenario yields observations in time order with their ground truth; a server feeding a
// live demonstration would call Play instead, which paces the same stream. (The example has
// no recorded output: the exact stream follows every detail of the geometry engine, and the
// tests check its properties instead.)
func ExampleScenario_Observations() {
	a, err := agreement.Load("../examples/cyprus")
	if err != nil {
		log.Fatal(err)
	}
	judge, err := rules.Compile(a)
	if err != nil {
		log.Fatal(err)
	}
	s, err := sim.New(judge, sim.Config{Hours: 24, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	n, violations := 0, 0
	for o, label := range s.Observations() {
		if n < 3 {
			fmt.Println(o.Time.Format("15:04:05.000"), o.Source, o.Kind, label.Rules)
		}
		n++
		if label.Violation {
			violations++
		}
	}
	fmt.Println(n, "observations,", violations, "break a rule")
}
