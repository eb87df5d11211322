package maritime

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/golang/geo/s2"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

const coastFile = "testdata/BlackSea_coastline_ne10m.geojson"

func blackSea(tb testing.TB) *Shore {
	tb.Helper()
	b, err := os.ReadFile(coastFile)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := ReadShoreGeoJSON(b)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// bruteDistanceM is the distance to the nearest edge of the coastline, looking at every edge.
func bruteDistanceM(tb testing.TB, lat, lon float64) float64 {
	b, err := os.ReadFile(coastFile)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := geojson.UnmarshalFeature(b)
	if err != nil {
		tb.Fatal(err)
	}
	p := s2.PointFromLatLng(s2.LatLngFromDegrees(lat, lon))
	best := math.Inf(1)
	for _, l := range f.Geometry.(orb.MultiLineString) {
		for i := 1; i < len(l); i++ {
			a := s2.PointFromLatLng(s2.LatLngFromDegrees(l[i-1][1], l[i-1][0]))
			c := s2.PointFromLatLng(s2.LatLngFromDegrees(l[i][1], l[i][0]))
			best = math.Min(best, s2.DistanceFromSegment(p, a, c).Radians()*earthRadiusM)
		}
	}
	return best
}

func TestShoreDistanceMatchesEveryEdge(t *testing.T) {
	s := blackSea(t)
	if s.Vertices() < 2600 {
		t.Fatalf("%d vertices indexed, want the whole coastline", s.Vertices())
	}
	q := s.NewQuery()
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100; i++ {
		lat, lon := 41+r.Float64()*6, 28+r.Float64()*13
		got := q.DistanceM(lat, lon)
		want := bruteDistanceM(t, lat, lon)
		if math.Abs(got-want) > 1e-6*want+0.01 {
			t.Errorf("(%.4f, %.4f): indexed %.3f m, every edge %.3f m", lat, lon, got, want)
		}
	}
}

func TestShoreDistanceOfKnownPlaces(t *testing.T) {
	q := blackSea(t).NewQuery()
	tests := []struct {
		name     string
		lat, lon float64
		lo, hi   float64 // nautical miles
	}{
		{"Odesa roads", 46.47, 30.80, 0, 3},
		{"off Constanta", 44.10, 28.80, 0, 8},
		{"the western basin", 43.5, 31.0, 60, 120},
		{"between Crimea and Sinop", 43.2, 34.5, 50, 100},
	}
	for _, tt := range tests {
		nm := q.DistanceM(tt.lat, tt.lon) / NauticalMileM
		if nm < tt.lo || nm > tt.hi {
			t.Errorf("%s: %.1f nm from shore, want %g to %g", tt.name, nm, tt.lo, tt.hi)
		}
	}
}

func TestReadShoreGeoJSONRejectsWhatIsNotACoast(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not JSON", `{`, "shore GeoJSON"},
		{"a point", `{"type":"Point","coordinates":[30,45]}`, "a Point is not a coastline"},
		{"empty", `{"type":"FeatureCollection","features":[]}`, "no coastline points"},
		{"bad latitude", `{"type":"LineString","coordinates":[[30,95],[31,45]]}`, "shore line 0 point 0"},
	}
	for _, tt := range tests {
		_, err := ReadShoreGeoJSON([]byte(tt.in))
		if err == nil || !contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// BenchmarkShoreDistance measures the distance from shore of points spread over the Black
// Sea's bounding box, as the detector measures it for every position.
func BenchmarkShoreDistance(b *testing.B) {
	q := blackSea(b).NewQuery()
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([][2]float64, 4096)
	for i := range pts {
		pts[i] = [2]float64{41 + r.Float64()*6, 28 + r.Float64()*13}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pts[i&4095]
		q.DistanceM(p[0], p[1])
	}
}

// BenchmarkShoreBeyond measures the test the loitering detector makes of every slow
// position: more than 20 nm from shore or not.
func BenchmarkShoreBeyond(b *testing.B) {
	q := blackSea(b).NewQuery()
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([][2]float64, 4096)
	for i := range pts {
		pts[i] = [2]float64{41 + r.Float64()*6, 28 + r.Float64()*13}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pts[i&4095]
		q.BeyondM(p[0], p[1], DefaultLoiterShoreM)
	}
}

// TestShoreBeyondAgreesWithDistance checks the cached decision against the exact distance
// for points on both sides of the thresholds, many of them within a cell of them.
func TestShoreBeyondAgreesWithDistance(t *testing.T) {
	q := blackSea(t).NewQuery()
	exact := blackSea(t).NewQuery()
	r := rand.New(rand.NewPCG(5, 6))
	near := 0
	for i := 0; i < 20000; i++ {
		lat, lon := 41+r.Float64()*6, 28+r.Float64()*13
		for _, m := range []float64{DefaultLoiterShoreM, DefaultGapShoreM} {
			d := exact.DistanceM(lat, lon)
			if math.Abs(d-m) < 1500 {
				near++
			}
			if got := q.BeyondM(lat, lon, m); got != (d > m) {
				t.Errorf("(%.5f, %.5f) is %.1f m from shore: BeyondM(%.0f) = %v", lat, lon, d, m, got)
			}
		}
	}
	if near < 50 {
		t.Errorf("only %d points near a threshold: the test does not exercise the exact fallback", near)
	}
}

func TestBlackSeaIsTheCoastlineOfTestdata(t *testing.T) {
	s, err := BlackSea()
	if err != nil {
		t.Fatal(err)
	}
	if want := blackSea(t).Vertices(); s.Vertices() != want {
		t.Errorf("embedded shore has %d vertices, the file %d", s.Vertices(), want)
	}
}
