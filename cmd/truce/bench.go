package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/examples"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/internal/cputime"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/server"
	"github.com/truce-project/truce/sim"
)

// benchCmd is "truce bench"; its subcommands are in the files bench*.go.
var benchCmd = &cobra.Command{Use: "bench", Short: "Measure the system under load"}

func init() {
	rootCmd.AddCommand(benchCmd)
	var (
		serverURL, token, dir string
		rate                  int
		duration              time.Duration
		clients, batch        int
		cpuProfile            string
		noLog, withFusion     bool
	)
	ingestCmd := &cobra.Command{
		Use:   "ingest [--server URL --token T] [--rate N] [--duration D]",
		Short: "Post observations to a server on loopback and measure throughput and latency",
		Long: `Posts NDJSON batches of observations to a server and, on the server's event stream,
times each observation from the moment its batch was sent to the moment its event arrives
(ingest-to-event latency). With no --server it starts one in this process on a loopback
port, with the notional example agreement (every rule active) and a temporary data folder.
--rate 0 sends as fast as the server accepts; --rate N paces the clients to N observations a
second. Prints observations/s and the latency percentiles.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// An interrupt stops the run, and the server started here removes its data folder.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if cpuProfile != "" {
				stopProfile, err := startCPUProfile(cpuProfile)
				if err != nil {
					return err
				}
				defer stopProfile()
			}
			var fusionLag func() (behind int64, caughtUp time.Duration, incidents int, err error)
			if serverURL == "" {
				url, tok, closeServer, lag, err := startBenchServer(dir, !noLog, withFusion)
				if err != nil {
					return err
				}
				defer closeServer()
				serverURL, token, fusionLag = url, tok, lag
			} else if token == "" {
				return errors.New("--token (an admin or analyst token) is required with --server")
			}
			judge, err := benchJudge(dir)
			if err != nil {
				return err
			}
			// The 64 batches prepared by default are sent again and again with new ids: enough
			// for the store, which judges each observation alone. Fusion would see the same
			// events overlaid on each other at the same times and places, a load no mission
			// has, so with fusion every batch of the run is distinct (a simulation of several
			// days, as much as the server could take at 60,000 observations a second).
			distinct := 64
			if withFusion {
				distinct = max(distinct, int(math.Ceil(duration.Seconds()*60000/float64(max(batch, 1)))))
			}
			r, err := benchIngest(ctx, judge, strings.TrimSuffix(serverURL, "/"), token, rate, duration, clients, batch, distinct)
			if err != nil && ctx.Err() != nil {
				return errors.New("interrupted")
			}
			if err != nil {
				return err
			}
			r.print(cmd.OutOrStdout())
			if fusionLag != nil {
				behind, caughtUp, incidents, err := fusionLag()
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "fusion:    %d events behind the store when sending stopped, caught up %.0f ms later; %d incidents stored\n",
					behind, ms(caughtUp), incidents)
			}
			return nil
		},
	}
	ingestCmd.Flags().StringVar(&serverURL, "server", "", "URL of a running server (default: start one here on loopback)")
	ingestCmd.Flags().StringVar(&token, "token", "", "an admin or analyst token of that server")
	ingestCmd.Flags().StringVar(&dir, "agreement", "", "agreement folder for the server started here (default: the built-in notional example)")
	ingestCmd.Flags().IntVar(&rate, "rate", 0, "observations per second to offer; 0 sends as fast as the server takes them")
	ingestCmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to send")
	ingestCmd.Flags().IntVar(&clients, "clients", 4, "concurrent HTTP clients")
	ingestCmd.Flags().IntVar(&batch, "batch", 1000, "observations per request")
	ingestCmd.Flags().BoolVar(&withFusion, "fusion", false, "without --server: run the server's fusion, storing incidents, and report how far it fell behind")
	ingestCmd.Flags().BoolVar(&noLog, "no-log", false, "without --server: run the server without the mission's log, to measure what logging costs")
	ingestCmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of this process (client and, without --server, server) to FILE")
	benchCmd.AddCommand(ingestCmd)
}

// startCPUProfile profiles this process's CPU into path until the returned function is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// benchJudge compiles the agreement in dir, or the built-in notional example.
func benchJudge(dir string) (*rules.Judge, error) {
	var a *truce.Agreement
	var err error
	if dir == "" {
		fsys, ferr := examples.Agreement("notional-east")
		if ferr != nil {
			return nil, ferr
		}
		a, err = agreement.LoadFS(fsys)
	} else {
		a, err = agreement.Load(dir)
	}
	if err != nil {
		return nil, err
	}
	return rules.Compile(a)
}

// startBenchServer runs a server in this process on a loopback port, with a fresh data folder,
// and returns its URL and an admin token. With fusion it runs the server's fusion too, and
// lag, called once sending has stopped, says how many events fusion was behind the store then,
// how long it took to catch up, and how many incidents are stored.
func startBenchServer(dir string, withLog, withFusion bool) (url, token string, closeServer func(),
	lag func() (int64, time.Duration, int, error), err error) {
	judge, err := benchJudge(dir)
	if err != nil {
		return "", "", nil, nil, err
	}
	data, err := os.MkdirTemp("", "truce-bench-")
	if err != nil {
		return "", "", nil, nil, err
	}
	store, err := openStore(data)
	if err != nil {
		os.RemoveAll(data)
		return "", "", nil, nil, err
	}
	var mlog *missionLog
	if withLog {
		if mlog, err = openLog(store, data, defaultLogOrigin, ""); err != nil {
			store.Close()
			os.RemoveAll(data)
			return "", "", nil, nil, err
		}
	}
	opt := ingest.Options{}
	if mlog != nil {
		opt.Prepare = mlog.prepare
	}
	pipe, err := ingest.New(judge, store, opt)
	if err != nil {
		store.Close()
		os.RemoveAll(data)
		return "", "", nil, nil, err
	}
	secret, err := store.CreateToken(context.Background(), &truce.Token{Role: truce.RoleAdmin, Name: "bench"})
	if err != nil {
		return "", "", nil, nil, err
	}
	desk := &incidentDesk{store: store}
	stopFusion := func() {}
	if withFusion {
		stop, err := startFusion(context.Background(), slog.New(slog.DiscardHandler), judge, pipe, store, desk, 2*time.Hour)
		if err != nil {
			return "", "", nil, nil, err
		}
		stopFusion = stop
		lag = func() (int64, time.Duration, int, error) {
			ctx := context.Background()
			stopped := time.Now()
			last, err := store.LastSeq(ctx)
			if err != nil {
				return 0, 0, 0, err
			}
			fused, err := store.FusedThrough(ctx)
			if err != nil {
				return 0, 0, 0, err
			}
			behind := last - fused
			for fused < last {
				time.Sleep(5 * time.Millisecond)
				if fused, err = store.FusedThrough(ctx); err != nil {
					return 0, 0, 0, err
				}
			}
			caughtUp := time.Since(stopped)
			var n int
			err = store.ReadDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents`).Scan(&n)
			return behind, caughtUp, n, err
		}
	}
	srv := server.New(store, pipe, server.Options{Incidents: desk})
	srv.SetReady(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", nil, nil, err
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), secret, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		stopFusion()
		pipe.Close()
		if mlog != nil {
			mlog.Close()
		}
		store.Close()
		os.RemoveAll(data)
	}, lag, nil
}

