package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/truce-project/truce/internal/browsertest"
)

// TestDemoPageShowsLiveFindings starts `truce serve --demo`, opens the page it prints in
// headless chromium, waits for findings to arrive through the live feed and to be drawn on the
// map, and saves a screenshot.
func TestDemoPageShowsLiveFindings(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and a browser")
	}
	ctx := browsertest.Start(t, 1400, 900)
	server := startServer(t, "--demo", "--demo-speed", "2000")
	var pageURL string
	select {
	case line := <-server.stdout:
		if !strings.HasPrefix(line, "truce demo: open ") {
			t.Fatalf("the demo printed %q first", line)
		}
		pageURL = strings.TrimPrefix(line, "truce demo: open ")
	case <-time.After(30 * time.Second):
		t.Fatal("the demo printed no URL")
	}
	if !strings.Contains(pageURL, "#token=truce_") {
		t.Fatalf("the demo URL %q carries no token", pageURL)
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(pageURL),
		chromedp.WaitVisible(`#map-holder svg`),
		// Rows that arrive through the event stream are marked fresh.
		chromedp.WaitVisible(`#findings tbody tr.fresh`),
		chromedp.Sleep(2*time.Second),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	title := browsertest.Run(t, ctx, chromedp.Text(`#agreement-title`))
	status := browsertest.Run(t, ctx, chromedp.Text(`#status`))
	zones := browsertest.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#map .zone').length`))
	live := browsertest.Run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#map circle.finding-dot').length`))
	png := browsertest.Run(t, ctx, chromedp.FullScreenshot(100))
	path := filepath.Join(browsertest.ScreenshotDir(t), "demo-live.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
	if !strings.Contains(title, "Notional") {
		t.Errorf("agreement title %q", title)
	}
	if status != "live" {
		t.Errorf("status %q, want live", status)
	}
	if zones < 9 {
		t.Errorf("%d zones drawn, want the agreement's 9", zones)
	}
	if live == 0 {
		t.Error("no finding drawn on the map")
	}
	server.stop(t)
}
