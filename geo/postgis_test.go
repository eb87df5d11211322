package geo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/truce-project/truce"
)

// postgisConn connects to the database named by TRUCE_TEST_POSTGRES. Without it the test
// skips, unless CI is set: CI installs PostGIS, so there a missing database is a failure.
func postgisConn(t *testing.T) *pgx.Conn {
	t.Helper()
	url := os.Getenv("TRUCE_TEST_POSTGRES")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but TRUCE_TEST_POSTGRES is not: the PostGIS oracle test cannot run")
		}
		t.Skip("TRUCE_TEST_POSTGRES is not set: skipping the comparison with PostGIS")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connecting to TRUCE_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	var v string
	if err := conn.QueryRow(ctx, "SELECT postgis_lib_version()").Scan(&v); err != nil {
		t.Fatalf("the database has no PostGIS (CREATE EXTENSION postgis): %v", err)
	}
	t.Logf("PostGIS %s", v)
	return conn
}

// loadPoints replaces the temporary table pts with the given points, by COPY.
func loadPoints(t *testing.T, conn *pgx.Conn, pts [][2]float64) {
	t.Helper()
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS pts; CREATE TEMP TABLE pts (id int PRIMARY KEY, lon float8, lat float8)"); err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, len(pts))
	for i, p := range pts {
		rows[i] = []any{int32(i), p[0], p[1]}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"pts"}, []string{"id", "lon", "lat"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
}

func geoJSONText(t *testing.T, g orb.Geometry) string {
	t.Helper()
	b, err := json.Marshal(geojson.NewGeometry(g))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nearBoundary returns n points around the rings of mp: from a random vertex, in a random
// direction, at a distance spread evenly in its logarithm from 1 cm to 3 km, so that many
// points fall within metres of an edge where a wrong edge model would show.
func nearBoundary(r *rand.Rand, mp orb.MultiPolygon, n int) [][2]float64 {
	var vs []orb.Point
	for _, p := range mp {
		for _, ring := range p {
			vs = append(vs, ring...)
		}
	}
	out := make([][2]float64, n)
	for i := range out {
		v := vs[r.IntN(len(vs))]
		// Start from a random point of the edge after v, not only from vertices.
		lat, lon := v[1], v[0]
		s := math.Exp(math.Log(0.01) + r.Float64()*(math.Log(3000)-math.Log(0.01)))
		lat, lon = offset(lat, lon, r.Float64()*360-180, s)
		out[i] = [2]float64{lon, lat}
	}
	return out
}

// spread returns n points uniformly over the box of mp widened by pad degrees.
func spread(r *rand.Rand, mp orb.MultiPolygon, pad float64, n int) [][2]float64 {
	b := mp.Bound()
	out := make([][2]float64, n)
	for i := range out {
		out[i] = [2]float64{
			b.Min[0] - pad + r.Float64()*(b.Max[0]-b.Min[0]+2*pad),
			b.Min[1] - pad + r.Float64()*(b.Max[1]-b.Min[1]+2*pad),
		}
	}
	return out
}

// TestContainmentAgreesWithPostGIS compares containment with PostGIS's ST_Covers on
// geometry, whose planar lon/lat edges are exactly GeoJSON's, for the Cyprus U.N. buffer zone
// (a MultiPolygon) and the Black Sea (a polygon with holes). The only disagreements allowed
// are for points within 1 m of the boundary; the engine's test is planar like PostGIS's, so
// in practice only points on an edge, where either answer is right, could differ.
func TestContainmentAgreesWithPostGIS(t *testing.T) {
	conn := postgisConn(t)
	r := rand.New(rand.NewPCG(2026, 11))
	for _, c := range []struct {
		name           string
		area           orb.MultiPolygon
		nearN, spreadN int
	}{
		{"Cyprus U.N. Buffer Zone", loadMultiPolygon(t, "Cyprus_ne10m.geojson", "Cyprus U.N. Buffer Zone"), 60000, 20000},
		{"Black Sea", loadMultiPolygon(t, "BlackSea_water_ne10m.geojson", ""), 30000, 20000},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := mustEngine(t, &truce.Agreement{Zones: []truce.Zone{{ID: "z", Area: c.area}}})
			pts := append(nearBoundary(r, c.area, c.nearN), spread(r, c.area, 0.2, c.spreadN)...)
			loadPoints(t, conn, pts)
			start := time.Now()
			rows, err := conn.Query(context.Background(), `
				WITH z AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g)
				SELECT id, ST_Covers(z.g, ST_SetSRID(ST_MakePoint(lon, lat), 4326)) FROM pts, z ORDER BY id`,
				geoJSONText(t, c.area))
			if err != nil {
				t.Fatal(err)
			}
			want := make([]bool, len(pts))
			for rows.Next() {
				var id int32
				var in bool
				if err := rows.Scan(&id, &in); err != nil {
					t.Fatal(err)
				}
				want[id] = in
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			pgTime := time.Since(start)
			loc := e.NewLocation()
			start = time.Now()
			got := make([]bool, len(pts))
			for i, p := range pts {
				e.Locate(p[1], p[0], 0, loc)
				got[i] = loc.Zones[0] == Inside
			}
			ourTime := time.Since(start)
			inside, near1m, bad := 0, 0, 0
			maxDisagreeM := 0.0
			z := &e.zones[0]
			for i, p := range pts {
				if want[i] {
					inside++
				}
				if got[i] == want[i] {
					continue
				}
				pp := pointOf(lonLat{p[0], p[1]})
				d := z.boundary.exactDistanceM(pp, p[1], p[0], nearestTheta(&z.boundary, pp))
				maxDisagreeM = math.Max(maxDisagreeM, d)
				if d <= 1 {
					near1m++
					continue
				}
				bad++
				if bad <= 10 {
					t.Errorf("point %d [%.9f, %.9f], %.3f m from the boundary: PostGIS covers=%v, engine inside=%v", i, p[0], p[1], d, want[i], got[i])
				}
			}
			t.Logf("%d points (%d inside): %d disagreements within 1 m of the boundary (farthest %.4f m), %d beyond; PostGIS %v, engine %v",
				len(pts), inside, near1m, maxDisagreeM, bad, pgTime.Round(time.Millisecond), ourTime.Round(time.Millisecond))
		})
	}
}

// wgs84NOverMMax is the largest ratio of the prime-vertical to the meridional radius, at the
// equator: 1/(1-e²).
const wgs84NOverMMax = 1 / (1 - wgs84E2)

// bruteDistanceM minimises the geodesic distance from the point to the lon/lat-straight
// polyline by sampling every edge finely and refining the best sample by golden-section
// search. It is slow and independent of the engine's pieces and index.
func bruteDistanceM(path []lonLat, lat, lon float64) float64 {
	best := math.Inf(1)
	at := func(a, b lonLat, t float64) float64 {
		return geodesicM(lat, lon, a.lat+t*(b.lat-a.lat), a.lon+t*(b.lon-a.lon))
	}
	for i := 0; i+1 < len(path); i++ {
		a, b := path[i], path[i+1]
		// Skip edges that are clearly far: the nearer end is more than the edge's length
		// beyond the best so far.
		span := geodesicM(a.lat, a.lon, b.lat, b.lon)
		if math.Min(at(a, b, 0), at(a, b, 1))-span > best {
			continue
		}
		const n = 400
		bt, bd := 0.0, math.Inf(1)
		for k := 0; k <= n; k++ {
			if d := at(a, b, float64(k)/n); d < bd {
				bt, bd = float64(k)/n, d
			}
		}
		lo, hi := math.Max(0, bt-1.0/n), math.Min(1, bt+1.0/n)
		for it := 0; it < 60; it++ {
			m1, m2 := lo+(hi-lo)*0.382, hi-(hi-lo)*0.382
			if at(a, b, m1) < at(a, b, m2) {
				hi = m2
			} else {
				lo = m1
			}
		}
		best = math.Min(best, math.Min(bd, at(a, b, (lo+hi)/2)))
	}
	return best
}

func nearestTheta(s *segIndex, p pointType) float64 {
	_, ca := s.nearest(p, infChord)
	return ca.Angle().Radians()
}

// TestLineDistanceAgreesWithPostGIS compares the distance to the Odesa–Istanbul sea route and
// to a drawn line of contact with PostGIS's ST_Distance on geography with use_spheroid, and
// band decisions with ST_DWithin. PostGIS's geography edges are great circles, so the line is
// first segmentized as geometry to 0.001° (about 100 m): great-circle arcs that short stray
// from the lon/lat-straight edge by under a millimetre.
//
// PostGIS is not exact here, and the test says how: it finds the nearest point of the line on
// a sphere on which geodetic latitude is spherical latitude, whose metric is stretched
// east-west by N/M (0.3% at 45°N), and only then measures to that point on the spheroid. On a
// smooth stretch of line that costs millimetres, but where two parts of a line are nearly
// equally far (bends, the Bosporus end of the route) it can pick the wrong part and be
// metres long. So the test requires: the engine is never longer than PostGIS + 1 m (PostGIS
// measured to a real point of the line), never shorter than PostGIS·M/N - 1 m, and wherever
// it is shorter by more than 1 m, it agrees with a brute-force minimisation of Karney's
// distance along the lon/lat-straight edges, independent of the engine's index, within the
// accuracy DistanceM promises (estimateErrM: 8 cm near the line).
func TestLineDistanceAgreesWithPostGIS(t *testing.T) {
	conn := postgisConn(t)
	r := rand.New(rand.NewPCG(4, 2026))
	bandsKm := []float64{5, 20, 50}
	for _, c := range []struct {
		name string
		path orb.LineString
	}{
		{"route Odesa-Istanbul", loadLineString(t, "route_Odesa_Istanbul_searoute.geojson")},
		{"line of contact", contactLine()},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := &truce.Agreement{Lines: []truce.Line{{ID: "l", Path: c.path}}}
			for _, km := range bandsKm {
				a.Zones = append(a.Zones, truce.Zone{ID: fmt.Sprint(km), Band: &truce.Band{Line: "l", Km: km, Side: truce.SideBoth}})
			}
			// A rule that measures out to 250 km makes every test point's distance one the
			// agreement depends on, so the engine reports it from the full line.
			a.Rules = []truce.Rule{{ID: "far", Line: &truce.LineCondition{Line: "l", WithinKm: 250}}}
			e := mustEngine(t, a)
			l := &e.lines[0]
			pts := make([][2]float64, 0, 40000)
			for len(pts) < cap(pts) {
				// From a random point of a random piece (so along the whole line, evenly).
				i := r.IntN(len(l.segs.la))
				u, v, f := l.segs.la[i], l.segs.lb[i], r.Float64()
				lat, lon := u.lat+f*(v.lat-u.lat), u.lon+f*(v.lon-u.lon)
				var s float64
				switch k := r.IntN(10); {
				case k < 3: // near the line
					s = r.Float64() * 300
				case k < 6: // near a band's edge
					s = bandsKm[r.IntN(len(bandsKm))]*1000 + (r.Float64()-0.5)*200
				default: // anywhere out to 200 km
					s = math.Exp(r.Float64() * math.Log(200e3))
				}
				lat, lon = offset(lat, lon, r.Float64()*360-180, s)
				pts = append(pts, [2]float64{lon, lat})
			}
			loadPoints(t, conn, pts)
			start := time.Now()
			rows, err := conn.Query(context.Background(), `
				WITH l AS (SELECT ST_Segmentize(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), 0.001)::geography AS g)
				SELECT id, ST_Distance(l.g, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, true),
					ST_DWithin(l.g, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, 5000, true),
					ST_DWithin(l.g, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, 20000, true),
					ST_DWithin(l.g, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, 50000, true)
				FROM pts, l ORDER BY id`, geoJSONText(t, c.path))
			if err != nil {
				t.Fatal(err)
			}
			wantD := make([]float64, len(pts))
			wantIn := make([][3]bool, len(pts))
			for rows.Next() {
				var id int32
				var d float64
				var w [3]bool
				if err := rows.Scan(&id, &d, &w[0], &w[1], &w[2]); err != nil {
					t.Fatal(err)
				}
				wantD[id], wantIn[id] = d, w
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			pgTime := time.Since(start)
			loc := e.NewLocation()
			path := cleanPath(c.path, false)
			maxDiff, maxBrute := 0.0, 0.0
			agree1m, pgLonger, badD, bandDisagree, bandNear := 0, 0, 0, 0, 0
			for i, p := range pts {
				e.Locate(p[1], p[0], 0, loc)
				got := loc.Lines[0].DistanceM
				diff := got - wantD[i]
				maxDiff = math.Max(maxDiff, math.Abs(diff))
				switch {
				case math.Abs(diff) <= 1:
					agree1m++
				case diff > 1 || got < wantD[i]/(wgs84NOverMMax)-1:
					// PostGIS measures to a point of the line, so the shortest distance cannot
					// be longer; and it cannot be shorter than PostGIS's sphere allows.
					badD++
					t.Errorf("point %d [%.9f, %.9f]: engine %.3f m, PostGIS %.3f m", i, p[0], p[1], got, wantD[i])
				default:
					// PostGIS is longer by more than 1 m: it picked the nearest point on its
					// stretched sphere. An independent minimisation must then agree with
					// the engine.
					pgLonger++
					brute := bruteDistanceM(path, p[1], p[0])
					maxBrute = math.Max(maxBrute, math.Abs(brute-got))
					if math.Abs(brute-got) > estimateErrM(got) {
						badD++
						t.Errorf("point %d [%.9f, %.9f]: engine %.3f m, PostGIS %.3f m, brute-force minimum %.3f m", i, p[0], p[1], got, wantD[i], brute)
					}
				}
				for b, km := range bandsKm {
					in := loc.Zones[b] == Inside
					if in == wantIn[i][b] {
						continue
					}
					bandDisagree++
					// A disagreement is allowed only where the exact distance is within
					// 1 m of the band's edge.
					exact := e.exactLineM(0, pointOf(lonLat{p[0], p[1]}), loc)
					if math.Abs(exact-km*1000) <= 1 {
						bandNear++
						continue
					}
					t.Errorf("point %d [%.9f, %.9f], exactly %.3f m from the line: %g km band inside=%v, PostGIS ST_DWithin=%v",
						i, p[0], p[1], exact, km, in, wantIn[i][b])
				}
			}
			t.Logf("%d distances compared: %d within 1 m of PostGIS; %d where PostGIS is longer by more than 1 m (largest difference %.3f m), where a brute-force minimisation agrees with the engine to %.4f m; %d bad. %d band decisions compared, %d disagreements, %d of them within 1 m of the band's edge. PostGIS took %v",
				len(pts), agree1m, pgLonger, maxDiff, maxBrute, badD, len(pts)*len(bandsKm), bandDisagree, bandNear, pgTime.Round(time.Millisecond))
		})
	}
}