type benchResult struct {
	sent, accepted, events int64
	elapsed                time.Duration
	// cpu is this process's CPU time while sending: the clients', and the server's when it
	// runs here. Per observation it is what the run cost, whatever else the machine ran.
	cpu            time.Duration
	latencies      []time.Duration
	rate           int
	clients, batch int
}

func (r *benchResult) print(w io.Writer) {
	fmt.Fprintf(w, "offered:   %s\n", map[bool]string{true: "as fast as accepted", false: fmt.Sprintf("%d observations/s", r.rate)}[r.rate == 0])
	fmt.Fprintf(w, "clients:   %d, %d observations per request\n", r.clients, r.batch)
	fmt.Fprintf(w, "sent:      %d observations in %.1f s\n", r.sent, r.elapsed.Seconds())
	fmt.Fprintf(w, "accepted:  %d (%.0f observations/s)\n", r.accepted, float64(r.accepted)/r.elapsed.Seconds())
	if r.cpu > 0 && r.accepted > 0 {
		fmt.Fprintf(w, "cpu:       %.2f s in this process, %.1f µs per observation accepted (%.2f cores)\n",
			r.cpu.Seconds(), float64(r.cpu.Microseconds())/float64(r.accepted), r.cpu.Seconds()/r.elapsed.Seconds())
	}
	fmt.Fprintf(w, "events:    %d observation events received\n", r.events)
	if len(r.latencies) > 0 {
		slices.Sort(r.latencies)
		q := func(p float64) time.Duration {
			return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
		}
		fmt.Fprintf(w, "latency:   p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (ingest to event)\n",
			ms(q(0.50)), ms(q(0.90)), ms(q(0.99)), ms(r.latencies[len(r.latencies)-1]))
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchIngest sends prepared batches and times their events.
func benchIngest(ctx context.Context, judge *rules.Judge, base, token string, rate int, duration time.Duration, clients, batch, distinct int) (*benchResult, error) {
	if clients < 1 || batch < 1 {
		return nil, errors.New("--clients and --batch must be at least 1")
	}
	// Bodies are encoded before the clock starts, so the client measures the server, not
	// its own JSON encoding. Each run's ids are new, so no observation is a duplicate.
	run := time.Now().UnixNano()
	bodies, err := prepareBodies(judge, run, distinct, batch)
	if err != nil {
		return nil, err
	}
	sentAt := &sync.Map{} // batch number → time sent
	res := &benchResult{rate: rate, clients: clients, batch: batch}

	// The event stream, opened before anything is sent.
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	var latMu sync.Mutex
	var events atomic.Int64
	streamDone := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		streamDone <- readEvents(streamCtx, base, token, ready, func(id []byte) {
			events.Add(1)
			// Ids are "b<run>-<batch>-<i>": the batch number gives the send time.
			b, ok := batchOf(id)
			if !ok {
				return
			}
			if t, ok := sentAt.Load(b); ok {
				d := time.Since(t.(time.Time))
				latMu.Lock()
				res.latencies = append(res.latencies, d)
				latMu.Unlock()
			}
		})
	}()
	select {
	case <-ready:
	case err := <-streamDone:
		return nil, fmt.Errorf("event stream: %v", err)
	case <-time.After(10 * time.Second):
		return nil, errors.New("the event stream did not open within 10 s")
	}

	var next atomic.Int64
	var sent, accepted atomic.Int64
	start, cpu0 := time.Now(), cputime.Process()
	deadline := start.Add(duration)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1) - 1
				if rate > 0 {
					// Batch n is due when n*batch observations have been offered at the rate.
					due := start.Add(time.Duration(float64(n*int64(batch)) / float64(rate) * float64(time.Second)))
					time.Sleep(time.Until(due))
				}
				if time.Now().After(deadline) || ctx.Err() != nil {
					return
				}
				body := bytes.ReplaceAll(bodies[n%int64(len(bodies))], []byte("-B-"), fmt.Appendf(nil, "-%d-", n))
				sentAt.Store(n, time.Now())
				acc, err := postForBench(ctx, client, base, token, body)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				sent.Add(int64(batch))
				accepted.Add(int64(acc))
			}
		}()
	}
	wg.Wait()
	res.elapsed, res.cpu = time.Since(start), cputime.Process()-cpu0
	res.sent, res.accepted = sent.Load(), accepted.Load()
	// Let the last events arrive.
	wait := time.Now().Add(10 * time.Second)
	for events.Load() < res.accepted && time.Now().Before(wait) {
		time.Sleep(20 * time.Millisecond)
	}
	stopStream()
	res.events = events.Load()
	if firstErr != nil {
		return res, firstErr
	}
	return res, nil
}

