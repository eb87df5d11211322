package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/truce-project/truce/tak"
)

// The TAK endpoints of `truce serve`, off unless asked for.
var (
	takTCP, takTLS string
	takCatchUp     int
	takCatchUpFor  time.Duration
)

func init() {
	serveCmd.Flags().StringVar(&takTCP, "tak-tcp", "", "serve TAK clients over plain TCP at HOST:PORT (conventionally :8087; 127.0.0.1 when no host is given). Clients on it are taken as the mission's monitors: use it only on a network the mission trusts")
	serveCmd.Flags().StringVar(&takTLS, "tak-tls", "", "serve TAK clients over TLS at HOST:PORT (conventionally :8089; 127.0.0.1 when no host is given), with client certificates from `truce tak cert`; the CA is kept in the data folder")
	serveCmd.Flags().IntVar(&takCatchUp, "tak-catch-up", 500, "how many recent findings a TAK device is sent when it connects (those it may see, not dismissed); 0 for none")
	serveCmd.Flags().DurationVar(&takCatchUpFor, "tak-catch-up-window", 6*time.Hour, "how far back the findings sent to a connecting TAK device may have been observed")
	serveStarters = append(serveStarters, startTAK)
}

// takAddr puts 127.0.0.1 in an address given without a host, so that nothing is exposed
// beyond this machine unless a host is named.
func takAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "" {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}

func startTAK(env *serveEnv) (func(), error) {
	if takTCP == "" && takTLS == "" {
		return nil, nil
	}
	opt := tak.Options{Pipe: env.Pipe, Store: env.Store, Log: env.Log, CatchUp: takCatchUp, CatchUpWindow: takCatchUpFor}
	if takCatchUp <= 0 {
		opt.CatchUp = -1
	}
	if takTLS != "" {
		revs, err := tak.LoadRevocations(env.Data)
		if err != nil {
			return nil, fmt.Errorf("--tak-tls: %w", err)
		}
		opt.Revocations = revs
	}
	srv, err := tak.New(opt)
	if err != nil {
		return nil, err
	}
	type listener struct {
		ln   net.Listener
		conf *tls.Config // nil for plain TCP
	}
	var lns []listener
	fail := func(err error) (func(), error) {
		for _, l := range lns {
			l.ln.Close()
		}
		srv.Close()
		return nil, err
	}
	if takTCP != "" {
		ln, err := net.Listen("tcp", takAddr(takTCP))
		if err != nil {
			return fail(fmt.Errorf("--tak-tcp: %w", err))
		}
		lns = append(lns, listener{ln: ln})
		env.Log.Info("TAK over TCP (clients are trusted as monitors)", "addr", ln.Addr().String())
	}
	if takTLS != "" {
		addr := takAddr(takTLS)
		ca, err := tak.LoadOrCreateCA(env.Data)
		if err != nil {
			return fail(fmt.Errorf("--tak-tls: %w", err))
		}
		host, _, _ := net.SplitHostPort(addr)
		conf, err := ca.ServerTLSConfig(env.Data, host)
		if err != nil {
			return fail(fmt.Errorf("--tak-tls: %w", err))
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fail(fmt.Errorf("--tak-tls: %w", err))
		}
		lns = append(lns, listener{ln: ln, conf: conf})
		env.Log.Info("TAK over TLS", "addr", ln.Addr().String(), "ca", env.Data+"/"+tak.CACertFile)
	}
	if env.Server != nil {
		// Liaisons' devices are told when a finding concerning their party is verified.
		env.Server.AddNotifier(srv)
	}
	for _, l := range lns {
		go func() {
			var err error
			if l.conf != nil {
				err = srv.ServeTLS(l.ln, l.conf)
			} else {
				err = srv.Serve(l.ln)
			}
			if err != nil {
				env.Log.Error("TAK listener stopped", "addr", l.ln.Addr().String(), "err", err)
			}
		}()
	}
	return func() {
		srv.Close()
		st := srv.Stats()
		env.Log.Info("TAK stopped", "connections", st.Accepted, "stored", st.Stored, "findings_sent", st.Findings, "cut", st.Cut, "lost", st.Lost, "revoked", st.Revoked)
	}, nil
}
