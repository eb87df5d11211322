package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
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
		revoke, revokeSerial                 string
		port                                 int
	)
	certCmd := &cobra.Command{
		Use:   "cert --client NAME [--role monitor|liaison] [--party ID] [--data DIR] [--out DIR] [--host HOST] | --revoke NAME | --revoke-serial HEX",
		Short: "Issue a device's client certificate and a TAK data package to import it, or revoke one",
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
kept. Every certificate issued is listed in the data folder (tak-clients.jsonl).

--revoke NAME revokes every certificate issued to the device NAME so far (a certificate issued
to NAME afterwards is not revoked); --revoke-serial revokes one certificate by its serial
number in hexadecimal, as ` + "`openssl x509 -serial -noout -in NAME.pem`" + ` prints it. Revocations are
recorded in the data folder (tak-revoked.jsonl): the TLS endpoint refuses the certificate at
the handshake, and a running truce serve reads the file every 2 s and disconnects a device
connected with it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("data") {
				data = envOr("TRUCE_DATA", defaultData)
			}
			if revoke != "" || revokeSerial != "" {
				return revokeCert(cmd, data, client, revoke, revokeSerial)
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
	certCmd.Flags().StringVar(&revoke, "revoke", "", "revoke every certificate issued to the device NAME")
	certCmd.Flags().StringVar(&revokeSerial, "revoke-serial", "", "revoke the certificate with this serial number (hexadecimal)")
	takCmd.AddCommand(certCmd)
	addTAKLoad(takCmd)
	rootCmd.AddCommand(takCmd)
	addBenchTAK()
}

// revokeCert is `truce tak cert --revoke NAME` and `--revoke-serial HEX`.
func revokeCert(cmd *cobra.Command, data, client, name, serial string) error {
	if client != "" || name != "" && serial != "" {
		return errors.New("--revoke NAME, --revoke-serial HEX and --client NAME go one at a time")
	}
	var revs []tak.Revocation
	if name != "" {
		r, err := tak.Revoke(data, name)
		if err != nil {
			return fmt.Errorf("%s", truce.ErrorMessage(err))
		}
		revs = r
	} else {
		r, err := tak.RevokeSerial(data, serial)
		if err != nil {
			return fmt.Errorf("%s", truce.ErrorMessage(err))
		}
		revs = append(revs, r)
	}
	w := cmd.OutOrStdout()
	for _, r := range revs {
		who := r.Name
		if who == "" {
			who = "(a certificate not in " + tak.ClientsFile + ")"
		}
		fmt.Fprintf(w, "revoked:    %s, serial %s, at %s\n", who, r.Serial, r.Revoked.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "recorded in %s; a running server disconnects the device within seconds\n", filepath.Join(data, tak.RevokedFile))
	return nil
}

// loadFlags are the simulated devices' settings, shared by `truce bench tak` and `truce tak
// load`.
type loadFlags struct {
	clients, burst  int
	duration, every time.Duration
	drain           time.Duration
}

func (f *loadFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVar(&f.clients, "clients", 1000, "simulated devices")
	cmd.Flags().DurationVar(&f.duration, "duration", 20*time.Second, "how long the devices report")
	cmd.Flags().IntVar(&f.burst, "burst", 500, "markers in a burst")
	cmd.Flags().DurationVar(&f.every, "burst-every", 5*time.Second, "time between bursts")
	cmd.Flags().DurationVar(&f.drain, "drain", 20*time.Second, "longest wait for the last deliveries after the devices stop")
}

func (f *loadFlags) args() []string {
	return []string{"--clients", strconv.Itoa(f.clients), "--duration", f.duration.String(),
		"--burst", strconv.Itoa(f.burst), "--burst-every", f.every.String(), "--drain", f.drain.String()}
}

// The notional agreement's demilitarised zone, where a vehicle marker becomes a finding.
const loadLat, loadLon = 47.64884, 36.35962

// addTAKLoad adds `truce tak load`: the simulated devices alone, against a server that runs
// elsewhere (another process, or `truce serve --tak-tcp`).
func addTAKLoad(takCmd *cobra.Command) {
	var (
		lf        loadFlags
		addr      string
		asJSON    bool
		askCounts bool
	)
	cmd := &cobra.Command{
		Use:   "load --addr HOST:PORT [--clients N] [--duration D] [--burst N] [--burst-every D]",
		Short: "Load a running TAK endpoint (plain TCP) with simulated devices and measure delivery",
		Long: `Connects --clients simulated devices to the TAK endpoint at --addr, each speaking TAK protocol
version 1 and reporting its position once a second; every --burst-every one device drops
--burst markers at once in the notional agreement's demilitarised zone. Every device reads
everything the server sends and notes when each position and finding arrived.

Every device must receive every other device's positions, and as many findings as the device
that received the most (at least one per marker). Prints the deliveries and their latency;
exits 1 if anything was lost. ` + "`truce bench tak`" + ` runs this in a process of its own against a
server it starts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if addr == "" {
				return errors.New("--addr HOST:PORT is required")
			}
			cfg := tak.LoadConfig{Addr: addr, Clients: lf.clients, Duration: lf.duration,
				Burst: lf.burst, BurstEvery: lf.every, Lat: loadLat, Lon: loadLon, Drain: lf.drain}
			w := cmd.OutOrStdout()
			if askCounts {
				// The parent (truce bench tak) holds the server and answers each question with
				// the number of findings it has published.
				in := bufio.NewScanner(cmd.InOrStdin())
				cfg.ExpectedFindings = func() int64 {
					fmt.Fprintln(w, "findings?")
					if !in.Scan() {
						return 0
					}
					n, _ := strconv.ParseInt(strings.TrimSpace(in.Text()), 10, 64)
					return n
				}
			}
			res, err := tak.RunLoad(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(w).Encode(res)
			}
			printLoad(w, res)
			if res.Lost() != 0 || res.Disconnected != 0 {
				fmt.Fprintf(w, "FAIL: %d deliveries lost, %d devices disconnected\n", res.Lost(), res.Disconnected)
				return exitError{code: 1}
			}
			return nil
		},
	}
	lf.register(cmd)
	cmd.Flags().StringVar(&addr, "addr", "", "the server's TAK TCP endpoint")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().BoolVar(&askCounts, "ask-findings", false, "ask for the number of findings published by writing \"findings?\" to standard output and reading the answer from standard input (how truce bench tak runs it)")
	cmd.Flags().MarkHidden("ask-findings")
	takCmd.AddCommand(cmd)
}

func printLoad(w io.Writer, res *tak.LoadResult) {
	secs := res.Elapsed.Seconds()
	fmt.Fprintf(w, "devices %d, elapsed %.1f s with the drain\n", res.Clients, secs)
	fmt.Fprintf(w, "positions: sent %d, delivered %d of %d (%.0f/s)\n", res.PositionsSent, res.PositionsReceived, res.PositionsExpected, float64(res.PositionsReceived)/secs)
	fmt.Fprintf(w, "markers:   sent %d, findings published %d, delivered %d of %d\n", res.MarkersSent, res.FindingsPublished, res.FindingsReceived, res.FindingsExpected)
	fmt.Fprintf(w, "latency, position to other devices: %v\n", res.Position)
	fmt.Fprintf(w, "latency, marker sent to its finding read on every device (ingest, judge, commit, fan-out): %v\n", res.MarkerToFinding)
	fmt.Fprintf(w, "latency, finding sent by the server to read on every device: %v\n", res.Finding)
}

// addBenchTAK adds ` + "`truce bench tak`" + ` to the bench command (made in bench.go, whose init runs
// before this file's), or to the root when there is none.
func addBenchTAK() {
	var (
		lf                    loadFlags
		queue                 int
		flush                 time.Duration
		cpuProfile, traceFile string
		inProcess             bool
	)
	cmd := &cobra.Command{
		Use:   "tak [--clients N] [--duration D] [--burst N] [--burst-every D]",
		Short: "Load a TAK endpoint on loopback with simulated devices and measure fan-out",
		Long: `Starts a server in this process (the built-in notional agreement, a temporary data folder,
the TAK endpoint on a loopback port) and connects --clients simulated devices, each speaking
TAK protocol version 1, from a second process (` + "`truce tak load`" + `; --in-process runs them in
this one). Each device reports its position once a second; every --burst-every one device drops
--burst markers at once in the demilitarised zone, each of which becomes a finding. Every
device reads everything: every other device's positions and every finding.

Prints what was sent and delivered and the delivery latency (from the time in the event to the
moment a device has read the whole message, in milliseconds) of positions, of findings from the
marker's sending (ingest, judging, the store's commit and fan-out), and of findings from the
server's sending. Exits 1 if any message was lost or the p99 delivery of positions or of
findings from their markers is over 250 ms. The devices and the server share this machine's
CPUs; --cpuprofile and --trace record the server's process.`,
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
			if traceFile != "" {
				f, err := os.Create(traceFile)
				if err != nil {
					return err
				}
				if err := trace.Start(f); err != nil {
					return err
				}
				defer trace.Stop()
			}
			return benchTAK(cmd, lf, queue, flush, inProcess)
		},
	}
	lf.register(cmd)
	cmd.Flags().IntVar(&queue, "queue", 0, "the server's per-device queue (default: the server's)")
	cmd.Flags().DurationVar(&flush, "flush", 0, "how long the server gathers positions before relaying them (default: the server's)")
	cmd.Flags().BoolVar(&inProcess, "in-process", false, "run the simulated devices in this process, sharing its scheduler and collector with the server")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of this process to FILE")
	cmd.Flags().StringVar(&traceFile, "trace", "", "write an execution trace of this process to FILE (go tool trace)")
	benchCmd.AddCommand(cmd)
}

