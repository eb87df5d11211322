package maritime

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
)

var (
	notionalOnce sync.Once
	notional     *truce.Agreement
	notionalErr  error
)

func notionalEast(tb testing.TB) *truce.Agreement {
	tb.Helper()
	notionalOnce.Do(func() { notional, notionalErr = agreement.Load("../examples/notional-east") })
	if notionalErr != nil {
		tb.Fatal(notionalErr)
	}
	return notional
}

func newDetector(tb testing.TB, cfg Config) *Detector {
	tb.Helper()
	d, err := NewDetector(notionalEast(tb), blackSea(tb), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

var t0 = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// Places on the example agreement's map.
var (
	onRoute  = [2]float64{45.0, 30.445}     // on the corridor route, 32 nm from shore
	offRoute = [2]float64{45.0, 30.633}     // 8 nm east of it: in the stand-off zone
	farOff   = [2]float64{45.0, 30.95}      // 15 nm east of it: outside the stand-off zone
	openSea  = [2]float64{43.5, 31.8}       // the western basin, far from any shore
	nearCoas = [2]float64{46.45, 30.80}     // Odesa roads
	seaEast  = [2]float64{43.3, 33.0}       // between Crimea and Anatolia
	elsewher = [2]float64{43.0, 30.5 + 1.5} // open sea, away from the corridor
)

// ship describes a vessel's reports in a test.
type ship struct {
	mmsi     int
	track    string // radar track, when mmsi is 0
	military bool
	static   bool
	party    string
}

func (s ship) at(seq int, t time.Time, p [2]float64, speed float64) *truce.Observation {
	o := &truce.Observation{
		Time: t, Kind: "sea.vessel", Lat: p[0], Lon: p[1], CEm: 10, Party: s.party,
		Attrs: map[string]any{"speed": speed},
	}
	if s.mmsi != 0 {
		o.Source = "ais"
		o.ID = "ais:" + strconv.Itoa(s.mmsi) + ":" + strconv.Itoa(seq)
		o.Attrs["mmsi"] = float64(s.mmsi)
	} else {
		o.Source = "radar"
		o.ID = "radar:" + s.track + ":" + strconv.Itoa(seq)
		o.Attrs["track"] = s.track
	}
	if s.static {
		o.Attrs["ship_type"] = 70.0
		o.Attrs["ship_name"] = "TEST " + strconv.Itoa(s.mmsi)
	}
	if s.military {
		o.Attrs["military"] = true
	}
	return o
}

// move returns the point m metres from p on bearing azi (degrees), on the sphere.
func move(p [2]float64, azi, m float64) [2]float64 {
	const rad = math.Pi / 180
	d := m / earthRadiusM
	lat1, lon1, th := p[0]*rad, p[1]*rad, azi*rad
	lat2 := math.Asin(math.Sin(lat1)*math.Cos(d) + math.Cos(lat1)*math.Sin(d)*math.Cos(th))
	lon2 := lon1 + math.Atan2(math.Sin(th)*math.Sin(d)*math.Cos(lat1), math.Cos(d)-math.Sin(lat1)*math.Sin(lat2))
	return [2]float64{lat2 / rad, lon2 / rad}
}

// script builds a time-ordered list of observations.
type script []*truce.Observation

// steady adds reports of s every step from start for dur, drifting from p on azi at kn.
func (sc *script) steady(s ship, start, dur, step time.Duration, p [2]float64, azi, kn float64) [2]float64 {
	n := len(*sc)
	for dt := time.Duration(0); dt <= dur; dt += step {
		q := move(p, azi, kn*knotMS*dt.Seconds())
		*sc = append(*sc, s.at(n+int(dt/step), t0.Add(start+dt), q, kn))
	}
	return move(p, azi, kn*knotMS*dur.Seconds())
}

// run feeds the observations to d in time order and returns the events.
func run(d *Detector, obs []*truce.Observation) []Event {
	sortByTime(obs)
	var evs []Event
	for _, o := range obs {
		evs = append(evs, d.Observe(o)...)
	}
	return evs
}

func sortByTime(obs []*truce.Observation) {
	// Insertion sort keeps the order of equal times, as a feed would.
	for i := 1; i < len(obs); i++ {
		for j := i; j > 0 && obs[j].Time.Before(obs[j-1].Time); j-- {
			obs[j], obs[j-1] = obs[j-1], obs[j]
		}
	}
}

func kinds(evs []Event) string {
	var ks []string
	for _, e := range evs {
		ks = append(ks, e.Kind)
	}
	return strings.Join(ks, ",")
}

func TestDetectorsOnSyntheticTracks(t *testing.T) {
	merchant := ship{mmsi: 271000001, static: true}
	merchant2 := ship{mmsi: 271000002, static: true}
	warship := ship{track: "w1", military: true, party: "east"}
	unknown := ship{mmsi: 271000003}
	tests := []struct {
		name  string
		build func(t *testing.T, sc *script)
		want  string // kinds of the events, in order
		check func(t *testing.T, evs []Event)
	}{
		{"a merchant sailing the corridor raises nothing", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, 6*time.Hour, 3*time.Minute, onRoute, 195, 12)
		}, "", nil},
		{"a warship entering the stand-off zone is reported once", func(t *testing.T, sc *script) {
			p := sc.steady(warship, 0, time.Hour, 10*time.Minute, farOff, 270, 12)
			sc.steady(warship, time.Hour+10*time.Minute, 2*time.Hour, 10*time.Minute, p, 195, 6)
		}, "exclusion", func(t *testing.T, evs []Event) {
			e := evs[0]
			if e.Zone != "corridor-standoff" || e.Party != "east" || e.Vessels[0] != "radar/w1" || e.MMSI[0] != 0 {
				t.Errorf("event %+v", e)
			}
			if !strings.Contains(e.Explanation, "military vessel (radar/w1)") || !strings.Contains(e.Explanation, "nm inside the corridor stand-off area") {
				t.Errorf("explanation %q", e.Explanation)
			}
		}},
		{"a warship along the zone's boundary is one stay, however often it crosses", func(t *testing.T, sc *script) {
			edge := zoneEdgeEast(t, offRoute, "corridor-standoff")
			for i := 0; i < 24; i++ {
				side := 90.0
				if i%3 == 0 {
					side = 270
				}
				*sc = append(*sc, warship.at(i, t0.Add(time.Duration(i)*10*time.Minute), move(edge, side, 600), 4))
			}
		}, "exclusion", nil},
		{"a warship that leaves the zone for an hour and comes back is two stays", func(t *testing.T, sc *script) {
			out := move(zoneEdgeEast(t, offRoute, "corridor-standoff"), 90, NauticalMileM)
			sc.steady(warship, 0, 30*time.Minute, 10*time.Minute, offRoute, 0, 0.1)
			sc.steady(warship, 40*time.Minute, time.Hour, 10*time.Minute, out, 0, 0.1)
			sc.steady(warship, 150*time.Minute, 30*time.Minute, 10*time.Minute, offRoute, 0, 0.1)
		}, "exclusion,exclusion", nil},
		{"a merchant in the stand-off zone raises nothing", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, 2*time.Hour, 3*time.Minute, offRoute, 180, 8)
		}, "", nil},
		{"an unidentified vessel counts once silent about itself for 15 minutes", func(t *testing.T, sc *script) {
			sc.steady(unknown, 0, time.Hour, 3*time.Minute, offRoute, 180, 8)
		}, "exclusion", func(t *testing.T, evs []Event) {
			if got := evs[0].End.Sub(t0); got != 15*time.Minute {
				t.Errorf("reported at %v, want 15m0s", got)
			}
			if !evs[0].Start.Equal(t0) {
				t.Errorf("stay starts %v, want %v", evs[0].Start, t0)
			}
		}},
		{"a warship within 10 nm of a merchant in the corridor breaks the stand-off", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, time.Hour, 3*time.Minute, onRoute, 195, 0.5)
			sc.steady(ship{track: "w2", military: true, party: "west"}, 5*time.Minute, time.Hour, 10*time.Minute, offRoute, 195, 0.5)
		}, "exclusion,standoff", func(t *testing.T, evs []Event) {
			e := evs[1]
			if e.Vessels[0] != "radar/w2" || e.Vessels[1] != "mmsi:271000001" || e.Zone != "corridor" || e.Party != "west" {
				t.Errorf("event %+v", e)
			}
			if e.End.Sub(t0) != 5*time.Minute {
				t.Errorf("found at %v, want 5m0s", e.End.Sub(t0))
			}
		}},
		{"a warship 15 nm from the corridor traffic keeps the stand-off", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, time.Hour, 3*time.Minute, onRoute, 195, 0.5)
			sc.steady(warship, 0, time.Hour, 10*time.Minute, farOff, 195, 0.5)
		}, "", nil},
		{"a spoofed position is one jump", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, 30*time.Minute, 3*time.Minute, openSea, 0, 12)
			*sc = append(*sc, merchant.at(100, t0.Add(31*time.Minute), seaEast, 12))
			sc.steady(merchant, 33*time.Minute, 30*time.Minute, 3*time.Minute, move(openSea, 0, 12*knotMS*33*60), 0, 12)
		}, "jump", func(t *testing.T, evs []Event) {
			e := evs[0]
			if e.End.Sub(t0) != 31*time.Minute || e.Lat2 != seaEast[0] || e.Lon2 != seaEast[1] {
				t.Errorf("jump %+v", e)
			}
		}},
		{"a ship that really moved is one jump, not two", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, 30*time.Minute, 3*time.Minute, openSea, 0, 12)
			sc.steady(merchant, 33*time.Minute, 30*time.Minute, 3*time.Minute, seaEast, 0, 12)
		}, "jump", nil},
		{"position noise between reports a second apart is no jump", func(t *testing.T, sc *script) {
			for i := 0; i < 20; i++ {
				*sc = append(*sc, merchant.at(i, t0.Add(time.Duration(i)*time.Second), move(openSea, float64(i*97%360), 30), 12))
			}
		}, "", nil},
		{"a 13 h silence far from shore is a dark period", func(t *testing.T, sc *script) {
			p := sc.steady(merchant, 0, time.Hour, 3*time.Minute, openSea, 0, 10)
			sc.steady(merchant, 14*time.Hour, time.Hour, 3*time.Minute, move(p, 0, 5000), 0, 10)
		}, "dark", func(t *testing.T, evs []Event) {
			if e := evs[0]; e.Start.Sub(t0) != time.Hour || e.End.Sub(t0) != 14*time.Hour {
				t.Errorf("dark from %v to %v, want 1h to 14h", e.Start.Sub(t0), e.End.Sub(t0))
			}
		}},
		{"an 11 h silence is not", func(t *testing.T, sc *script) {
			p := sc.steady(merchant, 0, time.Hour, 3*time.Minute, openSea, 0, 10)
			sc.steady(merchant, 12*time.Hour, time.Hour, 3*time.Minute, move(p, 0, 5000), 0, 10)
		}, "", nil},
		{"a silence near the coast is not", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, time.Hour, 3*time.Minute, nearCoas, 180, 0.1)
			sc.steady(merchant, 20*time.Hour, time.Hour, 3*time.Minute, nearCoas, 180, 0.1)
		}, "", nil},
		{"five hours at 1 kn far from shore is loitering, reported at four", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, 5*time.Hour, 3*time.Minute, openSea, 90, 1)
		}, "loitering", func(t *testing.T, evs []Event) {
			if e := evs[0]; e.End.Sub(t0) != 4*time.Hour || !e.Start.Equal(t0) || distanceM(e.Lat, e.Lon, openSea[0], openSea[1]) > 5000 {
				t.Errorf("loitering %+v", e)
			}
		}},
		{"three hours slow is not loitering", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, 3*time.Hour, 3*time.Minute, openSea, 90, 1)
			sc.steady(merchant, 3*time.Hour+3*time.Minute, 3*time.Hour, 3*time.Minute, move(openSea, 90, 1*knotMS*3*3600), 90, 10)
		}, "", nil},
		{"slow near the coast is not loitering", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, 6*time.Hour, 3*time.Minute, nearCoas, 90, 0.2)
		}, "", nil},
		{"two ships together for three hours at sea meet, reported at two", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, 3*time.Hour, 3*time.Minute, openSea, 90, 0.3)
			sc.steady(merchant2, time.Minute, 3*time.Hour, 3*time.Minute, move(openSea, 0, 200), 90, 0.3)
		}, "encounter", func(t *testing.T, evs []Event) {
			e := evs[0]
			if e.Start.Sub(t0) != time.Minute || e.End.Sub(t0) != 2*time.Hour+time.Minute || e.Vessels[0] != "mmsi:271000001" || e.Vessels[1] != "mmsi:271000002" {
				t.Errorf("encounter %+v", e)
			}
		}},
		{"two ships 800 m apart do not meet", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, 3*time.Hour, 3*time.Minute, openSea, 90, 0.3)
			sc.steady(merchant2, time.Minute, 3*time.Hour, 3*time.Minute, move(openSea, 0, 800), 90, 0.3)
		}, "", nil},
		{"two ships together at an anchorage do not meet", func(t *testing.T, sc *script) {
			sc.steady(merchant, 0, 3*time.Hour, 3*time.Minute, elsewher, 90, 0.3)
			sc.steady(merchant2, time.Minute, 3*time.Hour, 3*time.Minute, move(elsewher, 0, 200), 90, 0.3)
		}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDetector(t, Config{Anchorages: [][2]float64{move(elsewher, 45, 3000)}})
			var sc script
			tt.build(t, &sc)
			evs := run(d, sc)
			if got := kinds(evs); got != tt.want {
				for _, e := range evs {
					t.Log(e.Kind, e.Start.Sub(t0), e.End.Sub(t0), e.Explanation)
				}
				t.Fatalf("events %q, want %q", got, tt.want)
			}
			if tt.check != nil {
				tt.check(t, evs)
			}
		})
	}
}