// BenchmarkPostGISContains measures PostGIS's ST_Covers on the same real polygons and points
// as BenchmarkContains, for a speed ratio measured in the same run. The time is PostGIS's own
// execution time from EXPLAIN ANALYZE, divided by the number of points, so it leaves out the
// client, the network and the planner; PostGIS caches the prepared polygon across rows, which
// is its fastest path. Reported as ns/point; ns/op is the whole query.
func BenchmarkPostGISContains(b *testing.B) {
	url := os.Getenv("TRUCE_TEST_POSTGRES")
	if url == "" {
		if os.Getenv("CI") != "" {
			b.Fatal("CI is set but TRUCE_TEST_POSTGRES is not")
		}
		b.Skip("TRUCE_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, c := range containsCases(b) {
		e := mustEngine(b, &truce.Agreement{Zones: []truce.Zone{{ID: c.name, Area: c.area}}})
		z := &e.zones[0]
		pts := benchPoints(4096, z.minLon, z.minLat, z.maxLon, z.maxLat)
		rows := make([][]any, len(pts))
		for i, p := range pts {
			rows[i] = []any{int32(i), p[1], p[0]}
		}
		if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS bpts; CREATE TEMP TABLE bpts (id int PRIMARY KEY, lon float8, lat float8)"); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"bpts"}, []string{"id", "lon", "lat"}, pgx.CopyFromRows(rows)); err != nil {
			b.Fatal(err)
		}
		gj, err := json.Marshal(geojson.NewGeometry(c.area))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			total := 0.0
			for i := 0; i < b.N; i++ {
				var plan []map[string]any
				err := conn.QueryRow(ctx, `EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON)
					WITH z AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g)
					SELECT count(*) FROM bpts, z WHERE ST_Covers(z.g, ST_SetSRID(ST_MakePoint(lon, lat), 4326))`,
					string(gj)).Scan(&plan)
				if err != nil {
					b.Fatal(err)
				}
				ms, _ := plan[0]["Execution Time"].(float64)
				total += ms
			}
			b.ReportMetric(total*1e6/float64(b.N)/float64(len(pts)), "ns/point")
		})
	}
}
