package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
)

const benchBatch = 1000

// cpuTime returns the CPU time (user and system) this process has used. The machine the
// benchmarks run on is shared, so besides wall time they report CPU time per record, which
// other processes' load does not inflate.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// encodeAll encodes a batch, as Append does before it stores it.
func encodeAll(b *testing.B, batch []Record) []Encoded {
	out := make([]Encoded, len(batch))
	for i, r := range batch {
		var err error
		if out[i], err = r.Encode(); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

func reportPerRecord(b *testing.B, cpuStart time.Duration) {
	records := float64(b.N * benchBatch)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
	b.ReportMetric(float64((cpuTime()-cpuStart).Nanoseconds())/records, "cpu-ns/record")
}

// benchDB returns a SQLite file holding the ledger's tables and a plain table of records laid
// out as ledger_entries, in the configuration the embedded store uses (WAL,
// synchronous=NORMAL), with prefill records logged.
func benchDB(b *testing.B, prefill int) *sql.DB {
	b.Helper()
	db := openDB(b)
	if _, err := db.Exec(`CREATE TABLE plain_entries (idx INTEGER PRIMARY KEY, n INTEGER NOT NULL, data BYTEA NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	for n := 0; n < prefill; n += benchBatch {
		appendN(b, db, benchBatch)
	}
	return db
}

// BenchmarkAppendLoggedBatch appends batches of 1,000 observation records to the log, each in
// its own SQLite transaction: canonical encoding, leaf and interior hashes, and the inserts
// of the records and of tlog's stored hashes.
func BenchmarkAppendLoggedBatch(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b, 10*benchBatch)
	batch := records(b, 0, benchBatch)
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Append(ctx, tx, batch...); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	reportPerRecord(b, cpu)
}

// BenchmarkInsertBatchWithoutLog inserts the same records, encoded the same way, into a plain
// table laid out as ledger_entries, with the same statements and transactions, without the
// tree: the baseline BenchmarkAppendLoggedBatch is compared with. The difference is what the
// tree costs (its stored hashes, computed and stored) beside storing the records.
func BenchmarkInsertBatchWithoutLog(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b, 10*benchBatch)
	batch := records(b, 0, benchBatch)
	var next int64
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := insertEntries(ctx, tx, "plain_entries", nil, next, encodeAll(b, batch)); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		next += int64(len(batch))
	}
	reportPerRecord(b, cpu)
}

// BenchmarkLogOverhead alternates the two benchmarks above batch by batch, in two databases
// alike, and reports what the log adds to inserting the same records, in CPU time and in
// wall time, for batches of 1,000 records and of one. Alternating puts both under the same
// load from the rest of a shared machine.
func BenchmarkLogOverhead(b *testing.B) {
	for _, size := range []int{benchBatch, 1} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) { benchmarkLogOverhead(b, size) })
	}
}

func benchmarkLogOverhead(b *testing.B, size int) {
	ctx := context.Background()
	logged, plain := benchDB(b, 10*benchBatch), benchDB(b, 10*benchBatch)
	batch := records(b, 0, size)
	var next int64
	var cpuLog, cpuPlain, wallLog, wallPlain time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0, w0 := cpuTime(), time.Now()
		tx, err := logged.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Append(ctx, tx, batch...); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		cpuLog += cpuTime() - c0
		wallLog += time.Since(w0)

		c0, w0 = cpuTime(), time.Now()
		if tx, err = plain.BeginTx(ctx, nil); err != nil {
			b.Fatal(err)
		}
		if err := insertEntries(ctx, tx, "plain_entries", nil, next, encodeAll(b, batch)); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		next += int64(size)
		cpuPlain += cpuTime() - c0
		wallPlain += time.Since(w0)
	}
	n := float64(b.N * size)
	b.ReportMetric(float64(cpuLog.Nanoseconds())/n, "logged-cpu-ns/record")
	b.ReportMetric(float64(cpuPlain.Nanoseconds())/n, "plain-cpu-ns/record")
	b.ReportMetric(100*(cpuLog.Seconds()/cpuPlain.Seconds()-1), "cpu-overhead-%")
	b.ReportMetric(100*(wallLog.Seconds()/wallPlain.Seconds()-1), "wall-overhead-%")
}

// uniformTree is a real RFC 6962 tree of any size whose leaves are all the same record. Every
// complete subtree of height h then has the same hash, computed once per level, so a
// HashReader over it answers for a tree of 100 million leaves without storing one: the hashes
// it gives are the true ones, and proofs from it verify against its true root.
type uniformTree [64]tlog.Hash

func newUniformTree(record []byte) *uniformTree {
	var u uniformTree
	u[0] = tlog.RecordHash(record)
	for l := 1; l < len(u); l++ {
		u[l] = tlog.NodeHash(u[l-1], u[l-1])
	}
	return &u
}

func (u *uniformTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		level, _ := tlog.SplitStoredHashIndex(x)
		out[i] = u[level]
	}
	return out, nil
}

// BenchmarkProveInclusion100M proves records of a tree of 100,000,000 leaves: tlog reads the
// O(log n) stored hashes the proof needs (here from uniformTree; from the database, one
// query) and computes the hashes of the incomplete subtrees on the right edge.
func BenchmarkProveInclusion100M(b *testing.B) {
	const size = 100_000_000
	tree := newUniformTree([]byte(`{"kind":"decision","id":"x","time":"2026-11-28T09:15:00Z","body":{}}`))
	root, err := tlog.TreeHash(size, tree)
	if err != nil {
		b.Fatal(err)
	}
	// The proofs are real: check a few with the independent RFC 6962 verifier first.
	for _, i := range []int64{0, 12_345_678, size - 1} {
		p, err := tlog.ProveRecord(size, i, tree)
		if err != nil {
			b.Fatal(err)
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), size, tree[0][:], hashBytes(p), root[:]); err != nil {
			b.Fatalf("proof of record %d: %v", i, err)
		}
	}
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := tlog.ProveRecord(size, int64(i*7919)%size, tree); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// reportCPU reports the process's CPU time per operation since cpuStart.
func reportCPU(b *testing.B, cpuStart time.Duration) {
	b.ReportMetric(float64((cpuTime()-cpuStart).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// millionExport is a SQLite log of one million records and its export, built once for the
// benchmarks that need them.
var millionExport struct {
	once  sync.Once
	dir   string
	db    *sql.DB
	key   *missionLog
	built time.Duration
	err   error
}

const millionRecords = 1_000_000

func buildMillionExport(tb testing.TB) {
	m := &millionExport
	m.once.Do(func() {
		start := time.Now()
		dir, err := os.MkdirTemp("", "truce-ledger-1m-")
		if err != nil {
			m.err = err
			return
		}
		m.dir = dir
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "truce.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
		if err != nil {
			m.err = err
			return
		}
		m.db = db
		ctx := context.Background()
		if m.err = CreateSchema(ctx, db); m.err != nil {
			return
		}
		signer, verifier, vkey := testKeyPair(tb, "truce.example/mission")
		m.key = &missionLog{db: db, signer: signer, verifier: verifier, vkey: vkey}
		const batch = 10_000
		for n := 0; n < millionRecords; n += batch {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				m.err = err
				return
			}
			if _, err := Append(ctx, tx, records(tb, n, batch)...); err != nil {
				m.err = err
				return
			}
			if m.err = tx.Commit(); m.err != nil {
				return
			}
			if (n+batch)%250_000 == 0 {
				// Checkpoints published along the way, as the server's timer would.
				if _, _, m.err = (&Checkpointer{Signer: signer}).Checkpoint(ctx, db); m.err != nil {
					return
				}
			}
		}
		if _, m.err = Export(ctx, db, nil, signer, filepath.Join(dir, "export")); m.err != nil {
			return
		}
		m.built = time.Since(start)
	})
	if m.err != nil {
		tb.Fatal(m.err)
	}
}

// BenchmarkVerifyExport1M verifies an export of one million observation records: every record
// hashed again, the tree rebuilt, the signature and the three earlier checkpoints and their
// proofs checked. Building the log and the export happens once, outside the timing.
func BenchmarkVerifyExport1M(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a log of one million records; skipped with -short")
	}
	buildMillionExport(b)
	b.Logf("built the log of %d records and its export in %v", millionRecords, millionExport.built)
	dir := filepath.Join(millionExport.dir, "export")
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		v, err := Verify(dir, millionExport.key.verifier, nil)
		if err != nil {
			b.Fatal(err)
		}
		if v.Checkpoint.Size != millionRecords || len(v.Earlier) != 3 {
			b.Fatalf("verified %+v", v)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkProveInclusionSQLite1M proves records of the one-million-record log from its
// SQLite file: the database reads included.
func BenchmarkProveInclusionSQLite1M(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a log of one million records; skipped with -short")
	}
	buildMillionExport(b)
	ctx := context.Background()
	db := millionExport.db
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := ProveInclusion(ctx, db, int64(i*7919)%millionRecords, millionRecords); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}
