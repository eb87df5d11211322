package main

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/truce-project/truce/ais"
)

// AIS sources of `truce serve`: NMEA sentences from shore receivers (UDP) and aggregators
// (TCP), decoded, turned into sea.vessel observations and fed to the pipeline like any other
// source.
func init() {
	var udpAddrs, tcpAddrs []string
	var source string
	serveCmd.Flags().StringArrayVar(&udpAddrs, "ais-udp", nil, "listen for AIS NMEA datagrams on HOST:PORT (\":10110\" listens on 127.0.0.1); may be repeated")
	serveCmd.Flags().StringArrayVar(&tcpAddrs, "ais-tcp", nil, "connect to an AIS feeder at HOST:PORT, reconnecting with back-off; may be repeated")
	serveCmd.Flags().StringVar(&source, "ais-source", "ais", "source of AIS observations whose sentences carry no tag block source")
	serveStarters = append(serveStarters, func(env *serveEnv) (func(), error) {
		if len(udpAddrs) == 0 && len(tcpAddrs) == 0 {
			return nil, nil
		}
		ctx, cancel := context.WithCancel(env.Ctx)
		var wg sync.WaitGroup
		var batchers []func()
		start := func(kind, addr string, run func(ctx context.Context, addr string, h ais.Handler, o ais.FeedOptions) error) {
			batch := env.Pipe.NewBatcher(500, 250*time.Millisecond, func(err error) { env.Log.Warn("ais: observation not stored", "feed", addr, "err", err) })
			batchers = append(batchers, batch.Close)
			// Vessels is not safe for concurrent use: each feed has its own (a feed calls its
			// handler from one goroutine).
			vessels := &ais.Vessels{DefaultSource: source}
			stats := &ais.FeedStats{}
			opt := ais.FeedOptions{Stats: stats, OnError: func(err error) { env.Log.Debug("ais", "feed", addr, "err", err) }}
			wg.Add(1)
			go func() {
				defer wg.Done()
				env.Log.Info("ais feed", "kind", kind, "addr", addr)
				err := run(ctx, addr, func(m *ais.Message, at time.Time) {
					if o, ok := vessels.Observe(m, at); ok {
						batch.Add(&o)
					}
				}, opt)
				if err != nil && ctx.Err() == nil {
					env.Log.Error("ais feed stopped", "addr", addr, "err", err)
				}
			}()
		}
		for _, a := range udpAddrs {
			start("udp", loopbackIfNoHost(a), ais.ListenUDP)
		}
		for _, a := range tcpAddrs {
			start("tcp", a, ais.DialTCP)
		}
		return func() {
			cancel()
			wg.Wait()
			for _, closeBatch := range batchers {
				closeBatch()
			}
		}, nil
	})
}

// loopbackIfNoHost gives ":PORT" the host 127.0.0.1: listening on every interface is a
// choice to make explicitly (0.0.0.0:PORT).
func loopbackIfNoHost(addr string) string {
	if host, port, err := net.SplitHostPort(addr); err == nil && host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}
