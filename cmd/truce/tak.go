package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/examples"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/internal/cputime"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/tak"
)

func init() {
	takCmd := &cobra.Command{
		Use:   "tak",
		Short: "TAK (ATAK, iTAK, WinTAK) devices: certificates and connection packages",
		Long: `The TAK server runs inside truce serve (--tak-tcp, --tak-tls). Devices on the TLS
endpoint present a client certificate issued by the mission's CA, which says whether the
device is a monitor's or a party's liaison's; devices on the plain TCP endpoint present nothing
and are taken as the mission's monitors, so that endpoint belongs only on a network the
mission trusts.`,
	}
	var (
		client, role, party, data, out, host string
		port                                 int
	)
	certCmd := &cobra.Command{
		Use:   "cert --client NAME [--role monitor|liaison] [--party ID] [--data DIR] [--out DIR] [--host HOST]",
		Short: "Issue a device's client certificate and a TAK data package to import it",
		Long: `Issues a client certificate for one device from the mission's TAK CA (tak-ca.pem and
tak-ca.key in the data folder, created on first use, the key readable by its owner only) and
writes to --out:

  NAME.zip  a TAK data package: import it on the device (ATAK: Import > Local SD; iTAK:
            Servers > +, or open the file) to add the server HOST:PORT:ssl with the
            truststore and the device's keystore, both PKCS#12 under the password printed
  NAME.pem  the certificate, and NAME.key its key (mode 0600), for other clients

The role (monitor, or liaison with --party) is written in the certificate and read back on
every connection: a liaison's device receives only the findings attributed to its party and
never the monitors' positions, and submits nothing. The password is printed once; it is not
kept.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("data") {
				data = envOr("TRUCE_DATA", defaultData)
			}
			if client == "" {
				return errors.New("--client NAME is required")
			}
			if filepath.Base(client) != client || client == "." || client == ".." {
				return fmt.Errorf("--client %q: a device name cannot hold a path", client)
			}
			if host == "" {
				h, err := os.Hostname()
				if err != nil || h == "" {
					return errors.New("--host is required: the address devices will reach the server at")
				}
				host = h
			}
			ca, err := tak.LoadOrCreateCA(data)
			if err != nil {
				return err
			}
			cc, err := ca.IssueClient(client, truce.Role(role), party)
			if err != nil {
				return fmt.Errorf("%s", truce.ErrorMessage(err))
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			pkg := &tak.DataPackage{Name: client, Host: host, Port: port, CA: ca, Client: cc, Password: tak.NewPassword()}
			zipPath := filepath.Join(out, client+".zip")
			f, err := os.OpenFile(zipPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			if _, err := pkg.WriteTo(f); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, client+".pem"), cc.CertPEM, 0o644); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, client+".key"), cc.KeyPEM, 0o600); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "device:     %s (%s", client, role)
			if party != "" {
				fmt.Fprintf(w, " of party %s", party)
			}
			fmt.Fprintf(w, ")\npackage:    %s\nserver:     %s\npassword:   %s\ncertificate: %s, key %s\n",
				zipPath, pkg.ConnectString(), pkg.Password,
				filepath.Join(out, client+".pem"), filepath.Join(out, client+".key"))
			return nil
		},
	}
	certCmd.Flags().StringVar(&client, "client", "", "the device's name (the certificate's common name)")
	certCmd.Flags().StringVar(&role, "role", "monitor", "monitor or liaison")
	certCmd.Flags().StringVar(&party, "party", "", "for a liaison: the id of the party it speaks for")
	certCmd.Flags().StringVar(&data, "data", defaultData, "the data folder that holds the CA (env TRUCE_DATA)")
	certCmd.Flags().StringVar(&out, "out", ".", "folder to write the package, certificate and key to")
	certCmd.Flags().StringVar(&host, "host", "", "the server's address as devices reach it (default: this machine's name)")
	certCmd.Flags().IntVar(&port, "port", 8089, "the server's TLS port")
	takCmd.AddCommand(certCmd)
	rootCmd.AddCommand(takCmd)
	addBenchTAK()
}

// addBenchTAK adds `truce bench tak` to the bench command (made in bench.go, whose init runs
// before this file's), or to the root when there is none.
func addBenchTAK() {
	var (
		clients, burst, queue  int
		duration, every, drain time.Duration
		flush                  time.Duration
		cpuProfile             string
	)
	cmd := &cobra.Command{
		Use:   "tak [--clients N] [--duration D] [--burst N] [--burst-every D]",
		Short: "Load a TAK endpoint on loopback with simulated devices and measure fan-out",
		Long: `Starts a server in this process (the built-in notional agreement, a temporary data folder,
the TAK endpoint on a loopback port) and connects --clients simulated devices, each speaking
TAK protocol version 1. Each device reports its position once a second; every --burst-every one
device drops --burst markers at once in the demilitarised zone, each of which becomes a finding.
Every device reads everything: every other device's positions and every finding.

Prints what was sent and delivered and the delivery latency (from the time in the event to its
arrival, in milliseconds) of positions and of findings (marker sent to finding received: ingest,
judging, the store's commit and fan-out; and from the server's sending of the finding). Exits 1
if any message was lost or the p99 delivery of positions or findings is over 250 ms. The devices and the server share this machine's CPUs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			return benchTAK(cmd, clients, duration, burst, every, drain, queue, flush)
		},
	}
	cmd.Flags().IntVar(&clients, "clients", 1000, "simulated devices")
	cmd.Flags().DurationVar(&duration, "duration", 20*time.Second, "how long the devices report")
	cmd.Flags().IntVar(&burst, "burst", 500, "markers in a burst")
	cmd.Flags().DurationVar(&every, "burst-every", 5*time.Second, "time between bursts")
	cmd.Flags().DurationVar(&drain, "drain", 20*time.Second, "longest wait for the last deliveries after the devices stop")
	cmd.Flags().IntVar(&queue, "queue", 0, "the server's per-device queue (default: the server's)")
	cmd.Flags().DurationVar(&flush, "flush", 0, "how long the server gathers positions before relaying them (default: the server's)")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of this process to FILE")
	parent := rootCmd
	for _, c := range rootCmd.Commands() {
		if c.Name() == "bench" {
			parent = c
		}
	}
	parent.AddCommand(cmd)
}

