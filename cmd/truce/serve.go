package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/examples"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/server"
	"github.com/truce-project/truce/sim"
	"github.com/truce-project/truce/sqlite"
)

// Defaults of serve, documented in one place: flags override TRUCE_* environment variables,
// which override these.
const (
	defaultData = "./truce-data"
	defaultAddr = "127.0.0.1:8080"
)

// envOr returns the environment variable's value, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// dbPath is the SQLite file inside a data folder.
func dbPath(dataDir string) string { return filepath.Join(dataDir, "truce.db") }

// openStore creates the data folder when needed and opens its store.
func openStore(dataDir string) (*sqlite.DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dataDir, err)
	}
	return sqlite.Open(dbPath(dataDir))
}

// serveEnv is what the optional parts of a running server (AIS and TAK sources, the log's
// checkpoints) are given when they start.
type serveEnv struct {
	Ctx   context.Context // ends when the server begins to shut down
	Log   *slog.Logger
	Judge *rules.Judge
	Pipe  *ingest.Pipeline
	Store *sqlite.DB
	// Server is the HTTP API; a part that tells liaisons of notices adds itself with
	// Server.AddNotifier.
	Server *server.Server
	Data   string // the data folder
	Demo   bool   // serve --demo: parts a demonstration should show switch themselves on
	// Incidents serves the incidents stored; fusion, when it runs, keeps them.
	Incidents *incidentDesk
}

// serveStarters start the optional parts of `truce serve`. Each file that adds one registers
// its flags on serveCmd and its starter here in an init function; a starter whose flags were
// not given does nothing. The stop function it returns is called before the pipeline closes.
var serveStarters []func(env *serveEnv) (stop func(), err error)

// serveCmd is built before any init function runs, so that other files can add flags to it.
var serveCmd = newServeCmd()

func init() { rootCmd.AddCommand(serveCmd) }

