package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// cpuTime returns the CPU time (user and system) this process has used. The machine the
// benchmarks run on is shared, so besides wall time they report CPU time, which other
// processes' load does not inflate.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchmarkIngest stores b.N batches of size observations, none a duplicate, with i%3 findings
// for observation i (one on average) or none, and reports observations a second of wall time,
// CPU microseconds an observation, and observations a second of CPU time.
func benchmarkIngest(b *testing.B, size int, findings bool) {
	benchmarkIngestInto(b, open(b), size, findings)
}

func benchmarkIngestInto(b *testing.B, db *DB, size int, findings bool) {
	ctx := context.Background()
	const prepared = 16
	batches := make([][]truce.Judged, prepared)
	for i := range batches {
		batches[i] = judged(i*size, size)
		if !findings {
			for j := range batches[i] {
				batches[i][j].Findings = nil
			}
		}
	}
	var cpu, wall time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		batch := batches[n%prepared]
		if n >= prepared {
			// A fresh (source, id) and finding ID for each observation, so the batch is
			// stored, not taken for duplicates. This is not timed.
			b.StopTimer()
			suffix := "+" + strconv.Itoa(n)
			for j := range batch {
				o := *batch[j].Observation
				o.ID = batches[n%prepared][j].Observation.ID + suffix
				batch[j].Observation = &o
				fs := make([]truce.Finding, len(batch[j].Findings))
				for k := range fs {
					fs[k] = batch[j].Findings[k]
					fs[k].ID += suffix
				}
				batch[j].Findings = fs
			}
			b.StartTimer()
		}
		c0, w0 := cpuTime(), time.Now()
		dup, _, err := db.Ingest(ctx, batch)
		cpu += cpuTime() - c0
		wall += time.Since(w0)
		if err != nil {
			b.Fatal(err)
		}
		if dup[0] {
			b.Fatal("a fresh observation was taken for a duplicate")
		}
	}
	obs := float64(b.N * size)
	b.ReportMetric(obs/wall.Seconds(), "obs/s")
	b.ReportMetric(float64(cpu.Microseconds())/obs, "cpu-µs/obs")
	b.ReportMetric(obs/cpu.Seconds(), "obs/cpu-s")
}

// BenchmarkIngest stores batches of 1,000 observations with one finding each on average.
func BenchmarkIngest(b *testing.B) { benchmarkIngest(b, 1000, true) }

// BenchmarkIngestNoFindings stores batches of 1,000 observations without findings, the
// common case of a quiet day.
func BenchmarkIngestNoFindings(b *testing.B) { benchmarkIngest(b, 1000, false) }

// BenchmarkIngestOneFindingInTen stores batches of 1,000 observations of which one in ten has
// a finding: a busy day, when most reports are within the agreement.
func BenchmarkIngestOneFindingInTen(b *testing.B) {
	db := open(b)
	ctx := context.Background()
	var cpu, wall time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		batch := judged(n*1000, 1000)
		for j := range batch {
			if j%10 != 0 {
				batch[j].Findings = nil
			} else if len(batch[j].Findings) == 0 {
				batch[j].Findings = []truce.Finding{finding(batch[j].Observation, 0)}
			} else {
				batch[j].Findings = batch[j].Findings[:1]
			}
		}
		b.StartTimer()
		c0, w0 := cpuTime(), time.Now()
		if _, _, err := db.Ingest(ctx, batch); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		wall += time.Since(w0)
	}
	obs := float64(b.N * 1000)
	b.ReportMetric(obs/wall.Seconds(), "obs/s")
	b.ReportMetric(float64(cpu.Microseconds())/obs, "cpu-µs/obs")
	b.ReportMetric(obs/cpu.Seconds(), "obs/cpu-s")
}

// queryStoreSize is the number of observations (and, one each on average, findings) the query
// benchmarks search.
const queryStoreSize = 100_000

var queryStore struct {
	path string
	db   *DB
}

