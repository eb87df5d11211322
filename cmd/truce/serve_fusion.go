package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/fusion"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/sqlite"
)

// fusionSource is the source of the observations the fusion reports: one per incident of fire
// whose origin it located, so that the agreement's rules that attribute by origin judge it.
const fusionSource = "fusion"

// Fusion in `truce serve`: every stored report (vessels and derived reports aside) goes to the
// fuser in store order, and the incidents it changes are stored with it (incidentDesk.fuse), so
// that they are served as they grow and taken up again after a restart: fusion resumes after
// the last event it stored incidents for, with the incidents still open then. When an incident
// of fire closes with its origin located, it comes back through the pipeline as one observation
// of source "fusion" at the located position, carrying origin_lat, origin_lon and origin_ce_m
// (the origin's 95% ellipse) and the incident's members, so that rules with `attribution:
// origin` attribute it.
func init() {
	var enabled bool
	var horizon time.Duration
	serveCmd.Flags().BoolVar(&enabled, "fusion", false, "fuse reports into incidents and report located fire for attribution by origin (on with --demo)")
	serveCmd.Flags().DurationVar(&horizon, "fusion-horizon", 2*time.Hour, "how long, in observation time, an incident stays open after its last report")
	serveStarters = append(serveStarters, func(env *serveEnv) (func(), error) {
		if !enabled && !env.Demo {
			return nil, nil
		}
		return startFusion(env.Ctx, env.Log, env.Judge, env.Pipe, env.Store, env.Incidents, horizon)
	})
}

// startFusion runs the server's fusion on pipe and store, keeping desk's incidents, until the
// returned stop is called.
func startFusion(ctx context.Context, log *slog.Logger, judge *rules.Judge, pipe *ingest.Pipeline, store *sqlite.DB, desk *incidentDesk, horizon time.Duration) (func(), error) {
	batch := pipe.NewBatcher(100, 500*time.Millisecond, func(err error) { log.Warn("fusion: incident not stored", "err", err) })
	fuser := fusion.New(judge.Agreement(), judge.Engine(), fusion.Config{
		Horizon: horizon,
		OnClose: func(inc *fusion.Incident) {
			desk.onClose(inc)
			if o, ok := incidentObservation(inc); ok {
				batch.Add(&o)
			}
		},
	})
	desk.setFuser(fuser)
	desk.onFlushError = func(err error) { log.Error("fusion: incidents not stored", "err", err) }
	restored, err := desk.restoreOpen(ctx)
	if err != nil {
		batch.Close()
		return nil, fmt.Errorf("fusion: open incidents: %w", err)
	}
	from, err := store.FusedThrough(ctx)
	if err != nil {
		batch.Close()
		return nil, fmt.Errorf("fusion: %w", err)
	}
	if restored > 0 || from > 0 {
		log.Info("fusion: resuming", "after_seq", from, "open_incidents", restored)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	notFused := func(o *truce.Observation, err error) {
		log.Debug("fusion: report not fused", "id", o.ID, "err", err)
	}
	go func() {
		defer close(done)
		err := pipe.Follow(ctx, store, from, func(events []truce.Event) {
			// Storing is not cut short by the server stopping: what was fused is stored.
			if err := desk.fuse(context.Background(), events, notFusedHere, notFused); err != nil {
				log.Error("fusion: incidents not stored", "err", err)
			}
		})
		if err != nil {
			log.Error("fusion: stopped following the store", "err", err)
		}
		if err := desk.flush(context.Background()); err != nil {
			log.Error("fusion: incidents not stored", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
		// Open incidents stay open: they are stored, and taken up again on the next start.
		batch.Close()
	}, nil
}

// notFusedHere says which stored reports the server's fusion leaves alone: its own reports of
// located fire, and vessels' positions, which are tracks for package maritime.
func notFusedHere(o *truce.Observation) bool {
	return o.Source == fusionSource || o.Kind == "sea.vessel"
}

// incidentObservation is the report of a closed incident of fire whose origin was located by
// more than one report.
func incidentObservation(inc *fusion.Incident) (truce.Observation, bool) {
	if inc.Origin == nil || len(inc.Members) < 2 || !strings.HasPrefix(inc.Class, "fire") {
		return truce.Observation{}, false
	}
	first := inc.Members[0].Observation
	at := inc.Origin
	if inc.Position != nil {
		at = inc.Position
	}
	members := make([]any, len(inc.Members))
	for i, m := range inc.Members {
		members[i] = m.Key()
	}
	attrs := map[string]any{"incident": inc.ID, "members": members, "sources": float64(inc.Sources),
		"confidence": inc.Confidence, "explanation": inc.Attribution.Explanation}
	inc.OriginAttrs(attrs)
	return truce.Observation{ID: inc.ID, Source: fusionSource, Time: inc.Start, Kind: first.Kind,
		Lat: at.Lat, Lon: at.Lon, CEm: at.Ellipse.SemiMajorM, Attrs: attrs}, true
}
