package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/truce-project/truce"
)

// StoredObservation is an observation as its row holds it, for the mission's log to build the
// observation's record again from exactly the bytes stored: its attrs and evidence are the
// row's JSON text (truce.ObservationJSON wrote them), not decoded, and Observation's Attrs
// and Evidence are left nil. A row whose text does not decode is the log's to report, for the
// record it breaks.
type StoredObservation struct {
	Seq             int64 // 0 when no row has the seq asked for
	Observation     truce.Observation
	Attrs, Evidence []byte
}

// keysPerQuery bounds the parameters of one query of ObservationRows and FindingRows.
const keysPerQuery = 500

// ObservationRows returns the rows of the observations stored with the given seqs, in the
// order of seqs; a seq with no row gives a StoredObservation whose Seq is 0. One read
// transaction serves them all.
func (db *DB) ObservationRows(ctx context.Context, seqs []int64) ([]StoredObservation, error) {
	out := make([]StoredObservation, len(seqs))
	at := make(map[int64][]int, len(seqs)) // where each seq goes in out
	keys := make([]any, len(seqs))
	for i, s := range seqs {
		at[s] = append(at[s], i)
		keys[i] = s
	}
	err := db.readIn(ctx, `SELECT `+observationColumns+` FROM observations WHERE seq IN `, keys, func(rows *sql.Rows) error {
		s, err := scanStoredObservation(rows)
		for _, i := range at[s.Seq] {
			out[i] = s
		}
		return err
	})
	if err != nil {
		return nil, internal(err, "observation rows")
	}
	return out, nil
}

// StoredFinding is a finding as its row holds it, review included.
type StoredFinding struct {
	Found   bool
	Finding truce.Finding
}

// FindingRows returns the findings stored with the given ids, in the order of ids; an id with
// no row gives a StoredFinding that was not found. One read transaction serves them all.
func (db *DB) FindingRows(ctx context.Context, ids []string) ([]StoredFinding, error) {
	out := make([]StoredFinding, len(ids))
	at := make(map[string][]int, len(ids))
	keys := make([]any, len(ids))
	for i, id := range ids {
		at[id] = append(at[id], i)
		keys[i] = id
	}
	err := db.readIn(ctx, `SELECT `+findingColumns+` FROM findings WHERE id IN `, keys, func(rows *sql.Rows) error {
		_, _, f, err := scanFinding(rows)
		for _, i := range at[f.ID] {
			out[i] = StoredFinding{Found: true, Finding: f}
		}
		return err
	})
	if err != nil {
		return nil, internal(err, "finding rows")
	}
	return out, nil
}

// readIn runs query, which ends in "IN ", with keys as the list, keysPerQuery keys a
// statement, in one read transaction, and calls scan for each row.
func (db *DB) readIn(ctx context.Context, query string, keys []any, scan func(*sql.Rows) error) error {
	if len(keys) == 0 {
		return nil
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for lo := 0; lo < len(keys); lo += keysPerQuery {
		chunk := keys[lo:min(lo+keysPerQuery, len(keys))]
		rows, err := tx.QueryContext(ctx, query+`(?`+strings.Repeat(", ?", len(chunk)-1)+`)`, chunk...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// scanStoredObservation reads a row of observationColumns, keeping the attrs' and evidence's
// text.
func scanStoredObservation(rows *sql.Rows) (StoredObservation, error) {
	var (
		s StoredObservation
		t int64
	)
	o := &s.Observation
	if err := rows.Scan(&s.Seq, &o.Source, &o.ID, &t, &o.Kind, &o.Lat, &o.Lon, &o.CEm, &o.Party, &s.Attrs, &s.Evidence, &o.Raw); err != nil {
		return s, err
	}
	o.Time = time.Unix(0, t).UTC()
	return s, nil
}

// PrepareWrite prepares query on the store's single write connection, for a hook that runs
// statements inside the store's transactions (tx.StmtContext then runs what was prepared, with
// no parsing). It must be called outside the store's transactions: while one runs, the
// connection is taken.
func (db *DB) PrepareWrite(ctx context.Context, query string) (*sql.Stmt, error) {
	return db.write.PrepareContext(ctx, query)
}
