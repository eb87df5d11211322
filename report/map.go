package report

import (
	"bytes"
	"fmt"
	"html"
	"math"

	"github.com/paulmach/orb"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/rules"
)

// The map is drawn once per agreement in an equirectangular projection scaled by the cosine of
// the middle latitude, which keeps shapes recognisable at the scale of a theatre. Markers are
// placed with the same projection, which the SVG states in its data-projection attribute
// (x = (lon - lon0) * kx, y = (lat0 - lat) * ky), so that a page can add its own.
const mapWidth = 1000.0

// zoneStyle gives SVG presentation attributes per zone kind. Attributes, not a style
// attribute: the live page's Content-Security-Policy forbids inline styles.
var zoneStyle = map[string]string{
	truce.ZoneDemilitarized: `fill="#f4a261" fill-opacity=".5" stroke="#e76f51"`,
	truce.ZoneWithdrawal:    `fill="#e9c46a" fill-opacity=".1" stroke="#c9a227" stroke-dasharray="4 3"`,
	truce.ZoneProtected:     `fill="#2a9d8f" fill-opacity=".3" stroke="#1d6f65"`,
	truce.ZoneDisengagement: `fill="#9b5de5" fill-opacity=".45" stroke="#6a3fb0"`,
	truce.ZoneCorridor:      `fill="#4895ef" fill-opacity=".35" stroke="#2f6fc0"`,
	truce.ZoneStandoff:      `fill="#4895ef" fill-opacity=".12" stroke="#2f6fc0" stroke-dasharray="4 3"`,
	truce.ZoneExclusion:     `fill="#d62828" fill-opacity=".25" stroke="#a11d1d"`,
	truce.ZoneTerritory:     `fill="#adb5bd" fill-opacity=".18" stroke="#6c757d"`,
	truce.ZoneAnchorage:     `fill="#90e0ef" fill-opacity=".3" stroke="#0077b6"`,
}

// Map is an agreement's zones and lines drawn as SVG, ready to carry markers.
type Map struct {
	lon0, lat0, kx, ky float64
	height             float64
	title              string
	layers             []byte // the zones and lines groups
}

// Marker is a point drawn on the map: a finding, a restriction of movement.
type Marker struct {
	Lat, Lon float64
	// Class is the SVG class of the circle ("finding-dot", "restriction"); Party, when set,
	// becomes its data-party attribute and picks its colour.
	Class string
	Party string
	// Title is the tooltip, ID the data-id attribute.
	Title, ID string
}

// NewMap draws the agreement the judge was compiled from.
func NewMap(j *rules.Judge) *Map {
	a, eng := j.Agreement(), j.Engine()
	outlines := make([]orb.MultiPolygon, len(a.Zones))
	var bound orb.Bound
	first := true
	extend := func(b orb.Bound) {
		if first {
			bound, first = b, false
		} else {
			bound = bound.Union(b)
		}
	}
	for i := range a.Zones {
		outlines[i] = eng.ZoneOutline(i)
		if len(outlines[i]) > 0 {
			extend(outlines[i].Bound())
		}
	}
	for _, l := range a.Lines {
		extend(l.Path.Bound())
	}
	if first {
		bound = orb.Bound{Min: orb.Point{-1, -1}, Max: orb.Point{1, 1}}
	}
	bound = bound.Pad(0.05 * math.Max(bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1]))
	m := &Map{lat0: bound.Max[1], lon0: bound.Min[0], title: a.Title}
	m.kx = mapWidth / (bound.Max[0] - bound.Min[0])
	m.ky = m.kx / math.Cos((bound.Min[1]+bound.Max[1])/2*math.Pi/180)
	m.height = (bound.Max[1] - bound.Min[1]) * m.ky
	project := func(p orb.Point) (float64, float64) { return m.Project(p[1], p[0]) }

	var b bytes.Buffer
	b.WriteString("\n<g id=\"zones\">\n")
	// Wide zones first, so narrower ones stay visible on top.
	order := make([]int, 0, len(a.Zones))
	for pass := 0; pass < 2; pass++ {
		for i, z := range a.Zones {
			wide := z.Kind == truce.ZoneWithdrawal || z.Kind == truce.ZoneTerritory || z.Kind == truce.ZoneStandoff
			if (pass == 0) == wide {
				order = append(order, i)
			}
		}
	}
	for _, i := range order {
		z := &a.Zones[i]
		fmt.Fprintf(&b, `<path class="zone %s" data-zone="%s" %s stroke-width="1" fill-rule="evenodd" d="`, z.Kind, html.EscapeString(z.ID), zoneStyle[z.Kind])
		for _, poly := range outlines[i] {
			for _, ring := range poly {
				for k, p := range ring {
					x, y := project(p)
					if k == 0 {
						fmt.Fprintf(&b, "M%.1f %.1f", x, y)
					} else {
						fmt.Fprintf(&b, "L%.1f %.1f", x, y)
					}
				}
				b.WriteString("Z")
			}
		}
		fmt.Fprintf(&b, `"><title>%s (%s)</title></path>`+"\n", html.EscapeString(z.Name), z.Kind)
	}
	b.WriteString("</g>\n<g id=\"lines\">\n")
	for _, l := range a.Lines {
		b.WriteString(`<polyline class="line" fill="none" stroke="#222" stroke-width="2" points="`)
		for k, p := range l.Path {
			x, y := project(p)
			if k > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%.1f,%.1f", x, y)
		}
		fmt.Fprintf(&b, `"><title>%s</title></polyline>`+"\n", html.EscapeString(l.Name))
	}
	b.WriteString("</g>\n")
	m.layers = b.Bytes()
	return m
}

// Project returns the map coordinates of a point.
func (m *Map) Project(lat, lon float64) (x, y float64) {
	return (lon - m.lon0) * m.kx, (m.lat0 - lat) * m.ky
}

// partyColours colour markers by the party held responsible, in the agreement's order of
// parties; markers of no party or an undetermined one are grey.
var partyColours = []string{"#1d4ed8", "#c2410c", "#15803d", "#7e22ce"}

// SVG returns the map as one <svg> element (id "map") with the markers in its "findings"
// group. parties orders the parties for their colours.
func (m *Map) SVG(markers []Marker, parties []truce.Party) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" id="map" viewBox="0 0 %.0f %.0f" data-projection="%g %g %g %g" role="img" aria-label="%s">`,
		mapWidth, m.height, m.lon0, m.lat0, m.kx, m.ky, html.EscapeString(m.title))
	b.Write(m.layers)
	b.WriteString("<g id=\"findings\">")
	for _, mk := range markers {
		colour := "#6b7280"
		for i, p := range parties {
			if p.ID == mk.Party {
				colour = partyColours[i%len(partyColours)]
			}
		}
		x, y := m.Project(mk.Lat, mk.Lon)
		fmt.Fprintf(&b, "\n"+`<circle class="%s" cx="%.1f" cy="%.1f" r="5" fill="%s" fill-opacity=".85" stroke="#fff" stroke-width="1"`,
			html.EscapeString(mk.Class), x, y, colour)
		if mk.ID != "" {
			fmt.Fprintf(&b, ` data-id="%s"`, html.EscapeString(mk.ID))
		}
		if mk.Party != "" {
			fmt.Fprintf(&b, ` data-party="%s"`, html.EscapeString(mk.Party))
		}
		fmt.Fprintf(&b, "><title>%s</title></circle>", html.EscapeString(mk.Title))
	}
	b.WriteString("</g>\n</svg>\n")
	return b.Bytes()
}
