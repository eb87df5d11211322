package report_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/truce-project/truce/internal/browsertest"
	"github.com/truce-project/truce/report"
	"github.com/truce-project/truce/sim"
)

// TestDailyReportRendersInChromium renders the daily report of a simulated day in headless
// chromium, served as the API serves it (its own Content-Security-Policy, nothing to fetch),
// checks that the map and every table are there with as many rows as the JSON has entries,
// and saves a screenshot and the page printed to PDF.
func TestDailyReportRendersInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a simulated day and starts a browser")
	}
	j := notionalEast(t)
	db := openStore(t)
	p := playSim(t, j, db, sim.Config{Start: time.Date(2026, 4, 29, 12, 0, 0, 0, time.UTC), Hours: 60, Seed: 3, Rate: 0.3})
	reviewDay(t, db, p)
	g, err := report.New(j, db, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Daily(context.Background(), "2026-05-01")
	if err != nil {
		t.Fatal(err)
	}
	html, err := g.DailyHTML(d)
	if err != nil {
		t.Fatal(err)
	}
	requests := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if r.URL.Path != "/report.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
		w.Write(html)
	}))
	defer ts.Close()

	ctx := browsertest.Start(t, 1280, 1000)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/report.html"), chromedp.WaitReady(`#annex-table`)); err != nil {
		t.Fatalf("browser: %v", err)
	}
	zones := browsertest.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#map .zone').length`))
	dots := browsertest.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#map circle.finding-dot').length`))
	annex := browsertest.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#annex-table tbody tr').length`))
	movement := browsertest.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#movement-table tbody tr').length`))
	damage := browsertest.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#damage-table tbody tr').length`))
	areas := browsertest.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#areas-table tbody tr').length`))
	comparisons := browsertest.Run(t, ctx, chromedp.Evaluate[int](`['by-type','by-party','by-zone','by-article'].filter(id => document.getElementById(id)).length`))
	mapWidth := browsertest.Run(t, ctx, chromedp.Evaluate[float64](`document.querySelector('svg#map').getBoundingClientRect().width`))
	// A rendered circle has a box inside the map's: the markers were placed, not just written.
	inside := browsertest.Run(t, ctx, chromedp.Evaluate[int](`(() => {
		const m = document.querySelector('svg#map').getBoundingClientRect();
		return [...document.querySelectorAll('#map circle.finding-dot')].filter(c => {
			const r = c.getBoundingClientRect();
			return r.width > 0 && r.left >= m.left && r.right <= m.right && r.top >= m.top && r.bottom <= m.bottom;
		}).length;
	})()`))

	png := browsertest.Run(t, ctx, chromedp.FullScreenshot(100))
	pdf := browsertest.Run(t, ctx, chromedp.Action[[]byte](func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		background := true
		res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PrintBackground: &background, PreferCSSPageSize: &background})
		return res.Data, err
	}))
	dir := browsertest.ScreenshotDir(t)
	for name, data := range map[string][]byte{"daily-report.png": png, "daily-report.pdf": pdf, "daily-report.html": html} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s (%d bytes)", path, len(data))
	}

	if zones != len(j.Agreement().Zones) {
		t.Errorf("%d zones drawn, want the agreement's %d", zones, len(j.Agreement().Zones))
	}
	if dots != len(d.Annex) || inside != dots {
		t.Errorf("%d finding markers, %d of them drawn inside the map; the annex has %d entries", dots, inside, len(d.Annex))
	}
	if annex != len(d.Annex) || movement != len(d.Movement) || damage != len(d.Damage) || areas != len(d.Areas) {
		t.Errorf("table rows: annex %d/%d, movement %d/%d, damage %d/%d, areas %d/%d (page/JSON)",
			annex, len(d.Annex), movement, len(d.Movement), damage, len(d.Damage), areas, len(d.Areas))
	}
	if comparisons != 4 || mapWidth < 500 {
		t.Errorf("%d comparison tables, map %.0f px wide", comparisons, mapWidth)
	}
	if len(d.Annex) == 0 || len(d.Movement) == 0 || len(d.Damage) == 0 {
		t.Errorf("the simulated day gives an empty section: %d violations, %d restrictions, %d damage", len(d.Annex), len(d.Movement), len(d.Damage))
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 20_000 {
		t.Errorf("the screenshot is %d bytes", len(png))
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || bytes.Count(pdf, []byte("/Type /Page\n"))+bytes.Count(pdf, []byte("/Type /Page\r"))+bytes.Count(pdf, []byte("/Type /Page>"))+bytes.Count(pdf, []byte("/Type /Page ")) < 2 {
		t.Errorf("the PDF (%d bytes) is not a PDF of several pages", len(pdf))
	}
	if requests != 1 {
		t.Errorf("the page made %d requests; a self-contained report makes none beyond itself", requests-1)
	}
}
