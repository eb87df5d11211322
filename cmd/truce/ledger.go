package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/sqlite"
)

// missionLog is the mission's Merkle log in the data folder's database: every observation the
// store accepts and every finding drawn from it are appended in the same transaction that
// stores them (an ingest hook), and checkpoints are signed with the mission's key.
type missionLog struct {
	db       *sql.DB // a connection pool of its own on the same file, for proofs and checkpoints
	resolver storeResolver
	// stmts are the appends' statements, prepared on the store's write connection.
	stmts *ledger.Statements
	// appending guards what append reuses from one batch to the next: the entries and the
	// references' storage. The store runs its hook in its write transaction, one at a time,
	// so the lock is never waited for; it makes that rule this code's own.
	appending sync.Mutex
	entries   []ledger.Encoded
	refs      ledger.RefLines
	signer    note.Signer
	verifier  note.Verifier
	vkey      string
}

// defaultLogOrigin names the log (and its key) when --log-origin is not given.
const defaultLogOrigin = "truce-mission-log"

// openLog opens (creating on first use) the log in the data folder: its tables in the same
// SQLite file as the store, its signing key in dataDir/log.key (or keyFile) with the verifier
// key in log.pub, and installs the hook that logs every stored batch.
func openLog(store *sqlite.DB, dataDir, origin, keyFile string) (*missionLog, error) {
	db, err := sql.Open("sqlite", "file:"+dbPath(dataDir)+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := ledger.CreateSchema(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS ledger_cosignatures (
		size INTEGER NOT NULL, witness TEXT NOT NULL, line BLOB NOT NULL, PRIMARY KEY (size, witness))`); err != nil {
		db.Close()
		return nil, fmt.Errorf("log: cosignatures table: %w", err)
	}
	var signer note.Signer
	var vkey string
	if keyFile != "" {
		signer, vkey, err = ledger.LoadKey(keyFile)
	} else {
		signer, vkey, err = ledger.LoadOrCreateKey(dataDir, ledger.LogKeyFile, origin)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("log key: %w", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		db.Close()
		return nil, err
	}
	stmts, err := ledger.PrepareStatements(ctx, store.PrepareWrite)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("log: %w", err)
	}
	l := &missionLog{db: db, resolver: storeResolver{store}, stmts: stmts, signer: signer, verifier: verifier, vkey: vkey}
	store.SetIngestHook(l.append)
	store.SetReviewHook(l.appendDecision)
	store.SetResponseHook(l.appendResponse)
	store.SetIncidentHook(l.appendIncidentDecision)
	store.SetPublishHook(l.appendReport)
	return l, nil
}

// prepared are the leaf hashes of an observation's records, ready for the single writer to
// link into the tree once the store has numbered the observation. The records themselves are
// kept as references to the store's rows, so their bytes are hashed and dropped. at is the
// records' time, which the references carry.
type prepared struct {
	at       time.Time
	leaf     tlog.Hash   // the observation's
	findings []tlog.Hash // its findings', in order
}

// hash computes p for an observation and its findings; findings' leaves go into
// findingLeaves, which must have room for them.
func (p *prepared) hash(o *truce.Observation, attrs []byte, findings []truce.Finding, at time.Time, findingLeaves []tlog.Hash) error {
	p.at = at
	var err error
	if p.leaf, err = ledger.ObservationLeaf(o, attrs, at); err != nil {
		return err
	}
	p.findings = findingLeaves[:len(findings):len(findings)]
	for i := range findings {
		if p.findings[i], err = ledger.FindingLeaf(&findings[i], at); err != nil {
			return err
		}
	}
	return nil
}

// prepare hashes the records of a batch as it is submitted, in the submitting goroutine
// (ingest.Options.Prepare), so the single writer only links them into the tree and stores
// them. The batch's hashes are allocated together. Observations prepared already are left
// as they are; one whose records cannot be built is left unprepared, to append, which fails
// the batch with the reason.
func (l *missionLog) prepare(batch []truce.Judged) {
	no, nf := 0, 0
	for i := range batch {
		if batch[i].Prepared == nil {
			no, nf = no+1, nf+len(batch[i].Findings)
		}
	}
	if no == 0 {
		return
	}
	all := make([]prepared, no)
	findingLeaves := make([]tlog.Hash, nf)
	at := time.Now().UTC()
	for i := range batch {
		j := &batch[i]
		if j.Prepared != nil {
			continue
		}
		n := len(j.Findings)
		p := &all[0]
		all = all[1:]
		if err := p.hash(j.Observation, j.AttrsJSON, j.Findings, at, findingLeaves[:n]); err == nil {
			j.Prepared = p
		}
		findingLeaves = findingLeaves[n:]
	}
}

// append logs a stored batch: each observation followed by its findings, as prepared. Each
// record is kept as a reference to the row the store has just written (ledger.ObservationRef,
// ledger.FindingRef), which storeResolver reads back as the same bytes: the store's row and
// the log's record are one copy, not two. A finding whose id cannot stand in a reference (a
// newline) is kept whole.
func (l *missionLog) append(ctx context.Context, tx *sql.Tx, stored []truce.Event) error {
	l.appending.Lock()
	defer l.appending.Unlock()
	now := time.Now().UTC()
	all := l.entries[:0]
	l.refs.Reset()
	for _, e := range stored {
		p, ok := e.Prepared.(*prepared)
		if !ok {
			p = new(prepared)
			if err := p.hash(e.Observation, nil, e.Findings, now, make([]tlog.Hash, len(e.Findings))); err != nil {
				return err
			}
		}
		ref, err := l.refs.Observation(p.leaf, e.Seq, p.at)
		if err != nil {
			return err
		}
		all = append(all, ref)
		for i := range e.Findings {
			f := &e.Findings[i]
			rec, err := l.refs.Finding(p.findings[i], f.ID, p.at)
			if err != nil {
				rec, err = wholeFinding(f, p.at)
			}
			if err != nil {
				return err
			}
			all = append(all, rec)
		}
	}
	l.entries = all[:0]
	_, err := l.stmts.Append(ctx, tx, all...)
	return err
}

// wholeFinding is the log's entry for a finding kept as its record, not as a reference.
func wholeFinding(f *truce.Finding, at time.Time) (ledger.Encoded, error) {
	r, err := ledger.FindingRecord(f, at)
	if err != nil {
		return ledger.Encoded{}, fmt.Errorf("%s %q: %w", ledger.KindFinding, f.ID, err)
	}
	return r.Encode()
}

// storeResolver reads back the records the log keeps as references to the store's rows
// (ledger.ObservationRef, ledger.FindingRef): the row builds the record again
// (ledger.StoredObservationRecord with the attrs' text as stored, ledger.FindingRecord). A row
// changed since it was logged builds a record whose leaf hash the tree does not hold, which
// verify names; a row deleted is a record missing.
type storeResolver struct{ store *sqlite.DB }

func (r storeResolver) Resolve(ctx context.Context, refs [][]byte) ([][]byte, error) {
	times := make([]time.Time, len(refs))
	var seqs []int64
	var ids []string
	var obsAt, findingAt []int // the place in refs of each seq and id
	for i, ref := range refs {
		if seq, at, ok := ledger.ParseObservationRef(ref); ok {
			seqs, obsAt, times[i] = append(seqs, seq), append(obsAt, i), at
		} else if id, at, ok := ledger.ParseFindingRef(ref); ok {
			ids, findingAt, times[i] = append(ids, id), append(findingAt, i), at
		} else {
			return nil, &ledger.RefError{Index: i, Err: errors.New("not a reference to a row of the store")}
		}
	}
	out := make([][]byte, len(refs))
	observations, err := r.store.ObservationRows(ctx, seqs)
	if err != nil {
		return nil, err
	}
	for k, row := range observations {
		i := obsAt[k]
		if row.Seq == 0 {
			continue
		}
		o := row.Observation
		if row.Evidence != nil {
			if err := json.Unmarshal(row.Evidence, &o.Evidence); err != nil {
				return nil, &ledger.RefError{Index: i, Err: fmt.Errorf("observation %d: evidence: %w", row.Seq, err)}
			}
		}
		rec, err := ledger.StoredObservationRecord(&o, row.Attrs, times[i])
		if err == nil {
			out[i], err = rec.MarshalCanonical()
		}
		if err != nil {
			return nil, &ledger.RefError{Index: i, Err: fmt.Errorf("observation %d: %w", row.Seq, err)}
		}
	}
	findings, err := r.store.FindingRows(ctx, ids)
	if err != nil {
		return nil, err
	}
	for k, row := range findings {
		i := findingAt[k]
		if !row.Found {
			continue
		}
		rec, err := ledger.FindingRecord(&row.Finding, times[i])
		if err == nil {
			out[i], err = rec.MarshalCanonical()
		}
		if err != nil {
			return nil, &ledger.RefError{Index: i, Err: fmt.Errorf("finding %s: %w", row.Finding.ID, err)}
		}
	}
	return out, nil
}

// appendDecision logs a review action on a finding, in the transaction that takes it.
func (l *missionLog) appendDecision(ctx context.Context, tx *sql.Tx, e truce.ReviewEntry) error {
	r, err := ledger.NewRecord(ledger.KindDecision, e.Finding+"/"+e.Action+"/"+e.Time.Format(time.RFC3339Nano), e.Time, e)
	if err != nil {
		return err
	}
	_, err = ledger.Append(ctx, tx, r)
	return err
}

// appendIncidentDecision logs an analyst's merge or split of incidents, in the transaction
// that records it.
func (l *missionLog) appendIncidentDecision(ctx context.Context, tx *sql.Tx, a truce.IncidentAction) error {
	r, err := ledger.IncidentRecord(&a)
	if err != nil {
		return err
	}
	_, err = ledger.Append(ctx, tx, r)
	return err
}

// appendResponse logs a step of the liaison channel (a party's response, the mission's
// answer), in the transaction that takes it.
func (l *missionLog) appendResponse(ctx context.Context, tx *sql.Tx, e truce.ResponseEntry) error {
	r, err := ledger.ResponseRecord(&e)
	if err != nil {
		return err
	}
	_, err = ledger.Append(ctx, tx, r)
	return err
}

// publication is the body of a published report's record: which report, which version, who
// published it and when, and the SHA-256 of exactly the bytes published (also the record's
// evidence), so that anyone holding a copy can check it is the one the mission logged.
type publication struct {
	Kind       string    `json:"kind"`
	Name       string    `json:"name"`
	Version    int       `json:"version"`
	Published  time.Time `json:"published"`
	By         string    `json:"by"`
	JSONSHA256 string    `json:"json_sha256"`
	HTMLSHA256 string    `json:"html_sha256"`
}

func newPublication(r *truce.PublishedReport) publication {
	js, hs := sha256.Sum256(r.JSON), sha256.Sum256(r.HTML)
	return publication{Kind: r.Kind, Name: r.Name, Version: r.Version, Published: r.Published, By: r.By,
		JSONSHA256: hex.EncodeToString(js[:]), HTMLSHA256: hex.EncodeToString(hs[:])}
}

// appendReport logs a report's publication, in the transaction that keeps it.
func (l *missionLog) appendReport(ctx context.Context, tx *sql.Tx, r *truce.PublishedReport) error {
	p := newPublication(r)
	rec, err := ledger.NewRecord(ledger.KindReport, fmt.Sprintf("%s/%s/%d", r.Kind, r.Name, r.Version), r.Published, p,
		p.JSONSHA256, p.HTMLSHA256)
	if err != nil {
		return err
	}
	_, err = ledger.Append(ctx, tx, rec)
	return err
}

// checkpoint signs a checkpoint when the log has grown since the last.
func (l *missionLog) checkpoint(ctx context.Context) (bool, error) {
	cp := ledger.Checkpointer{Signer: l.signer}
	_, grew, err := cp.Checkpoint(ctx, l.db)
	return grew, err
}

// run signs checkpoints every interval until ctx ends, and once more at the end.
func (l *missionLog) run(ctx context.Context, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if _, err := l.checkpoint(context.Background()); err != nil {
				log.Error("log: final checkpoint", "err", err)
			}
			return
		case <-t.C:
			if _, err := l.checkpoint(ctx); err != nil && ctx.Err() == nil {
				log.Error("log: checkpoint", "err", err)
			}
		}
	}
}

func (l *missionLog) Close() error { return errors.Join(l.stmts.Close(), l.db.Close()) }

// Checkpoint returns the latest signed checkpoint with the cosignatures kept for it.
func (l *missionLog) Checkpoint(ctx context.Context) ([]byte, error) {
	var size int64
	var signed []byte
	err := l.db.QueryRowContext(ctx, `SELECT size, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&size, &signed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, truce.Errorf(truce.ENOTFOUND, "the log has no checkpoint yet")
	}
	if err != nil {
		return nil, err
	}
	rows, err := l.db.QueryContext(ctx, `SELECT line FROM ledger_cosignatures WHERE size = ? ORDER BY witness`, size)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := append([]byte(nil), signed...)
	for rows.Next() {
		var line []byte
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		out = append(out, line...)
	}
	return out, rows.Err()
}

func (l *missionLog) InclusionProof(ctx context.Context, index, size int64) (tlog.RecordProof, error) {
	return ledger.ProveInclusion(ctx, l.db, index, size)
}

func (l *missionLog) ConsistencyProof(ctx context.Context, from, to int64) (tlog.TreeProof, error) {
	return ledger.ProveConsistency(ctx, l.db, from, to)
}

// SignCheckpoint signs a checkpoint now if the log has grown since the last.
func (l *missionLog) SignCheckpoint(ctx context.Context) error {
	_, err := l.checkpoint(ctx)
	return err
}

func (l *missionLog) LeafHashes(ctx context.Context, start, end int64) ([]tlog.Hash, error) {
	return ledger.LeafHashes(ctx, l.db, start, end)
}

func (l *missionLog) Entries(ctx context.Context, start, end int64) ([][]byte, error) {
	return ledger.Entries(ctx, l.db, l.resolver, start, end)
}

// AddCosignature keeps the signature lines a witness added to a checkpoint the mission
// published. The mission's own signature must verify and the checkpoint's text must be the
// one published at that size; the witness's signature is kept as given (a party checks it
// with the witness's key, which the mission need not hold).
func (l *missionLog) AddCosignature(ctx context.Context, msg []byte) error {
	cp, n, err := ledger.OpenCheckpoint(msg, l.verifier)
	if err != nil {
		return truce.Errorf(truce.EINVALID, "the mission's signature does not verify: %v", err)
	}
	var published []byte
	err = l.db.QueryRowContext(ctx, `SELECT note FROM ledger_checkpoints WHERE size = ?`, cp.Size).Scan(&published)
	if err != nil {
		return truce.Errorf(truce.EINVALID, "the mission published no checkpoint of size %d", cp.Size)
	}
	if !bytes.HasPrefix(published, []byte(n.Text)) {
		return truce.Errorf(truce.EINVALID, "this checkpoint of size %d is not the one the mission published", cp.Size)
	}
	kept := 0
	for _, sig := range n.UnverifiedSigs {
		line := fmt.Appendf(nil, "— %s %s\n", sig.Name, sig.Base64)
		if _, err := l.db.ExecContext(ctx, `INSERT INTO ledger_cosignatures (size, witness, line) VALUES (?, ?, ?)
			ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line`, cp.Size, fmt.Sprintf("%s+%08x", sig.Name, sig.Hash), line); err != nil {
			return err
		}
		kept++
	}
	if kept == 0 {
		return truce.Errorf(truce.EINVALID, "the note carries no signature besides the mission's")
	}
	return nil
}