func benchTAK(cmd *cobra.Command, lf loadFlags, queue int, flush time.Duration, inProcess bool) error {
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
	published := func() int64 { return srv.Stats().Findings }
	ioBefore := processIO()
	before := cputime.Process()
	var (
		res        *tak.LoadResult
		devicesCPU time.Duration
	)
	if inProcess {
		res, err = tak.RunLoad(cmd.Context(), tak.LoadConfig{
			Addr: ln.Addr().String(), Clients: lf.clients, Duration: lf.duration,
			Burst: lf.burst, BurstEvery: lf.every, Lat: loadLat, Lon: loadLon, Drain: lf.drain,
			ExpectedFindings: published,
		})
	} else {
		res, devicesCPU, err = runLoadProcess(cmd, ln.Addr().String(), lf, published)
	}
	if err != nil {
		return err
	}
	cpu := cputime.Process() - before
	ioAfter := processIO()
	st := srv.Stats()
	w := cmd.OutOrStdout()
	secs := res.Elapsed.Seconds()
	where := "in a second process"
	if inProcess {
		where = "in this process"
	}
	fmt.Fprintf(w, "devices %d (%s), reporting for %v, %d CPUs, load average %s\n", res.Clients, where, lf.duration, runtime.NumCPU(), loadAverage())
	printLoad(w, res)
	fmt.Fprintf(w, "server: stored %d, cut %d, undelivered %d, lost observations %d; devices disconnected %d\n",
		st.Stored, st.Cut, st.Undelivered, st.Lost, res.Disconnected)
	if inProcess {
		fmt.Fprintf(w, "CPU: server and devices %.1f s (%.2f cores)\n", cpu.Seconds(), cpu.Seconds()/secs)
	} else {
		fmt.Fprintf(w, "CPU: server %.1f s (%.2f cores), devices %.1f s (%.2f cores)\n", cpu.Seconds(), cpu.Seconds()/secs, devicesCPU.Seconds(), devicesCPU.Seconds()/secs)
	}
	if ioBefore != nil && ioAfter != nil {
		n, b := ioAfter["syscw"]-ioBefore["syscw"], ioAfter["wchar"]-ioBefore["wchar"]
		fmt.Fprintf(w, "server writes: %d system calls, %.0f MB, %.1f KB each\n", n, float64(b)/1e6, float64(b)/1e3/float64(max(n, 1)))
	}
	lost := res.Lost() + st.Lost + st.Undelivered
	if lost != 0 || res.Disconnected != 0 || res.MarkersSent > res.FindingsPublished {
		fmt.Fprintf(w, "FAIL: %d messages lost\n", lost)
		return exitError{code: 1}
	}
	if res.Position.P99 > 250*time.Millisecond || res.MarkerToFinding.P99 > 250*time.Millisecond {
		fmt.Fprintln(w, "FAIL: p99 delivery over 250 ms")
		return exitError{code: 1}
	}
	fmt.Fprintln(w, "ok: nothing lost, p99 under 250 ms")
	return nil
}

