package report_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/sim"
	"github.com/truce-project/truce/sqlite"
)

// notionalEast compiles the notional example agreement (time zone Europe/Kyiv).
func notionalEast(t testing.TB) *rules.Judge {
	t.Helper()
	a, err := agreement.Load(filepath.Join("..", "examples", "notional-east"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := rules.Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// openStore opens a fresh SQLite store in the test's temporary folder.
func openStore(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "truce.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// played is a simulated stretch of days stored as the pipeline would store it: every
// observation judged and ingested in batches, with its truth.
type played struct {
	obs      map[string]truce.Observation // by source/id
	labels   map[string]sim.Label
	findings []truce.Finding
	truth    *sim.Truth
}

func key(source, id string) string { return source + "/" + id }

// playSim runs the scenario into db.
func playSim(t testing.TB, j *rules.Judge, db *sqlite.DB, cfg sim.Config) *played {
	t.Helper()
	sc, err := sim.New(j, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &played{obs: map[string]truce.Observation{}, labels: map[string]sim.Label{}, truth: sim.NewTruth(sc)}
	ctx := context.Background()
	var batch []truce.Judged
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if _, _, err := db.Ingest(ctx, batch); err != nil {
			t.Fatal(err)
		}
		batch = batch[:0]
	}
	for o, l := range sc.Observations() {
		o := o
		fs := j.Judge(&o, nil)
		p.obs[key(o.Source, o.ID)] = o
		p.labels[key(o.Source, o.ID)] = l
		p.findings = append(p.findings, fs...)
		p.truth.Add(l)
		batch = append(batch, truce.Judged{Observation: &o, Findings: fs})
		if len(batch) == 1000 {
			flush()
		}
	}
	flush()
	return p
}

// kyiv is the notional agreement's time zone.
func kyiv(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