// prepareBodies encodes n NDJSON bodies of size observations each: simulated days on the
// agreement (patrols, acoustic sensors, ships, injected violations of every rule), so that
// the mix of kinds and of observations that break rules is a mission's. "-B-" in each id is
// replaced by the batch number when the body is sent.
func prepareBodies(judge *rules.Judge, run int64, n, size int) ([][]byte, error) {
	// A simulated day at rate 20 has about 105,000 observations: a day for every 100,000
	// wanted leaves room to spare.
	days := max(1, int(math.Ceil(float64(n*size)/100000)))
	scenario, err := sim.New(judge, sim.Config{Hours: float64(24 * days), Seed: uint64(run), Rate: 20})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, n)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	i := 0
	for o := range scenario.Observations() {
		o.ID = fmt.Sprintf("b%d-B-%d", run, i%size)
		if err := enc.Encode(&o); err != nil {
			return nil, err
		}
		i++
		if i%size == 0 {
			out[i/size-1] = bytes.Clone(buf.Bytes())
			buf.Reset()
			if i/size == n {
				return out, nil
			}
		}
	}
	return nil, fmt.Errorf("the simulated days have fewer than %d observations", n*size)
}

func batchOf(id []byte) (int64, bool) {
	// b<run>-<batch>-<i>
	first := bytes.IndexByte(id, '-')
	if first < 0 {
		return 0, false
	}
	rest := id[first+1:]
	second := bytes.IndexByte(rest, '-')
	if second < 0 {
		return 0, false
	}
	var n int64
	for _, c := range rest[:second] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func postForBench(ctx context.Context, client *http.Client, base, token string, body []byte) (int, error) {
	for {
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/observations", bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if res.StatusCode != 200 {
			return 0, fmt.Errorf("POST: %s: %s", res.Status, data)
		}
		var r struct{ Accepted int }
		if err := json.Unmarshal(data, &r); err != nil {
			return 0, err
		}
		return r.Accepted, nil
	}
}

// readEvents reads the event stream and calls fn with the id of each observation event,
// found without decoding the whole event.
func readEvents(ctx context.Context, base, token string, ready chan<- struct{}, fn func(id []byte)) error {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("%s", res.Status)
	}
	close(ready)
	br := bufio.NewReaderSize(res.Body, 1<<20)
	isObservation := false
	key := []byte(`"id":"`)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		switch {
		case bytes.HasPrefix(line, []byte("event: ")):
			isObservation = bytes.HasPrefix(line[7:], []byte("observation"))
		case isObservation && bytes.HasPrefix(line, []byte("data: ")):
			if i := bytes.Index(line, key); i >= 0 {
				rest := line[i+len(key):]
				if j := bytes.IndexByte(rest, '"'); j >= 0 {
					fn(rest[:j])
				}
			}
		}
	}
}