// runLoadProcess runs `truce tak load` against addr in a child process, answering its
// questions with published, and returns its result and the CPU time it used.
func runLoadProcess(cmd *cobra.Command, addr string, lf loadFlags, published func() int64) (*tak.LoadResult, time.Duration, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, 0, err
	}
	child := exec.CommandContext(cmd.Context(), exe, append([]string{"tak", "load", "--addr", addr, "--json", "--ask-findings"}, lf.args()...)...)
	// Under go test the executable is the test binary, which behaves as truce when asked.
	child.Env = append(os.Environ(), "TRUCE_RUN_AS_COMMAND=1")
	child.Stderr = cmd.ErrOrStderr()
	stdin, err := child.StdinPipe()
	if err != nil {
		return nil, 0, err
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		return nil, 0, err
	}
	if err := child.Start(); err != nil {
		return nil, 0, err
	}
	var res *tak.LoadResult
	var perr error
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case string(line) == "findings?":
			fmt.Fprintln(stdin, published())
		case len(line) > 0 && line[0] == '{':
			res = new(tak.LoadResult)
			perr = json.Unmarshal(line, res)
		}
	}
	stdin.Close()
	werr := child.Wait()
	var cpu time.Duration
	if child.ProcessState != nil {
		cpu = child.ProcessState.UserTime() + child.ProcessState.SystemTime()
	}
	switch {
	case werr != nil:
		return nil, cpu, fmt.Errorf("truce tak load: %w", werr)
	case perr != nil:
		return nil, cpu, fmt.Errorf("truce tak load: result: %w", perr)
	case res == nil:
		return nil, cpu, errors.New("truce tak load printed no result")
	}
	return res, cpu, nil
}

// processIO reads this process's I/O counters (/proc/self/io: wchar, syscw...), or nil.
func processIO() map[string]int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return nil
	}
	m := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err == nil {
			m[k] = n
		}
	}
	return m
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes, or "n/a".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}