// zoneEdgeEast returns the point due east of p where zone's boundary is, to within a metre.
func zoneEdgeEast(t *testing.T, p [2]float64, zone string) [2]float64 {
	t.Helper()
	d := newDetector(t, Config{})
	zi := -1
	for i, z := range d.zones {
		if z.ID == zone {
			zi = i
		}
	}
	if zi < 0 {
		t.Fatalf("no zone %q", zone)
	}
	lo, hi := 0.0, 100e3
	if d.eng.ZoneDepthM(zi, p[0], p[1]) < 0 {
		t.Fatalf("%v is outside %s", p, zone)
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if q := move(p, 90, mid); d.eng.ZoneDepthM(zi, q[0], q[1]) > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return move(p, 90, lo)
}

func TestOpenSeaPlacesAreFarFromShore(t *testing.T) {
	q := blackSea(t).NewQuery()
	for _, p := range [][2]float64{openSea, seaEast, elsewher} {
		if nm := q.DistanceM(p[0], p[1]) / NauticalMileM; nm < 55 {
			t.Errorf("%v is %.0f nm from shore; the tests need it beyond 50", p, nm)
		}
	}
	if nm := q.DistanceM(onRoute[0], onRoute[1]) / NauticalMileM; nm < 20 || nm > 50 {
		t.Errorf("onRoute is %.0f nm from shore", nm)
	}
}

func TestObserveIgnoresWhatItCannotFollow(t *testing.T) {
	d := newDetector(t, Config{})
	m := ship{mmsi: 271000009, static: true}
	obs := []*truce.Observation{
		{ID: "x", Time: t0, Kind: "sea.vessel", Lat: 44, Lon: 31},         // no MMSI, no track
		{ID: "y", Time: t0, Kind: "presence.vehicle", Lat: 44, Lon: 31},   // not a vessel
		m.at(1, t0.Add(time.Hour), openSea, 10), m.at(2, t0, seaEast, 10), // the second is older
		m.at(3, t0.Add(time.Hour), seaEast, 10),                                     // same time as the newest
		{ID: "z", Time: t0, Kind: "sea.vessel", Attrs: map[string]any{"mmsi": 1.5}}, // not an MMSI
		{ID: "n", Time: t0, Kind: "sea.vessel", Lat: math.NaN(), Attrs: map[string]any{"mmsi": 5.0}},
	}
	for _, o := range obs {
		if evs := d.Observe(o); len(evs) > 0 {
			t.Errorf("%s raised %v", o.ID, kinds(evs))
		}
	}
	st := d.Stats()
	if st.Observations != 6 || st.Anonymous != 2 || st.Invalid != 1 || st.OutOfOrder != 2 || d.Vessels() != 1 {
		t.Errorf("stats %+v, vessels %d", st, d.Vessels())
	}
}

// TestMemoryStaysBoundedWithManyVessels feeds 100,000 vessels, each heard a few times, to a
// detector that may track 2,000, and checks that the tables and the heap stay bounded.
func TestMemoryStaysBoundedWithManyVessels(t *testing.T) {
	const limit = 2000
	d := newDetector(t, Config{MaxVessels: limit})
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	feed := func(from, to int) {
		for i := from; i < to; i++ {
			s := ship{mmsi: 200000000 + i, static: i%2 == 0}
			// Slow vessels in pairs 200 m apart, so that pairs are followed too, spread
			// over a 5 km grid.
			k := i / 2 % 10000
			p := move([2]float64{42.5 + float64(k%100)*0.05, 30 + float64(k/100)*0.05}, 0, float64(i%2)*200)
			for k := 0; k < 3; k++ {
				d.Observe(s.at(k, t0.Add(time.Duration(i)*time.Second+time.Duration(k)*time.Millisecond), p, 0.5))
			}
		}
	}
	feed(0, 10_000)
	base := heap()
	feed(10_000, 100_000)
	grown := heap()
	if d.Vessels() != limit {
		t.Errorf("%d vessels tracked, want %d", d.Vessels(), limit)
	}
	if st := d.Stats(); st.Evicted != 100_000-limit {
		t.Errorf("%d evicted, want %d", st.Evicted, 100_000-limit)
	}
	cells := 0
	for _, vs := range d.grid {
		cells += len(vs)
	}
	if cells != limit {
		t.Errorf("grid holds %d vessels, want %d", cells, limit)
	}
	if p := d.pairs(); p > 4*limit {
		t.Errorf("%d pairs followed, want at most %d", p, 4*limit)
	}
	t.Logf("heap after 10,000 vessels %d KiB, after 100,000 %d KiB; %d pairs", base>>10, grown>>10, d.pairs())
	if grown > base+base/2+(1<<20) {
		t.Errorf("heap grew from %d KiB to %d KiB with ten times the vessels", base>>10, grown>>10)
	}
}

// TestObserveIsSafeForConcurrentUse feeds one detector from several goroutines, as
// several feeds of one server would; run with -race.
func TestObserveIsSafeForConcurrentUse(t *testing.T) {
	d := newDetector(t, Config{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var sc script
			sc.steady(ship{mmsi: 271000100 + g, static: g%2 == 0}, 0, 2*time.Hour, time.Minute, move(offRoute, 90, float64(g)*500), 180, 1)
			for _, o := range sc {
				d.Observe(o)
			}
		}(g)
	}
	wg.Wait()
	if st := d.Stats(); st.Observations != 4*121 || d.Vessels() != 4 {
		t.Errorf("stats %+v, %d vessels", st, d.Vessels())
	}
}

func TestTrackKeepsTheLatestPositionsOldestFirst(t *testing.T) {
	d := newDetector(t, Config{TrackLength: 4})
	var sc script
	sc.steady(ship{mmsi: 271000200, static: true}, 0, 9*time.Minute, time.Minute, openSea, 0, 10)
	sc.steady(ship{track: "r9"}, 0, 2*time.Minute, time.Minute, seaEast, 0, 10)
	run(d, sc)
	tr := d.Track("mmsi:271000200")
	if len(tr) != 4 || tr[0].Time.Sub(t0) != 6*time.Minute || tr[3].Time.Sub(t0) != 9*time.Minute || tr[3].SpeedKn != 10 {
		t.Errorf("track %+v, want the positions at 6 to 9 minutes", tr)
	}
	if tr := d.Track("radar/r9"); len(tr) != 3 {
		t.Errorf("radar track has %d positions, want 3", len(tr))
	}
	if d.Track("mmsi:1") != nil || d.Track("radar/none") != nil {
		t.Error("a vessel never heard has a track")
	}
}

// BenchmarkObserveFleet measures the cost per position with 2,000 vessels over the western
// Black Sea, a tenth of them slow and a twentieth without static data, reporting in turn
// every three minutes.
func BenchmarkObserveFleet(b *testing.B) {
	const n = 2000
	d := newDetector(b, Config{})
	r := rand.New(rand.NewPCG(9, 9))
	type boat struct {
		s       ship
		p       [2]float64
		azi, kn float64
	}
	boats := make([]boat, n)
	for i := range boats {
		kn := 8 + r.Float64()*6
		if i%10 == 0 {
			kn = r.Float64() * 1.5
		}
		boats[i] = boat{s: ship{mmsi: 271100000 + i, static: i%20 != 0}, p: [2]float64{42 + r.Float64()*4, 29 + r.Float64()*5}, azi: r.Float64() * 360, kn: kn}
	}
	obs := make([]*truce.Observation, 0, 20*n)
	for k := 0; k < 20; k++ {
		for i := range boats {
			bt := &boats[i]
			at := t0.Add(time.Duration(k)*3*time.Minute + time.Duration(i)*time.Second*180/n)
			obs = append(obs, bt.s.at(k, at, bt.p, bt.kn))
			bt.p = move(bt.p, bt.azi, bt.kn*knotMS*180)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(obs) == 0 && i > 0 {
			b.StopTimer()
			d = newDetector(b, Config{})
			b.StartTimer()
		}
		d.Observe(obs[i%len(obs)])
	}
}
