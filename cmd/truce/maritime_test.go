package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
)

// TestServeJudgesWhatTheMaritimeDetectorsFind posts the track of a vessel one of whose
// positions is impossible (60 km away and back within minutes); the maritime detector finds
// the jump, reports it as an observation of source "maritime", and the agreement's rule on
// falsified positions raises a finding.
func TestServeJudgesWhatTheMaritimeDetectorsFind(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	data := t.TempDir()
	monitor := lastLine(runCommand(t, "token", "create", "--role", "monitor", "--data", data))
	analyst := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	server := startServer(t, "--agreement", examplesDir("notional-east"), "--data", data, "--maritime")
	start := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Minute)
	var body strings.Builder
	positions := [][2]float64{{30.40, 44.80}, {30.41, 44.79}, {31.20, 44.79}, {30.42, 44.78}, {30.43, 44.77}}
	for i, p := range positions {
		fmt.Fprintf(&body, `{"id":"ais:271000999:%d","source":"ais","time":%q,"kind":"sea.vessel","lat":%v,"lon":%v,"attrs":{"mmsi":271000999,"speed":10,"course":180,"ship_type":70,"ship_name":"TEST"}}`+"\n",
			i, start.Add(time.Duration(i)*5*time.Minute).Format(time.RFC3339), p[1], p[0])
	}
	if status, reply, err := httpDo(context.Background(), "POST", server.url+"/api/v1/observations", monitor, "application/x-ndjson", []byte(body.String())); err != nil || status != 200 {
		t.Fatalf("post: %v %d %s", err, status, reply)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		_, reply, err := httpDo(context.Background(), "GET", server.url+"/api/v1/findings?rule=ais-spoofing", analyst, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Findings []truce.Finding }
		json.Unmarshal(reply, &page)
		if len(page.Findings) == 0 {
			continue
		}
		f := page.Findings[0]
		if f.Source != "maritime" || f.Article != "Art. 6(3)" || !strings.HasPrefix(f.Observation, "jump:") {
			t.Errorf("finding %+v", f)
		}
		server.stop(t)
		return
	}
	_, reply, _ := httpDo(context.Background(), "GET", server.url+"/api/v1/observations?source=maritime", analyst, "", nil)
	t.Fatalf("no ais-spoofing finding within 15 s; maritime observations: %s", reply)
}