func benchTAK(cmd *cobra.Command, clients int, duration time.Duration, burst int, every, drain time.Duration, queue int, flush time.Duration) error {
	fsys, err := examples.Agreement("notional-east")
	if err != nil {
		return err
	}
	a, err := agreement.LoadFS(fsys)
	if err != nil {
		return err
	}
	judge, err := rules.Compile(a)
	if err != nil {
		return err
	}
	data, err := os.MkdirTemp("", "truce-bench-tak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	store, err := openStore(data)
	if err != nil {
		return err
	}
	defer store.Close()
	pipe, err := ingest.New(judge, store, ingest.Options{})
	if err != nil {
		return err
	}
	defer pipe.Close()
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := tak.New(tak.Options{Pipe: pipe, Store: store, Log: log, QueueLen: queue, FlushDelay: flush})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go srv.Serve(ln)
	before := cputime.Process()
	res, err := tak.RunLoad(cmd.Context(), tak.LoadConfig{
		Addr: ln.Addr().String(), Clients: clients, Duration: duration,
		Burst: burst, BurstEvery: every, Lat: 47.64884, Lon: 36.35962, Drain: drain,
		ExpectedFindings: func() int64 { return srv.Stats().Findings },
	})
	if err != nil {
		return err
	}
	cpu := cputime.Process() - before
	st := srv.Stats()
	w := cmd.OutOrStdout()
	secs := res.Elapsed.Seconds()
	fmt.Fprintf(w, "devices %d, reporting for %v (elapsed %.1f s with the drain), %d CPUs\n", res.Clients, duration, secs, runtime.NumCPU())
	fmt.Fprintf(w, "positions: sent %d, delivered %d of %d (%.0f/s)\n", res.PositionsSent, res.PositionsReceived, res.PositionsExpected, float64(res.PositionsReceived)/secs)
	fmt.Fprintf(w, "markers:   sent %d, stored %d, findings published %d, delivered %d of %d\n", res.MarkersSent, st.Stored, res.FindingsPublished, res.FindingsReceived, res.FindingsExpected)
	fmt.Fprintf(w, "latency, position to other devices: %v\n", res.Position)
	fmt.Fprintf(w, "latency, finding sent to every device: %v\n", res.Finding)
	fmt.Fprintf(w, "latency, marker to its finding on every device (ingest, judge, commit, fan-out): %v\n", res.MarkerToFinding)
	fmt.Fprintf(w, "server: cut %d, undelivered %d, lost observations %d; devices disconnected %d; CPU %.1f s (%.2f cores)\n",
		st.Cut, st.Undelivered, st.Lost, res.Disconnected, cpu.Seconds(), cpu.Seconds()/secs)
	lost := res.Lost() + st.Lost + st.Undelivered
	if lost != 0 || res.Disconnected != 0 || res.MarkersSent > res.FindingsPublished {
		fmt.Fprintf(w, "FAIL: %d messages lost\n", lost)
		return exitError{code: 1}
	}
	if res.Position.P99 > 250*time.Millisecond || res.Finding.P99 > 250*time.Millisecond {
		fmt.Fprintln(w, "FAIL: p99 delivery over 250 ms")
		return exitError{code: 1}
	}
	fmt.Fprintln(w, "ok: nothing lost, p99 under 250 ms")
	return nil
}
