package maritime_test

import (
	"fmt"
	"log"
	"os"

	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/maritime"
	"github.com/truce-project/truce/sim"
)

// A Detector is fed sea.vessel observations in time order, wherever they come from: here a
// simulated day and a half, in a server the observations ais.Vessels makes of the messages
// that ais.ListenUDP or ais.DialTCP deliver.
func ExampleDetector() {
	a, err := agreement.Load("../examples/notional-east")
	if err != nil {
		log.Fatal(err)
	}
	coast, err := os.ReadFile("testdata/BlackSea_coastline_ne10m.geojson")
	if err != nil {
		log.Fatal(err)
	}
	shore, err := maritime.ReadShoreGeoJSON(coast)
	if err != nil {
		log.Fatal(err)
	}
	sc, err := sim.Maritime(a, sim.MaritimeConfig{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	d, err := maritime.NewDetector(a, shore, maritime.Config{Anchorages: sc.Anchorages})
	if err != nil {
		log.Fatal(err)
	}
	for i := range sc.Observations {
		for _, e := range d.Observe(&sc.Observations[i]) {
			fmt.Println(e.End.Format("15:04"), e.Kind, e.Vessels)
		}
	}
	// Output:
	// 08:02 jump [mmsi:359414165]
	// 12:03 encounter [mmsi:325131803 mmsi:556381164]
	// 19:04 loitering [mmsi:450117718]
	// 20:01 dark [mmsi:462428892]
	// 23:10 exclusion [coastal-radar/breach]
	// 02:23 standoff [coastal-radar/breach mmsi:272333599]
	// 04:27 standoff [coastal-radar/breach mmsi:359846477]
	// 05:22 standoff [coastal-radar/breach mmsi:393403003]
	// 06:25 standoff [coastal-radar/breach mmsi:526283552]
}
