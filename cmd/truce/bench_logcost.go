package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/truce-project/truce/internal/cputime"
)

// What the mission's log costs ingest is a difference of some 10% between two throughputs
// that, on a small shared machine, each wander by more than that from one run to the next.
// Runs of 20 s taken one after the other compare moments of the machine as much as the two
// servers. "bench log-cost" compares them in the same moments instead: two servers run side by
// side, each in a process of its own (one with the log, one without), and this process loads
// them in turn in short windows, ABBA, many rounds, so that whatever the machine does in a
// round weighs on both. Each server reports the CPU it used in each window, so the cost is
// measured as CPU per observation too.
//
// The servers need processes of their own. Tried in one process, they interfered: after a few
// windows one ran at half its speed, the difference going to the SQLite library's allocator
// returning memory to the system (madvise) and to pages read again.

func init() {
	var (
		dir, cpuProfile        string
		noLog                  bool
		rounds, clients, batch int
		window, warmup         time.Duration
	)
	serverCmd := &cobra.Command{
		Use:    "server [--no-log]",
		Short:  "Run a server for a benchmark: loopback, a temporary data folder, driven over stdin",
		Hidden: true,
		Long: `Starts a server as "bench ingest" does, prints "URL TOKEN" on a line, then reads stdin:
for each line "cpu" it prints the CPU time this process has used, in nanoseconds; at the end
of stdin it stops and removes its data folder. "bench log-cost" runs two of these.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cpuProfile != "" {
				stopProfile, err := startCPUProfile(cpuProfile)
				if err != nil {
					return err
				}
				defer stopProfile()
			}
			url, token, closeServer, _, err := startBenchServer(dir, !noLog, false)
			if err != nil {
				return err
			}
			defer closeServer()
			// An interrupt (Ctrl-C reaches every process of the terminal's group, this one
			// too) stops the server as the end of stdin does, data folder removed.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s %s\n", url, token)
			done := make(chan error, 1)
			go func() {
				in := bufio.NewScanner(cmd.InOrStdin())
				for in.Scan() {
					switch in.Text() {
					case "cpu":
						fmt.Fprintf(out, "%d\n", cputime.Process().Nanoseconds())
					default:
						fmt.Fprintf(out, "error: unknown request %q\n", in.Text())
					}
				}
				done <- in.Err()
			}()
			select {
			case err := <-done:
				return err
			case <-ctx.Done():
				return nil
			}
		},
	}
	serverCmd.Flags().BoolVar(&noLog, "no-log", false, "run without the mission's log")
	serverCmd.Flags().StringVar(&dir, "agreement", "", "agreement folder (default: the built-in notional example)")
	serverCmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of this server to FILE")
	benchCmd.AddCommand(serverCmd)

	logCostCmd := &cobra.Command{
		Use:   "log-cost [--rounds N] [--window D]",
		Short: "Measure what the mission's log costs ingest: two servers side by side, loaded in turn",
		Long: `Starts two servers on loopback, each in a process of its own with a fresh data folder,
one with the mission's log and one without, and loads them in turn as "bench ingest" does
(as fast as each accepts), in windows of --window, ABBA: round 1 without then with, round 2
with then without, and so on. Each round gives the share of throughput the log takes,
1 − (with)/(without), and the server CPU per observation of each. The summary gives the
median and mean share over the rounds with a 95% bootstrap interval of the mean, and the
same for CPU. A --warmup window on each server comes first and is not counted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if rounds < 1 {
				return errors.New("--rounds must be at least 1")
			}
			// An interrupt ends the run after the rounds done so far, which are summarized.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			judge, err := benchJudge(dir)
			if err != nil {
				return err
			}
			without, err := startBenchChild(ctx, dir, false, cpuProfile)
			if err != nil {
				return fmt.Errorf("server without the log: %w", err)
			}
			defer without.stop()
			with, err := startBenchChild(ctx, dir, true, cpuProfile)
			if err != nil {
				return fmt.Errorf("server with the log: %w", err)
			}
			defer with.stop()

			accepted := map[*benchChild]int64{} // in every window, the warmup's included
			run := func(s *benchChild, d time.Duration) (window benchWindow, err error) {
				cpu0, err := s.cpu()
				if err != nil {
					return window, err
				}
				r, err := benchIngest(ctx, judge, s.url, s.token, 0, d, clients, batch, 64)
				if err != nil {
					return window, err
				}
				cpu1, err := s.cpu()
				if err != nil {
					return window, err
				}
				if r.accepted == 0 {
					return window, errors.New("no observation was accepted")
				}
				accepted[s] += r.accepted
				return benchWindow{
					perSecond: float64(r.accepted) / r.elapsed.Seconds(),
					cpuPerObs: float64((cpu1 - cpu0).Nanoseconds()) / 1e3 / float64(r.accepted),
				}, nil
			}
			fmt.Fprintf(out, "two servers, each in a process of its own, %d clients of %d observations a request; %d rounds of %s on each, ABBA; load average %s\n",
				clients, batch, rounds, window, loadAverage())
			if warmup > 0 {
				for _, s := range []*benchChild{without, with} {
					if _, err := run(s, warmup); err != nil {
						return err
					}
				}
			}
			var shares, cpuShares []float64
			for i := 1; i <= rounds; i++ {
				var a, b benchWindow // without and with the log
				if i%2 == 1 {
					if a, err = run(without, window); err == nil {
						b, err = run(with, window)
					}
				} else {
					if b, err = run(with, window); err == nil {
						a, err = run(without, window)
					}
				}
				if err != nil && ctx.Err() != nil && len(shares) > 0 {
					fmt.Fprintf(out, "interrupted in round %d: the %d rounds done are summarized\n", i, len(shares))
					break
				}
				if err != nil {
					return fmt.Errorf("round %d: %w", i, err)
				}
				share, cpuShare := 1-b.perSecond/a.perSecond, b.cpuPerObs/a.cpuPerObs-1
				shares, cpuShares = append(shares, share), append(cpuShares, cpuShare)
				fmt.Fprintf(out, "round %2d: without the log %6.0f/s, %5.1f µs server CPU each; with it %6.0f/s, %5.1f µs: the log takes %5.1f%% of throughput, adds %5.1f%% CPU\n",
					i, a.perSecond, a.cpuPerObs, b.perSecond, b.cpuPerObs, 100*share, 100*cpuShare)
			}
			fmt.Fprintf(out, "share of throughput the log takes: %s\n", summarize(shares))
			fmt.Fprintf(out, "server CPU the log adds:           %s\n", summarize(cpuShares))
			fmt.Fprintf(out, "observations accepted, the warmup included: %d without the log, %d with it\n", accepted[without], accepted[with])
			fmt.Fprintf(out, "load average at the end: %s\n", loadAverage())
			return nil
		},
	}
	logCostCmd.Flags().IntVar(&rounds, "rounds", 10, "rounds, each a window on each server")
	logCostCmd.Flags().DurationVar(&window, "window", 5*time.Second, "how long each window sends")
	logCostCmd.Flags().DurationVar(&warmup, "warmup", 3*time.Second, "a first window on each server, not counted (0: none)")
	logCostCmd.Flags().IntVar(&clients, "clients", 4, "concurrent HTTP clients")
	logCostCmd.Flags().IntVar(&batch, "batch", 1000, "observations per request")
	logCostCmd.Flags().StringVar(&dir, "agreement", "", "agreement folder for the servers (default: the built-in notional example)")
	logCostCmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write CPU profiles of the servers to PREFIX-with.pprof and PREFIX-without.pprof (the warmup included)")
	benchCmd.AddCommand(logCostCmd)
}

