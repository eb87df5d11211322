package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/geodesic"

	truce "github.com/truce-project/truce"
)

// TestServeAttributesFusedFireByItsOrigin posts three acoustic reports of one burst of fire,
// each a bearing from a sensor on Party West's side towards a firing position on Party East's
// side; no single report says who fired. The fusion locates the origin from the bearings, and
// the incident's report is attributed to Party East by the ceasefire rule.
func TestServeAttributesFusedFireByItsOrigin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	data := t.TempDir()
	monitor := lastLine(runCommand(t, "token", "create", "--role", "monitor", "--data", data))
	analyst := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	server := startServer(t, "--agreement", examplesDir("notional-east"), "--data", data, "--fusion", "--fusion-horizon", "10m")
	origin := [2]float64{36.36, 47.60} // lon, lat: about 7 km south-east of the line of contact
	sensors := [][2]float64{{36.20, 47.72}, {36.45, 47.73}, {36.30, 47.76}}
	fired := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	var body strings.Builder
	for i, s := range sensors {
		var dist, azi float64
		geodesic.WGS84.Inverse(s[1], s[0], origin[1], origin[0], &dist, &azi, nil)
		heard := fired.Add(time.Duration(dist / 343 * float64(time.Second)))
		fmt.Fprintf(&body, `{"id":"burst-%d","source":"acoustic-%d","time":%q,"kind":"fire.burst","lat":%v,"lon":%v,"ce_m":10,"attrs":{"bearing_deg":%.2f,"bearing_sd_deg":2}}`+"\n",
			i, i, heard.Format(time.RFC3339Nano), s[1], s[0], azi)
	}
	// A report an hour later, far away, moves observation time past the incident's horizon.
	fmt.Fprintf(&body, `{"id":"later","source":"patrol-9","time":%q,"kind":"fire.flash","lat":49.3,"lon":34.6}`+"\n", fired.Add(time.Hour).Format(time.RFC3339))
	if status, reply, err := httpDo(context.Background(), "POST", server.url+"/api/v1/observations", monitor, "application/x-ndjson", []byte(body.String())); err != nil || status != 200 {
		t.Fatalf("post: %v %d %s", err, status, reply)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		_, reply, err := httpDo(context.Background(), "GET", server.url+"/api/v1/findings?rule=ceasefire", analyst, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Findings []truce.Finding }
		json.Unmarshal(reply, &page)
		for _, f := range page.Findings {
			if f.Source != fusionSource {
				if f.Party != truce.PartyUndetermined {
					t.Errorf("a single report was attributed: %+v", f)
				}
				continue
			}
			if f.Party != "east" || !strings.Contains(f.Explanation, "attributed to Party East by origin of fire") {
				t.Errorf("the fused report's finding: %+v", f)
			}
			// The fused report's record, read back from the store, is the one logged.
			exportFromServerVerifies(t, server.url, analyst, data)
			server.stop(t)
			return
		}
	}
	_, reply, _ := httpDo(context.Background(), "GET", server.url+"/api/v1/observations?source=fusion", analyst, "", nil)
	t.Fatalf("no finding on a fused report within 15 s; fused reports: %s", reply)
}
