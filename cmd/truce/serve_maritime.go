package main

import (
	"context"
	"errors"
	"os"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/maritime"
)

// The maritime detectors of `truce serve`: every vessel observation stored, whatever its
// source, goes through the detectors; what they find (dark periods, encounters, loitering,
// impossible jumps, stand-off breaches, vessels in exclusion zones) comes back into the
// pipeline as an observation of source "maritime" with attrs.event, for the agreement's rules
// to judge.
func init() {
	var enabled bool
	var shoreFile string
	serveCmd.Flags().BoolVar(&enabled, "maritime", false, "run the maritime detectors on stored vessel observations (on with --demo)")
	serveCmd.Flags().StringVar(&shoreFile, "maritime-shore", "", "GeoJSON coastline for distances from shore (default: the built-in Black Sea coastline)")
	serveStarters = append(serveStarters, func(env *serveEnv) (func(), error) {
		if !enabled && !env.Demo {
			return nil, nil
		}
		shore, err := loadShore(shoreFile)
		if err != nil {
			return nil, err
		}
		det, err := maritime.NewDetector(env.Judge.Agreement(), shore, maritime.Config{})
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithCancel(env.Ctx)
		batch := env.Pipe.NewBatcher(100, 500*time.Millisecond, func(err error) { env.Log.Warn("maritime: event not stored", "err", err) })
		done := make(chan struct{})
		from := env.Pipe.Feed().Last() // read now: the detectors see everything stored from here on
		go func() {
			defer close(done)
			err := env.Pipe.Follow(ctx, env.Store, from, func(events []truce.Event) {
				for i := range events {
					o := events[i].Observation
					if o.Kind != "sea.vessel" || o.Source == maritime.EventSource {
						continue
					}
					for _, e := range det.Observe(o) {
						obs := maritime.EventObservation(&e)
						batch.Add(&obs)
					}
				}
			})
			if err != nil {
				env.Log.Error("maritime: stopped following the store", "err", err)
			}
		}()
		return func() {
			cancel()
			<-done
			batch.Close()
		}, nil
	})
}

func loadShore(file string) (*maritime.Shore, error) {
	if file == "" {
		return maritime.BlackSea()
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	shore, err := maritime.ReadShoreGeoJSON(data)
	if err != nil {
		return nil, errors.Join(errors.New("--maritime-shore "+file), err)
	}
	return shore, nil
}
