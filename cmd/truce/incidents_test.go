package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/geodesic"

	truce "github.com/truce-project/truce"
)

// bearingReports writes, one NDJSON line each, the acoustic reports of a burst of fire at
// origin (lon, lat) fired at the given time, heard by sensors named prefix-0, prefix-1, ...
// standing at sensors: the true bearing and the time the sound arrived.
func bearingReports(b *strings.Builder, prefix string, origin [2]float64, fired time.Time, sensors ...[2]float64) {
	for i, s := range sensors {
		var dist, azi float64
		geodesic.WGS84.Inverse(s[1], s[0], origin[1], origin[0], &dist, &azi, nil)
		heard := fired.Add(time.Duration(dist / 343 * float64(time.Second)))
		fmt.Fprintf(b, `{"id":"%s-burst","source":"%s-%d","time":%q,"kind":"fire.burst","lat":%v,"lon":%v,"ce_m":10,"attrs":{"bearing_deg":%.3f,"bearing_sd_deg":2}}`+"\n",
			prefix, prefix, i, heard.Format(time.RFC3339Nano), s[1], s[0], azi)
	}
}

type incidentClient struct {
	t   *testing.T
	url string
}

// do calls the API and decodes the reply into v (when not nil); it returns the status.
func (c incidentClient) do(method, path, token, body string, v any) int {
	c.t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	status, reply, err := httpDo(context.Background(), method, c.url+path, token, ct, []byte(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if v != nil && status == 200 {
		if err := json.Unmarshal(reply, v); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, reply)
		}
	}
	return status
}

func (c incidentClient) list(token, query string) []truce.Incident {
	c.t.Helper()
	var page struct{ Incidents []truce.Incident }
	if status := c.do("GET", "/api/v1/incidents"+query, token, "", &page); status != 200 {
		c.t.Fatalf("GET /api/v1/incidents%s: %d", query, status)
	}
	return page.Incidents
}

func (c incidentClient) get(token, id string) truce.Incident {
	c.t.Helper()
	var inc truce.Incident
	if status := c.do("GET", "/api/v1/incidents/"+id, token, "", &inc); status != 200 {
		c.t.Fatalf("GET /api/v1/incidents/%s: %d", id, status)
	}
	return inc
}

// waitIncidents waits until the incidents listed for token satisfy ok.
func (c incidentClient) waitIncidents(token string, ok func([]truce.Incident) bool) []truce.Incident {
	c.t.Helper()
	var list []truce.Incident
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if list = c.list(token, ""); ok(list) {
			return list
		}
	}
	c.t.Fatalf("incidents did not come as expected within 15 s: %+v", list)
	return nil
}

func keys(inc *truce.Incident) []string {
	var out []string
	for _, m := range inc.Members {
		out = append(out, m.Key())
	}
	slices.Sort(out)
	return out
}

