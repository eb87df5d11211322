package server

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
// the middle latitude, which keeps shapes recognisable at the scale of a theatre. The page
// places live findings on it with the same projection, which the SVG states in its
// data-projection attribute: x = (lon - lon0) * kx, y = (lat0 - lat) * ky.
const mapWidth = 1000.0

// zoneStyle gives SVG presentation attributes per zone kind. Attributes, not a style
// attribute: the page's Content-Security-Policy forbids inline styles.
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

func renderMap(j *rules.Judge) []byte {
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
	lat0, lon0 := bound.Max[1], bound.Min[0]
	kx := mapWidth / (bound.Max[0] - bound.Min[0])
	ky := kx / math.Cos((bound.Min[1]+bound.Max[1])/2*math.Pi/180)
	height := (bound.Max[1] - bound.Min[1]) * ky
	project := func(p orb.Point) (float64, float64) { return (p[0] - lon0) * kx, (lat0 - p[1]) * ky }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" id="map" viewBox="0 0 %.0f %.0f" data-projection="%g %g %g %g" role="img" aria-label="%s">`,
		mapWidth, height, lon0, lat0, kx, ky, html.EscapeString(a.Title))
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
		style := zoneStyle[z.Kind]
		fmt.Fprintf(&b, `<path class="zone %s" data-zone="%s" %s stroke-width="1" fill-rule="evenodd" d="`, z.Kind, html.EscapeString(z.ID), style)
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
	b.WriteString("</g>\n<g id=\"findings\"></g>\n</svg>\n")
	return b.Bytes()
}
