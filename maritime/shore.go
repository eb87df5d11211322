package maritime

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// earthRadiusM is the mean radius of the Earth (IUGG), the radius of the sphere on which
// the detectors measure. The thresholds they compare with (50 nm from shore, 500 m between
// two ships) are rules of thumb; the sphere's error against the ellipsoid, under 0.5%, is
// far below their own uncertainty.
const earthRadiusM = 6371008.8

// Shore is an index of coastlines for the distance from a point at sea to the nearest shore.
// The coast is held as S2 polylines in an S2 ShapeIndex, whose cells let a closest-edge
// query look at the few edges near the point instead of all of them. Edges are great-circle
// arcs between the given vertices; a coastline at 1:10m scale has vertices a few hundred
// metres apart, where an arc and the lon/lat-straight edge GeoJSON means differ by
// millimetres, so nothing is densified.
//
// A Shore is immutable once built and safe for concurrent use; each goroutine that
// measures takes its own ShoreQuery.
type Shore struct {
	index    *s2.ShapeIndex
	vertices int
}

// NewShore indexes coastlines given as lines of [lon, lat] points.
func NewShore(lines orb.MultiLineString) (*Shore, error) {
	s := &Shore{index: s2.NewShapeIndex()}
	for i, l := range lines {
		pts := make([]s2.Point, 0, len(l))
		for j, p := range l {
			if !(p[1] >= -90 && p[1] <= 90 && p[0] >= -180 && p[0] <= 180) {
				return nil, fmt.Errorf("shore line %d point %d: [%v, %v] is not a longitude and latitude", i, j, p[0], p[1])
			}
			q := s2.PointFromLatLng(s2.LatLngFromDegrees(p[1], p[0]))
			if n := len(pts); n > 0 && pts[n-1] == q {
				continue
			}
			pts = append(pts, q)
		}
		switch len(pts) {
		case 0:
			continue
		case 1:
			// A single point is a shore too (a rock); a degenerate edge stands for it.
			pts = append(pts, pts[0])
		}
		pl := s2.Polyline(pts)
		s.index.Add(&pl)
		s.vertices += len(pts)
	}
	if s.vertices == 0 {
		return nil, fmt.Errorf("shore: no coastline points")
	}
	s.index.Build()
	return s, nil
}

// ReadShoreGeoJSON reads coastlines from GeoJSON: a geometry, a Feature or a
// FeatureCollection of LineStrings and MultiLineStrings (polygons count by their rings).
func ReadShoreGeoJSON(data []byte) (*Shore, error) {
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("shore GeoJSON: %w", err)
	}
	var geoms []orb.Geometry
	switch probe.Type {
	case "FeatureCollection":
		fc, err := geojson.UnmarshalFeatureCollection(data)
		if err != nil {
			return nil, fmt.Errorf("shore GeoJSON: %w", err)
		}
		for _, f := range fc.Features {
			geoms = append(geoms, f.Geometry)
		}
	case "Feature":
		f, err := geojson.UnmarshalFeature(data)
		if err != nil {
			return nil, fmt.Errorf("shore GeoJSON: %w", err)
		}
		geoms = append(geoms, f.Geometry)
	default:
		g, err := geojson.UnmarshalGeometry(data)
		if err != nil {
			return nil, fmt.Errorf("shore GeoJSON: %w", err)
		}
		geoms = append(geoms, g.Geometry())
	}
	var lines orb.MultiLineString
	for i, g := range geoms {
		switch g := g.(type) {
		case orb.LineString:
			lines = append(lines, g)
		case orb.MultiLineString:
			lines = append(lines, g...)
		case orb.Ring:
			lines = append(lines, orb.LineString(g))
		case orb.Polygon:
			for _, r := range g {
				lines = append(lines, orb.LineString(r))
			}
		case orb.MultiPolygon:
			for _, p := range g {
				for _, r := range p {
					lines = append(lines, orb.LineString(r))
				}
			}
		case nil:
			return nil, fmt.Errorf("shore GeoJSON: feature %d: no geometry", i)
		default:
			return nil, fmt.Errorf("shore GeoJSON: feature %d: a %s is not a coastline", i, g.GeoJSONType())
		}
	}
	return NewShore(lines)
}

