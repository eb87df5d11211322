package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"time"
)

//go:embed templates/*.html
var templateFiles embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"change": func(n int) string {
		switch {
		case n > 0:
			return fmt.Sprintf("+%d", n)
		case n < 0:
			return fmt.Sprintf("−%d", -n)
		}
		return "±0"
	},
	"coord": func(lat, lon float64) string { return fmt.Sprintf("%.4f, %.4f", lat, lon) },
	"utc":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") },
	"localtime": func(t time.Time, zone string) string {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = time.UTC
		}
		return t.In(loc).Format("2 January 2006 15:04 MST")
	},
	"minutes": func(m float64) string {
		if m <= 0 {
			return "not reported"
		}
		if m >= 60 {
			return fmt.Sprintf("%d h %02d min", int(m)/60, int(m)%60)
		}
		return fmt.Sprintf("%.0f min", m)
	},
	"inc": func(i int) int { return i + 1 },
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"deref": func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	},
}).ParseFS(templateFiles, "templates/*.html"))

// dailyPage is what the daily template is given: the report and its map.
type dailyPage struct {
	*Daily
	Map template.HTML
	// Parties are the names of the parties in the order of the map's colours.
	Parties []string
}

// RenderDaily writes the daily report as one self-contained HTML page: styles and the map are
// inline, and the page loads nothing from anywhere.
func (g *Generator) RenderDaily(w io.Writer, d *Daily) error {
	markers := make([]Marker, 0, len(d.Annex)+len(d.Movement)+len(d.Damage))
	for _, e := range d.Annex {
		markers = append(markers, Marker{Lat: e.Lat, Lon: e.Lon, Class: "finding-dot", Party: e.Party, ID: e.Finding,
			Title: fmt.Sprintf("%s %s — %s, %s", e.Local, e.Kind, e.Article, e.PartyName)})
	}
	for _, r := range d.Movement {
		markers = append(markers, Marker{Lat: r.Lat, Lon: r.Lon, Class: "restriction", ID: r.Observation,
			Title: fmt.Sprintf("%s restriction of movement by %s", r.Local, r.By)})
	}
	for _, e := range d.Damage {
		markers = append(markers, Marker{Lat: e.Lat, Lon: e.Lon, Class: "damage", ID: e.Observation,
			Title: fmt.Sprintf("%s damage to the mission's %s", e.Local, e.Asset)})
	}
	svg := g.m.SVG(markers, g.a.Parties)
	var b bytes.Buffer
	// The SVG is built by this package with every string escaped.
	if err := templates.ExecuteTemplate(&b, "daily.html", dailyPage{Daily: d, Map: template.HTML(svg), Parties: g.partyNames()}); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// DailyHTML is RenderDaily into a byte slice.
func (g *Generator) DailyHTML(d *Daily) ([]byte, error) {
	var b bytes.Buffer
	err := g.RenderDaily(&b, d)
	return b.Bytes(), err
}

// partyNames lists the parties' names in the agreement's order (the order of the map's
// colours), with at least two entries.
func (g *Generator) partyNames() []string {
	names := []string{"", ""}
	for i, p := range g.a.Parties {
		if i < len(names) {
			names[i] = p.Name
		} else {
			names = append(names, p.Name)
		}
	}
	return names
}