// benchWindow is what one window on one server gave.
type benchWindow struct {
	perSecond float64 // observations accepted a second
	cpuPerObs float64 // the server's CPU, µs an observation
}

// benchChild is a "bench server" in a process of its own.
type benchChild struct {
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	stdout     *bufio.Reader
	url, token string
}

// startBenchChild runs this program's "bench server" and reads its URL and token. With a
// profile prefix the server writes a CPU profile to PREFIX-with.pprof or PREFIX-without.pprof.
func startBenchChild(ctx context.Context, dir string, withLog bool, profile string) (*benchChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"bench", "server"}
	if !withLog {
		args = append(args, "--no-log")
	}
	if dir != "" {
		args = append(args, "--agreement", dir)
	}
	if profile != "" {
		args = append(args, "--cpuprofile", profile+map[bool]string{true: "-with.pprof", false: "-without.pprof"}[withLog])
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// Cancelled (an interrupt), the server is asked to stop as at the end, by the end of its
	// stdin, so that it removes its data folder; it is killed only if it has not stopped
	// within WaitDelay.
	cmd.Cancel = stdin.Close
	cmd.WaitDelay = 30 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &benchChild{cmd: cmd, stdin: stdin, stdout: bufio.NewReader(stdout)}
	line, err := c.stdout.ReadString('\n')
	url, token, ok := strings.Cut(strings.TrimSpace(line), " ")
	if err != nil || !ok {
		c.stop()
		return nil, fmt.Errorf("the server did not say where it listens (%q): %v", line, err)
	}
	c.url, c.token = url, token
	return c, nil
}

// cpu asks the server for the CPU time it has used.
func (c *benchChild) cpu() (time.Duration, error) {
	if _, err := io.WriteString(c.stdin, "cpu\n"); err != nil {
		return 0, err
	}
	line, err := c.stdout.ReadString('\n')
	if err != nil {
		return 0, err
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("the server's CPU time: %q", line)
	}
	return time.Duration(ns), nil
}

// stop ends the server's stdin, which stops it, and waits for it.
func (c *benchChild) stop() {
	c.stdin.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// summarize gives the median and mean of shares (fractions) as percentages, with a 95%
// percentile-bootstrap interval of the mean: rounds resampled with replacement 10,000 times,
// from a fixed seed so that the same rounds always give the same interval.
func summarize(shares []float64) string {
	sorted := slices.Sorted(slices.Values(shares))
	n := len(sorted)
	median := sorted[n/2]
	if n%2 == 0 {
		median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	mean := func(pick func(int) float64) float64 {
		var s float64
		for i := range n {
			s += pick(i)
		}
		return s / float64(n)
	}
	m := mean(func(i int) float64 { return shares[i] })
	rng := rand.New(rand.NewPCG(1, 2))
	means := make([]float64, 10000)
	for k := range means {
		means[k] = mean(func(int) float64 { return shares[rng.IntN(n)] })
	}
	slices.Sort(means)
	lo, hi := means[int(math.Floor(0.025*float64(len(means))))], means[int(math.Ceil(0.975*float64(len(means))))-1]
	return fmt.Sprintf("median %.1f%%, mean %.1f%% (95%% interval %.1f to %.1f%%), rounds %.1f to %.1f%%, n=%d",
		100*median, 100*m, 100*lo, 100*hi, 100*sorted[0], 100*sorted[n-1], n)
}
