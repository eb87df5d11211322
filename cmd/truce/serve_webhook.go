package main

import (
	"context"
	"sync"
	"time"

	"github.com/truce-project/truce/webhook"
)

func init() { serveStarters = append(serveStarters, startLiaisonChannel) }

// overdueEvery is how often serve looks for inspection requests that have become overdue.
const overdueEvery = time.Minute

// startLiaisonChannel delivers the liaison channel's notices to the registered webhooks (from
// the outbox in the data folder, so that deliveries pending at a restart go out after it) and
// flags inspection requests as they become overdue.
func startLiaisonChannel(env *serveEnv) (func(), error) {
	ctx, cancel := context.WithCancel(env.Ctx)
	d := webhook.New(env.Store, webhook.Options{Log: env.Log})
	env.Server.AddNotifier(d)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		d.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		env.Server.Watch(ctx, overdueEvery)
	}()
	return func() {
		cancel()
		wg.Wait()
	}, nil
}
