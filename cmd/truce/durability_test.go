package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/rules"
)

// TestKilledServerLosesNothingAcknowledged runs the server as a process of its own, streams
// observations into it from two clients, kills it with SIGKILL at a random moment, restarts it
// and checks that every observation it acknowledged is stored, exactly once, with exactly the
// findings one judgement gives. It then re-sends everything, as clients whose requests failed
// would, and checks that nothing is stored or judged twice. TRUCE_DURABILITY_ROUNDS sets the
// number of rounds (each with its own seed); CI runs many.
func TestKilledServerLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	rounds := 2
	if n, err := strconv.Atoi(os.Getenv("TRUCE_DURABILITY_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	a, err := agreement.Load(examplesDir("notional-east"))
	if err != nil {
		t.Fatal(err)
	}
	judge, err := rules.Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	base := uint64(time.Now().UnixNano())
	for r := 0; r < rounds; r++ {
		seed := base + uint64(r)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { killRound(t, judge, seed) })
	}
}

func killRound(t *testing.T, judge *rules.Judge, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	data := t.TempDir()
	monitor := lastLine(runCommand(t, "token", "create", "--role", "monitor", "--name", "durability", "--data", data))
	analyst := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	server := startServer(t, "--agreement", examplesDir("notional-east"), "--data", data)

	const batches, perBatch = 300, 100
	bodies := make([][]byte, batches)
	want := map[string]int{} // observation id → number of findings one judgement gives
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for b := range bodies {
		var body []byte
		for i := 0; i < perBatch; i++ {
			o := truce.Observation{ID: fmt.Sprintf("d%d-%d", b, i), Source: "durability",
				Time: start.Add(time.Duration(b*perBatch+i) * time.Second), Kind: truce.Kinds[rng.IntN(len(truce.Kinds))],
				Lat: 46.5 + rng.Float64()*3.5, Lon: 32.5 + rng.Float64()*6, CEm: rng.Float64() * 300,
				Attrs: map[string]any{"category": "artillery", "caliber_mm": 152.0}}
			if rng.IntN(3) == 0 {
				o.Party = "east"
			}
			line, _ := json.Marshal(o)
			body = append(append(body, line...), '\n')
			want[o.ID] = len(judge.Judge(&o, nil))
		}
		bodies[b] = body
	}

	// Two clients send alternate batches; the server is killed at a random moment.
	var mu sync.Mutex
	acked := map[int]bool{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for c := 0; c < 2; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for b := c; b < batches; b += 2 {
				status, reply, err := httpDo(ctx, "POST", server.url+"/api/v1/observations", monitor, "application/x-ndjson", bodies[b])
				if err != nil || status != 200 {
					return // the server is gone: this batch was not acknowledged
				}
				var r struct{ Accepted, Duplicates int }
				if json.Unmarshal(reply, &r) != nil || r.Accepted+r.Duplicates != perBatch {
					t.Errorf("batch %d: reply %s", b, reply)
					return
				}
				mu.Lock()
				acked[b] = true
				mu.Unlock()
			}
		}(c)
	}
	time.Sleep(time.Duration(100+rng.IntN(1400)) * time.Millisecond)
	server.kill()
	cancel()
	wg.Wait()
	t.Logf("killed after %d of %d batches were acknowledged", len(acked), batches)

	// Everything acknowledged survived, once, with its findings judged once.
	server = startServer(t, "--agreement", examplesDir("notional-east"), "--data", data)
	stored := listObservations(t, server.url, analyst)
	for b := range acked {
		for i := 0; i < perBatch; i++ {
			id := fmt.Sprintf("d%d-%d", b, i)
			if stored[id] != 1 {
				t.Fatalf("acknowledged observation %s is stored %d times", id, stored[id])
			}
		}
	}
	checkFindings(t, server.url, analyst, stored, want)

	// Clients re-send what they are unsure of, and more: nothing is stored or judged twice.
	for b := range bodies {
		status, reply, err := httpDo(context.Background(), "POST", server.url+"/api/v1/observations", monitor, "application/x-ndjson", bodies[b])
		if err != nil || status != 200 {
			t.Fatalf("re-send batch %d: %v %d %s", b, err, status, reply)
		}
		var r struct{ Accepted, Duplicates int }
		json.Unmarshal(reply, &r)
		if acked[b] && r.Duplicates != perBatch {
			t.Fatalf("re-sent acknowledged batch %d: %s", b, reply)
		}
	}
	stored = listObservations(t, server.url, analyst)
	if len(stored) != len(want) {
		t.Fatalf("%d observations stored after re-sending everything, want %d", len(stored), len(want))
	}
	for id, n := range stored {
		if n != 1 {
			t.Fatalf("observation %s stored %d times", id, n)
		}
	}
	checkFindings(t, server.url, analyst, stored, want)
	server.stop(t)
}

// listObservations counts the stored observations by id, walking every page.
func listObservations(t *testing.T, base, token string) map[string]int {
	t.Helper()
	out := map[string]int{}
	cursor := ""
	for {
		status, data, err := httpDo(context.Background(), "GET", base+"/api/v1/observations?limit=1000&cursor="+url.QueryEscape(cursor), token, "", nil)
		if err != nil || status != 200 {
			t.Fatalf("list observations: %v %d %s", err, status, data)
		}
		var page struct {
			Observations []truce.Observation
			Next         string
		}
		if err := json.Unmarshal(data, &page); err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Observations {
			out[o.ID]++
		}
		if page.Next == "" {
			return out
		}
		cursor = page.Next
	}
}

// checkFindings checks that each stored observation has exactly the findings one judgement
// gives it, and no finding is stored twice.
func checkFindings(t *testing.T, base, token string, stored, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	ids := map[string]bool{}
	cursor := ""
	for {
		status, data, err := httpDo(context.Background(), "GET", base+"/api/v1/findings?limit=1000&cursor="+url.QueryEscape(cursor), token, "", nil)
		if err != nil || status != 200 {
			t.Fatalf("list findings: %v %d %s", err, status, data)
		}
		var page struct {
			Findings []truce.Finding
			Next     string
		}
		if err := json.Unmarshal(data, &page); err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Findings {
			if ids[f.ID] {
				t.Fatalf("finding %s stored twice", f.ID)
			}
			ids[f.ID] = true
			got[f.Observation]++
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	for id := range stored {
		if got[id] != want[id] {
			t.Fatalf("observation %s has %d findings stored, one judgement gives %d", id, got[id], want[id])
		}
	}
	for id := range got {
		if stored[id] == 0 {
			t.Fatalf("findings stored for observation %s, which is not", id)
		}
	}
}