// Vertices returns how many coastline vertices the index holds.
func (s *Shore) Vertices() int { return s.vertices }

// ShoreQuery measures distances to a Shore. It keeps the query's working memory between
// calls, so it is not safe for concurrent use.
type ShoreQuery struct {
	q     *s2.EdgeQuery
	cache map[int64]float64 // cell → distance of its centre, for BeyondM
}

// NewQuery returns a query of s.
func (s *Shore) NewQuery() *ShoreQuery {
	opts := s2.NewClosestEdgeQueryOptions().MaxResults(1).MaxError(s1.ChordAngleFromAngle(s1.Angle(100 / earthRadiusM)))
	return &ShoreQuery{q: s2.NewClosestEdgeQuery(s.index, opts)}
}

// DistanceM returns the distance in metres from the point (degrees) to the nearest shore.
func (q *ShoreQuery) DistanceM(lat, lon float64) float64 {
	p := s2.PointFromLatLng(s2.LatLngFromDegrees(lat, lon))
	ca := q.q.Distance(s2.NewMinDistanceToPointTarget(p))
	if ca == s1.InfChordAngle() {
		return math.Inf(1)
	}
	return ca.Angle().Radians() * earthRadiusM
}

// distanceM returns the great-circle distance in metres between two points (degrees), by
// the haversine formula, which keeps its precision at the short distances (metres) that
// encounters and jumps measure.
func distanceM(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	sdlat := math.Sin((lat2 - lat1) * rad / 2)
	sdlon := math.Sin((lon2 - lon1) * rad / 2)
	h := sdlat*sdlat + math.Cos(lat1*rad)*math.Cos(lat2*rad)*sdlon*sdlon
	return 2 * earthRadiusM * math.Asin(math.Sqrt(math.Min(1, h)))
}

// BeyondM reports whether the point (degrees) is more than m metres from every shore.
//
// The distance from shore changes by at most the distance moved (it is 1-Lipschitz), so
// the distance D at the centre of a small cell settles the question for every point of the
// cell whose threshold is not within the cell's radius r of D: a point of the cell is
// beyond m when D - r > m and within it when D + r <= m. The centre distances of the cells
// visited are remembered (up to shoreCacheCells of them), so a vessel's stream of positions
// costs one exact query per cell it enters, and an exact query only for the rare point
// whose cell straddles the threshold.
func (q *ShoreQuery) BeyondM(lat, lon, m float64) bool {
	a, b := math.Floor(lat/shoreCellDeg), math.Floor(lon/shoreCellDeg)
	key := int64(a)<<32 | int64(uint32(int32(b)))
	d, ok := q.cache[key]
	if !ok {
		if q.cache == nil || len(q.cache) >= shoreCacheCells {
			q.cache = make(map[int64]float64, 1024)
		}
		d = q.DistanceM((a+0.5)*shoreCellDeg, (b+0.5)*shoreCellDeg)
		q.cache[key] = d
	}
	r := shoreCellRadiusM(a)
	switch {
	case d-r > m:
		return true
	case d+r <= m:
		return false
	}
	return q.DistanceM(lat, lon) > m
}

// shoreCellDeg is the size of the cells whose centre distances BeyondM remembers: about
// 2.2 km by 1.6 km at 45° of latitude, a radius of 1.4 km, small against the thresholds
// (20 and 50 nm) and large enough that a ship crosses a cell in several reports.
const (
	shoreCellDeg    = 0.02
	shoreCacheCells = 1 << 17
)

// shoreCellRadiusM bounds the distance from the centre of a cell in row a to any point of
// it: half the diagonal, with the east-west side taken at the row's edge nearer the equator.
func shoreCellRadiusM(a float64) float64 {
	lat := math.Min(math.Abs(a*shoreCellDeg), math.Abs((a+1)*shoreCellDeg))
	if a < 0 && a+1 > 0 {
		lat = 0
	}
	side := shoreCellDeg * math.Pi / 180 * earthRadiusM
	ew := side * math.Cos(lat*math.Pi/180)
	return 0.5*math.Hypot(side, ew) + 1
}