// TestServeKeepsIncidentsThatAnalystsMergeAndSplit drives a real server: two bursts of fire,
// each heard by three acoustic sensors, become two incidents located on Party East's side and
// attributed to it; they are listed as each role may see them; an analyst merges them and
// splits them again; a report arriving afterwards joins the part it belongs to, and the
// incidents, their ids and the analysts' decisions survive a restart.
func TestServeKeepsIncidentsThatAnalystsMergeAndSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	data := t.TempDir()
	monitor := lastLine(runCommand(t, "token", "create", "--role", "monitor", "--data", data))
	analyst := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	analyst2 := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	east := lastLine(runCommand(t, "token", "create", "--role", "liaison", "--party", "east", "--data", data))
	west := lastLine(runCommand(t, "token", "create", "--role", "liaison", "--party", "west", "--data", data))
	observer := lastLine(runCommand(t, "token", "create", "--role", "observer", "--data", data))
	args := []string{"--agreement", examplesDir("notional-east"), "--data", data, "--fusion", "--fusion-horizon", "1h"}
	server := startServer(t, args...)
	c := incidentClient{t: t, url: server.url}

	fired := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	originA, originB := [2]float64{36.36, 47.60}, [2]float64{36.40, 47.62}
	sensorsB := [][2]float64{{36.25, 47.71}, {36.50, 47.72}, {36.35, 47.77}, {36.15, 47.69}, {36.55, 47.70}}
	var body strings.Builder
	bearingReports(&body, "a", originA, fired, [2]float64{36.20, 47.72}, [2]float64{36.45, 47.73}, [2]float64{36.30, 47.76})
	bearingReports(&body, "b", originB, fired.Add(10*time.Minute), sensorsB[:3]...)
	post := func(body string) {
		t.Helper()
		if status, reply, err := httpDo(context.Background(), "POST", server.url+"/api/v1/observations", monitor, "application/x-ndjson", []byte(body)); err != nil || status != 200 {
			t.Fatalf("post: %v %d %s", err, status, reply)
		}
	}
	post(body.String())

	list := c.waitIncidents(analyst, func(l []truce.Incident) bool {
		return len(l) == 2 && len(l[0].Members) == 3 && len(l[1].Members) == 3
	})
	a, b := list[0], list[1]
	for _, inc := range list {
		if inc.Party != "east" || inc.Origin == nil || inc.Origin.SemiMajorM <= 0 || !strings.Contains(inc.Explanation, "Party East") ||
			inc.Sources != 3 || inc.Version < 1 || !inc.Open || len(inc.Findings) == 0 || inc.Members[0].Source == "" {
			t.Errorf("incident as an analyst sees it: %+v", inc)
		}
	}
	if a.Members[0].ID != "a-burst" || b.Members[0].ID != "b-burst" || a.ID == b.ID {
		t.Fatalf("incidents %s %v and %s %v", a.ID, keys(&a), b.ID, keys(&b))
	}

	// A liaison sees the incidents attributed to its party, without sources or where the
	// sensors stand; the other party's liaison sees none, and neither may ask for the other's.
	for _, inc := range c.list(east, "") {
		for _, m := range inc.Members {
			if m.Source != "" || m.Lat != 0 || m.Lon != 0 {
				t.Errorf("a liaison sees a member's source or place: %+v", m)
			}
		}
	}
	if n := len(c.list(east, "")); n != 2 {
		t.Errorf("Party East's liaison sees %d incidents, want 2", n)
	}
	// Of an incident's findings a liaison sees the ids of those it may open, and only those:
	// the others are attributed to another party or to none.
	hidden := 0
	for _, inc := range c.list(east, "") {
		all := map[string]bool{}
		for _, id := range c.get(analyst, inc.ID).Findings {
			all[id] = true
		}
		for _, id := range inc.Findings {
			if status := c.do("GET", "/api/v1/findings/"+id, east, "", nil); status != 200 {
				t.Errorf("Party East's liaison sees finding %s of incident %s, which it may not open (%d)", id, inc.ID, status)
			}
			delete(all, id)
		}
		for id := range all {
			if status := c.do("GET", "/api/v1/findings/"+id, east, "", nil); status == 200 {
				t.Errorf("finding %s of incident %s is kept from Party East's liaison, which may open it", id, inc.ID)
			}
			hidden++
		}
		for _, m := range inc.Members {
			for _, id := range m.Findings {
				if !slices.Contains(inc.Findings, id) {
					t.Errorf("member %s of incident %s shows finding %s, which the incident does not", m.ID, inc.ID, id)
				}
			}
		}
	}
	t.Logf("findings of Party East's incidents kept from its liaison: %d", hidden)
	if n := len(c.list(west, "")) + len(c.list(west, "?party=east")); n != 0 {
		t.Errorf("Party West's liaison sees %d incidents", n)
	}
	if status := c.do("GET", "/api/v1/incidents/"+a.ID, west, "", nil); status != 404 {
		t.Errorf("Party West's liaison asking for Party East's incident: %d, want 404", status)
	}
	// An observer sees an incident once one of its findings is verified.
	if n := len(c.list(observer, "")); n != 0 {
		t.Errorf("an observer sees %d incidents before any finding is verified", n)
	}
	verify := b.Members[1].Findings[0]
	for _, tok := range []string{analyst, analyst2} {
		if status := c.do("POST", "/api/v1/findings/"+verify+"/review", tok, `{"action":"verify","reason":"three sensors agree"}`, nil); status != 200 {
			t.Fatalf("verify %s: %d", verify, status)
		}
	}
	if seen := c.list(observer, ""); len(seen) != 1 || seen[0].ID != b.ID || !slices.Equal(seen[0].Findings, []string{verify}) || seen[0].Members[0].Source != "" {
		t.Errorf("an observer after a verification sees %+v", seen)
	}
	// Filters.
	if got := c.list(analyst, "?attribution=undetermined"); len(got) != 0 {
		t.Errorf("attribution=undetermined lists %d", len(got))
	}
	from := fired.Add(5 * time.Minute).Format(time.RFC3339)
	if got := c.list(analyst, "?from="+from+"&kind=fire.*&party=east"); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("from %s: %+v", from, got)
	}

	// Only analysts merge and split, and with a reason.
	mergeBody := fmt.Sprintf(`{"ids":[%q,%q],"reason":"one firing position, two bursts"}`, b.ID, a.ID)
	for _, tok := range []string{monitor, east, observer} {
		if status := c.do("POST", "/api/v1/incidents/merge", tok, mergeBody, nil); status != 403 {
			t.Errorf("merge by a token of another role: %d, want 403", status)
		}
		if status := c.do("POST", "/api/v1/incidents/"+a.ID+"/split", tok, `{"members":["a-burst"],"reason":"x"}`, nil); status != 403 {
			t.Errorf("split by a token of another role: %d, want 403", status)
		}
	}
	if status := c.do("POST", "/api/v1/incidents/merge", analyst, fmt.Sprintf(`{"ids":[%q,%q],"reason":"x"}`, a.ID, a.ID), nil); status != 400 {
		t.Errorf("merging an incident with itself: %d, want 400", status)
	}
	if status := c.do("POST", "/api/v1/incidents/merge", analyst, fmt.Sprintf(`{"ids":[%q,%q]}`, a.ID, b.ID), nil); status != 400 {
		t.Errorf("merging without a reason: %d, want 400", status)
	}

	var merged truce.Incident
	if status := c.do("POST", "/api/v1/incidents/merge", analyst, mergeBody, &merged); status != 200 {
		t.Fatalf("merge: %d", status)
	}
	if merged.ID != a.ID || len(merged.Members) != 6 || !merged.Fixed || !merged.Merged || merged.Version <= a.Version {
		t.Errorf("merged: %+v", merged)
	}
	if status := c.do("GET", "/api/v1/incidents/"+b.ID, analyst, "", nil); status != 404 {
		t.Errorf("the incident merged away: %d, want 404", status)
	}

	// Split B's reports off again; the split needs members of the incident, not all of them.
	if status := c.do("POST", "/api/v1/incidents/"+a.ID+"/split", analyst, `{"members":["a-0/a-burst","a-1/a-burst","a-2/a-burst","b-0/b-burst","b-1/b-burst","b-2/b-burst"],"reason":"x"}`, nil); status != 400 {
		t.Errorf("splitting off every member: %d, want 400", status)
	}
	if status := c.do("POST", "/api/v1/incidents/"+a.ID+"/split", analyst, `{"members":["nobody/x"],"reason":"x"}`, nil); status != 400 {
		t.Errorf("splitting off a report not in the incident: %d, want 400", status)
	}
	var split truce.Incident
	if status := c.do("POST", "/api/v1/incidents/"+a.ID+"/split", analyst, `{"members":["b-0/b-burst","b-1/b-burst","b-2/b-burst"],"reason":"ten minutes apart"}`, &split); status != 200 {
		t.Fatalf("split: %d", status)
	}
	if split.ID != b.ID || !slices.Equal(keys(&split), keys(&b)) || !split.Fixed || split.Party != "east" {
		t.Errorf("split off: %+v", split)
	}
	var rest truce.Incident
	c.do("GET", "/api/v1/incidents/"+a.ID, analyst, "", &rest)
	if !slices.Equal(keys(&rest), keys(&a)) || !slices.Equal(rest.KeptApart, keys(&b)) {
		t.Errorf("what remains: members %v, kept apart %v", keys(&rest), rest.KeptApart)
	}
	var history struct{ History []truce.IncidentAction }
	c.do("GET", "/api/v1/incidents/"+a.ID+"/history", analyst, "", &history)
	if len(history.History) != 2 || history.History[0].Action != "merge" || history.History[1].Action != "split" ||
		history.History[1].Reason != "ten minutes apart" || history.History[1].Result != b.ID {
		t.Errorf("history: %+v", history.History)
	}
	// Both decisions are in the mission's log.
	_, entries, err := httpDo(context.Background(), "GET", server.url+"/api/v1/log/entries?start=0&end=1000", analyst, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kind":"incident","id":"` + a.ID + `/merge/`, `"kind":"incident","id":"` + b.ID + `/split/`} {
		if !strings.Contains(string(entries), want) {
			t.Errorf("the log holds no record %s…", want)
		}
	}
	if status := c.do("GET", "/api/v1/incidents/"+a.ID+"/history", east, "", nil); status != 403 {
		t.Errorf("a liaison asking for the history: %d, want 403", status)
	}

	// A fourth sensor's report of burst B joins the incident split off, and Party East's
	// liaison hears of it on the event stream, without sources; Party West's hears nothing.
	eastEvents, westEvents := incidentEvents(t, server.url, east), incidentEvents(t, server.url, west)
	time.Sleep(200 * time.Millisecond) // the streams have started
	body.Reset()
	bearingReports(&body, "b", originB, fired.Add(10*time.Minute), sensorsB[:4]...)
	post(strings.Join(strings.SplitAfter(body.String(), "\n")[3:], ""))
	c.waitIncidents(analyst, func(l []truce.Incident) bool {
		return len(l) == 2 && len(l[1].Members) == 4 && l[1].ID == b.ID
	})
	select {
	case inc := <-eastEvents:
		if inc.ID != b.ID || len(inc.Members) != 4 || inc.Members[3].Source != "" || inc.Members[3].Lat != 0 || inc.Version < 2 {
			t.Errorf("the incident event Party East's liaison got: %+v", inc)
		}
	case <-time.After(5 * time.Second):
		t.Error("no incident event for Party East's liaison within 5 s")
	}
	select {
	case inc := <-westEvents:
		t.Errorf("Party West's liaison heard of %+v", inc)
	case <-time.After(300 * time.Millisecond):
	}

	// Stopped and started again, the server serves the same incidents, and fusion takes them
	// up where it left them: a fifth report of burst B joins B.
	before := c.list(analyst, "")
	server.stop(t)
	server = startServer(t, args...)
	c.url = server.url
	after := c.list(analyst, "")
	if len(after) != 2 || after[0].ID != before[0].ID || after[1].ID != before[1].ID || after[1].Version != before[1].Version {
		t.Fatalf("after a restart %+v, before %+v", after, before)
	}
	body.Reset()
	bearingReports(&body, "b", originB, fired.Add(10*time.Minute), sensorsB...)
	post(strings.Join(strings.SplitAfter(body.String(), "\n")[4:], ""))
	c.waitIncidents(analyst, func(l []truce.Incident) bool {
		return len(l) == 2 && len(l[1].Members) == 5 && l[1].ID == b.ID && len(l[0].Members) == 3
	})
	server.stop(t)
}

// incidentEvents reads the event stream of token until the test ends and hands over the
// incidents of its "incident" events.
func incidentEvents(t *testing.T, url, token string) <-chan truce.Incident {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		cancel()
		t.Fatalf("events: %v %v", err, res)
	}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	ch := make(chan truce.Incident, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		name := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = line[7:]
			case strings.HasPrefix(line, "data: ") && name == "incident":
				var inc truce.Incident
				if json.Unmarshal([]byte(line[6:]), &inc) == nil {
					select {
					case ch <- inc:
					default:
					}
				}
			case line == "":
				name = ""
			}
		}
	}()
	return ch
}
