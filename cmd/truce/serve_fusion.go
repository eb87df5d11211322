package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/fusion"
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
		desk := env.Incidents
		batch := env.Pipe.NewBatcher(100, 500*time.Millisecond, func(err error) { env.Log.Warn("fusion: incident not stored", "err", err) })
		fuser := fusion.New(env.Judge.Agreement(), env.Judge.Engine(), fusion.Config{
			Horizon: horizon,
			OnClose: func(inc *fusion.Incident) {
				desk.onClose(inc)
				if o, ok := incidentObservation(inc); ok {
					batch.Add(&o)
				}
			},
		})
		desk.setFuser(fuser)
		restored, err := desk.restoreOpen(env.Ctx)
		if err != nil {
			batch.Close()
			return nil, fmt.Errorf("fusion: open incidents: %w", err)
		}
		from, err := env.Store.FusedThrough(env.Ctx)
		if err != nil {
			batch.Close()
			return nil, fmt.Errorf("fusion: %w", err)
		}
		if restored > 0 || from > 0 {
			env.Log.Info("fusion: resuming", "after_seq", from, "open_incidents", restored)
		}
		ctx, cancel := context.WithCancel(env.Ctx)
		done := make(chan struct{})
		skip := func(o *truce.Observation) bool { return o.Source == fusionSource || o.Kind == "sea.vessel" }
		notFused := func(o *truce.Observation, err error) {
			env.Log.Debug("fusion: report not fused", "id", o.ID, "err", err)
		}
		go func() {
			defer close(done)
			err := env.Pipe.Follow(ctx, env.Store, from, func(events []truce.Event) {
				// Storing is not cut short by the server stopping: what was fused is stored.
				if err := desk.fuse(context.Background(), events, skip, notFused); err != nil {
					env.Log.Error("fusion: incidents not stored", "err", err)
				}
			})
			if err != nil {
				env.Log.Error("fusion: stopped following the store", "err", err)
			}
		}()
		return func() {
			cancel()
			<-done
			// Open incidents stay open: they are stored, and taken up again on the next start.
			batch.Close()
		}, nil
	})
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