// storedForQueries returns a store holding queryStoreSize observations and their findings,
// built once for all the query benchmarks of a run.
func storedForQueries(b *testing.B) *DB {
	b.Helper()
	if queryStore.db != nil {
		return queryStore.db
	}
	dir, err := os.MkdirTemp("", "truce-sqlite-bench")
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "truce.db")
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	for lo := 0; lo < queryStoreSize; lo += 1000 {
		if _, _, err := db.Ingest(context.Background(), judged(lo, 1000)); err != nil {
			b.Fatal(err)
		}
	}
	// The R*Tree the bbox benchmarks compare with the plain columns.
	if _, err := db.write.Exec(`CREATE VIRTUAL TABLE bench_rtree USING rtree(seq, min_lat, max_lat, min_lon, max_lon)`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.write.Exec(`INSERT INTO bench_rtree SELECT seq, lat, lat, lon, lon FROM observations`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.write.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	queryStore.path, queryStore.db = path, db
	return db
}

func TestMain(m *testing.M) {
	code := m.Run()
	if queryStore.db != nil {
		queryStore.db.Close()
		os.RemoveAll(filepath.Dir(queryStore.path))
	}
	os.Exit(code)
}

// The boxes the bbox benchmarks search: the generated positions fill 35–36N, 33–34E evenly.
var (
	smallBox = &truce.BBox{MinLat: 35.40, MaxLat: 35.45, MinLon: 33.40, MaxLon: 33.45} // 0.25% of the points
	largeBox = &truce.BBox{MinLat: 35.0, MaxLat: 35.5, MinLon: 33.0, MaxLon: 34.0}     // half of them
)

// BenchmarkFindings reads one page of 100 findings under each filter, from a store of 100,000
// observations and as many findings.
func BenchmarkFindings(b *testing.B) {
	db := storedForQueries(b)
	ctx := context.Background()
	// A cursor 90% of the way through, for the deep page.
	var deep string
	{
		var pos int64
		if err := db.read.QueryRow(`SELECT pos FROM findings ORDER BY pos LIMIT 1 OFFSET ?`, queryStoreSize*9/10).Scan(&pos); err != nil {
			b.Fatal(err)
		}
		deep = encodeCursor(findingCursor, pos)
	}
	for _, c := range []struct {
		name string
		f    truce.FindingFilter
	}{
		{"first page", truce.FindingFilter{}},
		{"deep page", truce.FindingFilter{Cursor: deep}},
		{"rule", truce.FindingFilter{Rule: "heavy-weapons"}},
		{"party and zone", truce.FindingFilter{Party: "east", Zone: "corridor"}},
		{"kind family", truce.FindingFilter{Kind: "fire.*"}},
		{"one hour", truce.FindingFilter{From: t0.Add(50000 * time.Second), To: t0.Add(53600 * time.Second)}},
		{"small bbox", truce.FindingFilter{BBox: smallBox}},
		{"large bbox", truce.FindingFilter{BBox: largeBox}},
		{"rare kind in a small bbox", truce.FindingFilter{Kind: "sea.vessel", BBox: smallBox}},
		{"no match", truce.FindingFilter{Rule: "no-such-rule"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for i := 0; i < b.N; i++ {
				page, _, err := db.Findings(ctx, c.f)
				if err != nil {
					b.Fatal(err)
				}
				n = len(page)
			}
			b.ReportMetric(float64(n), "findings/page")
		})
	}
}

// BenchmarkObservationsBBox compares three ways to find a page of 100 observations in a box:
// the plain lat and lon columns the store filters on, an R*Tree, and the same with the page
// walked by the R*Tree's matches rather than by rowid.
func BenchmarkObservationsBBox(b *testing.B) {
	db := storedForQueries(b)
	ctx := context.Background()
	for _, box := range []struct {
		name string
		box  *truce.BBox
	}{{"small", smallBox}, {"large", largeBox}} {
		b.Run(box.name+"/columns", func(b *testing.B) {
			n := 0
			for i := 0; i < b.N; i++ {
				page, _, err := db.Observations(ctx, truce.ObservationFilter{BBox: box.box})
				if err != nil {
					b.Fatal(err)
				}
				n = len(page)
			}
			b.ReportMetric(float64(n), "obs/page")
		})
		b.Run(box.name+"/rtree", func(b *testing.B) {
			bb := box.box
			n := 0
			for i := 0; i < b.N; i++ {
				rows, err := db.read.QueryContext(ctx, `SELECT `+observationColumns+` FROM observations
					WHERE seq IN (SELECT seq FROM bench_rtree WHERE min_lat >= ? AND max_lat <= ? AND min_lon >= ? AND max_lon <= ?)
					AND seq > 0 ORDER BY seq LIMIT 101`, bb.MinLat, bb.MaxLat, bb.MinLon, bb.MaxLon)
				if err != nil {
					b.Fatal(err)
				}
				n = 0
				for rows.Next() {
					if _, _, err := scanObservation(rows); err != nil {
						b.Fatal(err)
					}
					n++
				}
				rows.Close()
			}
			b.ReportMetric(float64(min(n, 100)), "obs/page")
		})
	}
}

// BenchmarkIngestWithRTree is BenchmarkIngest with an R*Tree kept up to date in the same
// transaction (through the ingest hook): what the R*Tree would cost every batch.
func BenchmarkIngestWithRTree(b *testing.B) {
	db := open(b)
	if _, err := db.write.Exec(`CREATE VIRTUAL TABLE bench_rtree USING rtree(seq, min_lat, max_lat, min_lon, max_lon)`); err != nil {
		b.Fatal(err)
	}
	db.SetIngestHook(func(ctx context.Context, tx *sql.Tx, stored []truce.Event) error {
		if len(stored) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO bench_rtree SELECT seq, lat, lat, lon, lon FROM observations WHERE seq >= ?`, stored[0].Seq)
		return err
	})
	benchmarkIngestInto(b, db, 1000, false)
}
