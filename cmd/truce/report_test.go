package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/truce-project/truce/ledger"
)

// TestPublishedDailyReportIsLoggedAndWrittenByTheCommand runs a server, has two analysts
// verify the findings of a day, publishes the day's report, and checks that the log holds the
// publication with the SHA-256 of exactly the bytes observers are served; then, with the server
// stopped, `truce report daily` writes the same counts from the data folder, and its
// --published output is the published page byte for byte.
func TestPublishedDailyReportIsLoggedAndWrittenByTheCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	data := t.TempDir()
	monitor := lastLine(runCommand(t, "token", "create", "--role", "monitor", "--data", data))
	observer := lastLine(runCommand(t, "token", "create", "--role", "observer", "--data", data))
	analyst := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	admin := lastLine(runCommand(t, "token", "create", "--role", "admin", "--data", data))
	server := startServer(t, "--agreement", examplesDir("notional-east"), "--data", data)
	ctx := context.Background()
	if status, reply, err := httpDo(ctx, "POST", server.url+"/api/v1/observations", monitor, "application/x-ndjson", []byte(logTestObservations)); err != nil || status != 200 {
		t.Fatalf("post: %v %d %s", err, status, reply)
	}
	status, body, err := httpDo(ctx, "GET", server.url+"/api/v1/findings", analyst, "", nil)
	var page struct{ Findings []struct{ ID string } }
	if err != nil || status != 200 || json.Unmarshal(body, &page) != nil || len(page.Findings) != 2 {
		t.Fatalf("findings: %v %d %s", err, status, body)
	}
	for _, f := range page.Findings {
		for _, tok := range []string{analyst, admin} {
			if status, body, err := httpDo(ctx, "POST", server.url+"/api/v1/findings/"+f.ID+"/review", tok, "application/json",
				[]byte(`{"action":"verify","reason":"seen by two patrols"}`)); err != nil || status != 200 {
				t.Fatalf("verify: %v %d %s", err, status, body)
			}
		}
	}
	status, body, err = httpDo(ctx, "POST", server.url+"/api/v1/reports/daily/2026-05-01/publish", analyst, "", nil)
	var pub struct {
		Version    int    `json:"version"`
		HTMLSHA256 string `json:"html_sha256"`
	}
	if err != nil || status != 200 || json.Unmarshal(body, &pub) != nil || pub.Version != 1 {
		t.Fatalf("publish: %v %d %s", err, status, body)
	}
	status, published, err := httpDo(ctx, "GET", server.url+"/api/v1/reports/daily/2026-05-01", observer, "", nil)
	if err != nil || status != 200 {
		t.Fatalf("observer: %v %d", err, status)
	}
	sum := sha256.Sum256(published)
	if hex.EncodeToString(sum[:]) != pub.HTMLSHA256 {
		t.Fatal("observers are served other bytes than were published")
	}

	// Three observations and their two findings, four verifications, then the publication.
	const size = 10
	var entries [][]byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		status, body, err := httpDo(ctx, "GET", server.url+"/api/v1/log/entries?start=0&end=10", analyst, "", nil)
		if err == nil && status == 200 {
			entries = bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
			if len(entries) == size {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log did not reach %d records: %d %s", size, status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	rec, err := ledger.ParseRecord(entries[size-1])
	if err != nil {
		t.Fatal(err)
	}
	if rec.Kind != ledger.KindReport || rec.ID != "daily/2026-05-01/1" || len(rec.Evidence) != 2 || rec.Evidence[1] != pub.HTMLSHA256 {
		t.Fatalf("the last record is %s %s %v", rec.Kind, rec.ID, rec.Evidence)
	}
	server.stop(t)

	dir := examplesDir("notional-east")
	out := filepath.Join(t.TempDir(), "daily.json")
	runCommand(t, "report", "daily", "--date", "2026-05-01", "--agreement", dir, "--data", data, "--format", "json", "--out", out)
	js, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Summary struct{ Violations int }
		Annex   []struct{ Finding string }
	}
	if err := json.Unmarshal(js, &d); err != nil || d.Summary.Violations != 2 || len(d.Annex) != 2 {
		t.Fatalf("report daily --format json: %v %s", err, js)
	}
	again := runCommand(t, "report", "daily", "--date", "2026-05-01", "--agreement", dir, "--data", data, "--published")
	if again != string(published) {
		t.Error("report daily --published is not the published page")
	}
	spot := runCommand(t, "report", "spot", d.Annex[0].Finding, "--agreement", dir, "--data", data, "--format", "json")
	if !bytes.Contains([]byte(spot), []byte(`"history"`)) {
		t.Errorf("report spot: %s", spot)
	}
	late := command("report", "daily", "--date", "2026-05-01", "--data", data)
	late.Env = append(late.Env, "TRUCE_AGREEMENT=")
	if outb, err := late.CombinedOutput(); err == nil || !bytes.Contains(outb, []byte("--agreement DIR is required")) {
		t.Errorf("without an agreement: %v %s", err, outb)
	}
}