func newServeCmd() *cobra.Command {
	var (
		dir, data, addr string
		demo            bool
		demoSpeed       float64
		maxBody         int64
		queue           int
		logOrigin       string
		logKey          string
		checkpointEvery time.Duration
		approvals       int
		inspection      time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve --agreement DIR [--data DIR] [--addr HOST:PORT]",
		Short: "Run the mission's server: ingest, judge, store and serve the live picture",
		Long: `Runs the server: observations posted to /api/v1/observations are judged against the
agreement in DIR and stored in the data folder (SQLite, WAL); findings are served through the API,
the live event stream and the page at /.

--demo needs no agreement: it loads the notional example agreement (built in), feeds a simulated
day of patrols, sensors and ships, and prints an admin token and the URL to open.

Settings: flags, then the environment (TRUCE_AGREEMENT, TRUCE_DATA, TRUCE_ADDR), then defaults
(data folder ./truce-data, address 127.0.0.1:8080). SIGINT or SIGTERM stops the server after the
batches in flight are stored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("agreement") {
				dir = os.Getenv("TRUCE_AGREEMENT")
			}
			if !cmd.Flags().Changed("addr") {
				addr = envOr("TRUCE_ADDR", defaultAddr)
			}
			if !cmd.Flags().Changed("data") {
				data = envOr("TRUCE_DATA", "")
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			var a *truce.Agreement
			var err error
			switch {
			case demo && dir == "":
				fsys, ferr := examples.Agreement("notional-east")
				if ferr != nil {
					return ferr
				}
				a, err = agreement.LoadFS(fsys)
			case dir == "":
				return errors.New("--agreement DIR is required (or --demo to try the built-in example)")
			default:
				a, err = agreement.Load(dir)
			}
			if err != nil {
				printProblems(cmd.ErrOrStderr(), dir, err)
				return exitError{code: 1}
			}
			judge, err := rules.Compile(a)
			if err != nil {
				printProblems(cmd.ErrOrStderr(), dir, err)
				return exitError{code: 1}
			}
			if data == "" {
				data = defaultData
				if demo {
					// A demo starts from nothing each time and leaves nothing behind.
					tmp, err := os.MkdirTemp("", "truce-demo-")
					if err != nil {
						return err
					}
					defer os.RemoveAll(tmp)
					data = tmp
				}
			}
			store, err := openStore(data)
			if err != nil {
				return err
			}
			defer store.Close()
			// The log is opened before anything can be stored, so that every stored batch is
			// logged in its own transaction.
			mlog, err := openLog(store, data, logOrigin, logKey)
			if err != nil {
				return err
			}
			defer mlog.Close()
			pipe, err := ingest.New(judge, store, ingest.Options{QueueBatches: queue, Prepare: mlog.prepare})
			if err != nil {
				return err
			}
			evidence := filepath.Join(data, "evidence")
			if err := os.MkdirAll(evidence, 0o700); err != nil {
				return err
			}
			desk := &incidentDesk{store: store}
			srv := server.New(store, pipe, server.Options{MaxBodyBytes: maxBody, Log: mlog, EvidenceDir: evidence, RequiredApprovals: approvals,
				Incidents: desk, InspectionDeadline: inspection})
			desk.changed = srv.PublishIncidents
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				pipe.Close()
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			checkpoints := make(chan struct{})
			go func() {
				defer close(checkpoints)
				mlog.run(ctx, log, checkpointEvery)
			}()
			env := &serveEnv{Ctx: ctx, Log: log, Judge: judge, Pipe: pipe, Store: store, Server: srv, Data: data, Demo: demo, Incidents: desk}
			var stops []func()
			defer func() {
				for i := len(stops) - 1; i >= 0; i-- {
					stops[i]()
				}
			}()
			for _, start := range serveStarters {
				stopPart, err := start(env)
				if err != nil {
					stop()
					return err
				}
				if stopPart != nil {
					stops = append(stops, stopPart)
				}
			}
			// Serve only once every part is running, so that nothing stored is missed by them.
			httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
			serveErr := make(chan error, 1)
			go func() { serveErr <- httpSrv.Serve(ln) }()
			srv.SetReady(true)
			url := "http://" + ln.Addr().String() + "/"
			log.Info("serving", "url", url, "agreement", a.ID, "hash", a.Hash[:12], "data", data)
			if demo {
				tok := &truce.Token{Name: "demo-admin", Role: truce.RoleAdmin}
				secret, err := store.CreateToken(ctx, tok)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "truce demo: open %s#token=%s\nadmin token: %s\n", url, secret, secret)
				go runDemoFeed(ctx, log, judge, pipe, demoSpeed)
			}
			select {
			case <-ctx.Done():
				log.Info("shutting down: finishing the batches in flight")
			case err := <-serveErr:
				pipe.Close()
				return err
			}
			srv.Drain(context.Background())
			shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := httpSrv.Shutdown(shutdown); err != nil {
				log.Warn("shutdown", "err", err)
			}
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
			stops = nil
			if err := pipe.Close(); err != nil {
				return err
			}
			<-checkpoints // the last checkpoint covers everything stored
			log.Info("stopped", "accepted", pipe.Stats().Accepted())
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "agreement", "", "the agreement folder (env TRUCE_AGREEMENT)")
	cmd.Flags().StringVar(&data, "data", "", "the data folder (env TRUCE_DATA; default "+defaultData+", a temporary folder with --demo)")
	cmd.Flags().StringVar(&addr, "addr", defaultAddr, "address to listen on (env TRUCE_ADDR)")
	cmd.Flags().BoolVar(&demo, "demo", false, "load the built-in notional agreement and feed a simulated day")
	cmd.Flags().Float64Var(&demoSpeed, "demo-speed", 60, "with --demo: simulated seconds per real second")
	cmd.Flags().Int64Var(&maxBody, "max-body", 32<<20, "largest request body in bytes")
	cmd.Flags().IntVar(&queue, "queue", 256, "batches that may wait for the store before new ones get 503")
	cmd.Flags().IntVar(&approvals, "approvals", 2, "how many different analysts must verify a finding before it is verified and published")
	cmd.Flags().DurationVar(&inspection, "inspection-deadline", truce.DefaultInspectionDeadline, "how long the mission has to answer a party's inspection request before it is flagged overdue")
	cmd.Flags().StringVar(&logOrigin, "log-origin", defaultLogOrigin, "the name of the mission's log and of the key generated for it on first start")
	cmd.Flags().StringVar(&logKey, "log-key", "", "sign checkpoints with this note signer key file instead of DATA/log.key")
	cmd.Flags().DurationVar(&checkpointEvery, "checkpoint-every", 10*time.Second, "how often to sign a checkpoint when the log has grown")
	return cmd
}

// runDemoFeed plays a simulated day on the agreement into the pipeline, as patrols, sensors
// and ships would report it: a day that ended now, played speed times faster than real time,
// so that every observation's time is in the past when it arrives.
func runDemoFeed(ctx context.Context, log *slog.Logger, judge *rules.Judge, pipe *ingest.Pipeline, speed float64) {
	start := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Minute)
	// The acoustic arrays hear launches as well as impacts, as counter-battery arrays do, so
	// that fusion can locate where fire came from and the demo shows fire attributed by origin.
	scenario, err := sim.New(judge, sim.Config{Start: start, Hours: 24, Seed: uint64(start.Unix()), Launches: true})
	if err != nil {
		log.Error("demo feed", "err", err)
		return
	}
	var batch []truce.Judged
	last := time.Now()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		for {
			_, err := pipe.Submit(ctx, batch)
			if truce.ErrorCode(err) == truce.EUNAVAILABLE && ctx.Err() == nil {
				time.Sleep(200 * time.Millisecond)
				continue
			}
			batch, last = batch[:0], time.Now()
			return err
		}
	}
	err = scenario.Play(ctx, speed, func(o truce.Observation, _ sim.Label) error {
		if err := pipe.Check(&o); err != nil {
			log.Warn("demo feed: observation refused", "id", o.ID, "err", err)
			return nil
		}
		batch = pipe.JudgeInto(batch, &o)
		if len(batch) >= 500 || time.Since(last) > 200*time.Millisecond {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil && ctx.Err() == nil {
		log.Error("demo feed stopped", "err", err)
		return
	}
	if ctx.Err() == nil {
		log.Info("demo feed: the simulated day is over", "accepted", pipe.Stats().Accepted())
	}
}
