package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds Debian's chromium, skipping the test when it is absent unless CI is set.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install chromium); CI must run the browser tests")
	}
	t.Skip("chromium is not installed (apt-get install chromium): skipping the browser test")
	return ""
}

// browser starts headless chromium for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1400, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// screenshotDir is where browser tests save what they saw: TRUCE_SCREENSHOTS, or the test's
// temporary folder.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("TRUCE_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestDemoPageShowsLiveFindings starts `truce serve --demo`, opens the page it prints in
// headless chromium, waits for findings to arrive through the live feed and to be drawn on the
// map, and saves a screenshot.
func TestDemoPageShowsLiveFindings(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and a browser")
	}
	ctx := browser(t)
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
	title := run(t, ctx, chromedp.Text(`#agreement-title`))
	status := run(t, ctx, chromedp.Text(`#status`))
	zones := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#map .zone').length`))
	live := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#map circle.finding-dot').length`))
	png := run(t, ctx, chromedp.FullScreenshot(100))
	path := filepath.Join(screenshotDir(t), "demo-live.png")
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

// run runs one browser action and returns its value, failing the test on error.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}
