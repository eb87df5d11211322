package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

func TestIngestStoresEveryFieldAsGiven(t *testing.T) {
	db := open(t)
	batch := judged(0, 150)
	// Observations and findings with the fields left empty that may be empty.
	batch = append(batch, truce.Judged{Observation: &truce.Observation{
		ID: "bare", Time: t0, Kind: "fire.flash", Lat: -89.5, Lon: 179.25,
	}})
	batch = append(batch, truce.Judged{Observation: &truce.Observation{
		ID: "empty-collections", Source: "web", Time: t0.Add(time.Nanosecond), Kind: "harm.civilian",
		Attrs: map[string]any{}, Evidence: []string{}, Raw: []byte{},
	}})
	dup, seq := ingest(t, db, batch)
	// No bytes and none are both stored as NULL.
	batch[len(batch)-1].Observation.Raw = nil
	for i := range batch {
		if dup[i] {
			t.Fatalf("batch[%d] was taken for a duplicate", i)
		}
		if i > 0 && seq[i] <= seq[i-1] {
			t.Fatalf("seq[%d] = %d after seq[%d] = %d: not increasing", i, seq[i], i-1, seq[i-1])
		}
	}
	events, err := db.Events(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(batch) {
		t.Fatalf("%d events, want %d", len(events), len(batch))
	}
	for i, e := range events {
		if e.Seq != seq[i] {
			t.Errorf("event %d: seq %d, Ingest said %d", i, e.Seq, seq[i])
		}
		equalObservation(t, e.Observation, batch[i].Observation)
		equalFindings(t, e.Findings, batch[i].Findings)
	}
	if last, err := db.LastSeq(context.Background()); err != nil || last != seq[len(seq)-1] {
		t.Errorf("LastSeq = %d, %v; want %d", last, err, seq[len(seq)-1])
	}
}

func TestIngestTellsDuplicates(t *testing.T) {
	obs := func(source, id string) truce.Judged {
		o := observation(7)
		o.Source, o.ID = source, id
		return truce.Judged{Observation: o, Findings: []truce.Finding{finding(o, 0)}}
	}
	// filler returns n distinct observations, to move a duplicate into another statement.
	filler := func(n int) []truce.Judged {
		out := judged(100000, n)
		for i := range out {
			out[i].Findings = nil
		}
		return out
	}
	cases := []struct {
		name    string
		before  []truce.Judged
		batch   []truce.Judged
		wantDup []bool
	}{
		{"a re-sent observation", []truce.Judged{obs("patrol-7", "a")},
			[]truce.Judged{obs("patrol-7", "a"), obs("patrol-7", "b")}, []bool{true, false}},
		{"the same observation twice in one batch", nil,
			[]truce.Judged{obs("patrol-7", "a"), obs("patrol-7", "a"), obs("patrol-7", "b")}, []bool{false, true, false}},
		{"the same id from another source", []truce.Judged{obs("patrol-7", "a")},
			[]truce.Judged{obs("patrol-8", "a"), obs("", "a")}, []bool{false, false}},
		{"the same observation twice in one batch, 100 apart", nil,
			append(append([]truce.Judged{obs("patrol-7", "a")}, filler(99)...), obs("patrol-7", "a")),
			append(make([]bool, 100), true)},
		{"every observation a duplicate", []truce.Judged{obs("patrol-7", "a"), obs("patrol-7", "b")},
			[]truce.Judged{obs("patrol-7", "b"), obs("patrol-7", "a")}, []bool{true, true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := open(t)
			if c.before != nil {
				ingest(t, db, c.before)
			}
			findingsBefore := count(t, db, "findings")
			dup, seq := ingest(t, db, c.batch)
			if !reflect.DeepEqual(dup, c.wantDup) {
				t.Fatalf("dup = %v, want %v", dup, c.wantDup)
			}
			wantFindings := findingsBefore
			for i := range dup {
				if dup[i] != (seq[i] == 0) {
					t.Errorf("batch[%d]: dup %v with seq %d", i, dup[i], seq[i])
				}
				if !dup[i] {
					wantFindings += len(c.batch[i].Findings)
				}
			}
			// The findings of a duplicate are dropped: the finding IDs here repeat with the
			// observation, so storing them would also have failed on the unique id.
			if got := count(t, db, "findings"); got != wantFindings {
				t.Errorf("%d findings stored, want %d", got, wantFindings)
			}
			stored := 0
			for _, d := range dup {
				if !d {
					stored++
				}
			}
			if got := count(t, db, "observations"); got != len(c.before)+stored {
				t.Errorf("%d observations stored, want %d", got, len(c.before)+stored)
			}
		})
	}
}

// countdown is a context whose Err reports cancellation from its n-th call on. It lets a test
// cancel a batch between two of Ingest's statements, after some rows are written.
type countdown struct {
	context.Context
	n atomic.Int64
}

func (c *countdown) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestAFailedBatchLeavesNothingBehind(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		ctx      func() context.Context
		batch    func() []truce.Judged
		hook     IngestHook
		wantCode string
		wantText string
	}{
		{
			name: "a context cancelled after 2 statements",
			ctx: func() context.Context {
				c := &countdown{Context: ctx}
				c.n.Store(2)
				return c
			},
			batch:    func() []truce.Judged { return judged(5000, 1000) },
			wantCode: truce.EINTERNAL, wantText: "stopped at",
		},
		{
			name: "a context cancelled while the findings are written",
			ctx: func() context.Context {
				c := &countdown{Context: ctx}
				// Past the observations' statements and the first of the findings.
				c.n.Store(int64(statementsFor(1000) + 1))
				return c
			},
			batch:    func() []truce.Judged { return judged(5000, 1000) },
			wantCode: truce.EINTERNAL, wantText: "findings",
		},
		{
			name: "two findings with one id",
			batch: func() []truce.Judged {
				b := judged(5000, 500)
				b[499].Findings = []truce.Finding{b[0].Findings[0]}
				return b
			},
			wantCode: truce.EINTERNAL, wantText: b1FindingID(),
		},
		{
			name: "a finding id stored before",
			batch: func() []truce.Judged {
				b := judged(5000, 10)
				b[9].Findings = []truce.Finding{judged(0, 2)[1].Findings[0]}
				return b
			},
			wantCode: truce.EINTERNAL, wantText: "batch[9].Findings[0]",
		},
		{
			name:     "a hook that fails",
			batch:    func() []truce.Judged { return judged(5000, 100) },
			hook:     func(context.Context, *sql.Tx, []truce.Event) error { return errors.New("log is full") },
			wantCode: truce.EINTERNAL, wantText: "hook",
		},
		{
			name: "no observation",
			batch: func() []truce.Judged {
				b := judged(5000, 10)
				b[4].Observation = nil
				return b
			},
			wantCode: truce.EINVALID, wantText: "batch[4]: no observation",
		},
		{
			name: "a time past 2262",
			batch: func() []truce.Judged {
				b := judged(5000, 10)
				b[6].Observation.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
				return b
			},
			wantCode: truce.EINVALID, wantText: "batch[6]: observation \"obs-0005006\" of \"ais\": time",
		},
		{
			name: "a latitude that is not a number",
			batch: func() []truce.Judged {
				b := judged(5000, 10)
				b[2].Observation.Lat = math.NaN()
				return b
			},
			wantCode: truce.EINVALID, wantText: "batch[2]: observation \"obs-0005002\" of \"acoustic-2\": lat",
		},
		{
			name: "attrs that JSON cannot hold",
			batch: func() []truce.Judged {
				b := judged(5000, 10)
				b[3].Observation.Attrs = map[string]any{"speed": math.Inf(1)}
				return b
			},
			wantCode: truce.EINVALID, wantText: "batch[3]: observation \"obs-0005003\" of \"ais\": attrs",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := open(t)
			ingest(t, db, judged(0, 100))
			before := [3]int{count(t, db, "observations"), count(t, db, "findings"), 0}
			lastBefore, _ := db.LastSeq(ctx)
			db.SetIngestHook(c.hook)
			bctx := ctx
			if c.ctx != nil {
				bctx = c.ctx()
			}
			dup, seq, err := db.Ingest(bctx, c.batch())
			if err == nil {
				t.Fatal("Ingest succeeded")
			}
			if code := truce.ErrorCode(err); code != c.wantCode || !strings.Contains(err.Error(), c.wantText) {
				t.Errorf("Ingest: %v (code %s); want code %s and a message with %q", err, code, c.wantCode, c.wantText)
			}
			if dup != nil || seq != nil {
				t.Errorf("a failed Ingest returned dup %v and seq %v", dup, seq)
			}
			after := [3]int{count(t, db, "observations"), count(t, db, "findings"), 0}
			if after != before {
				t.Errorf("after the failed batch: %d observations and %d findings, want %d and %d", after[0], after[1], before[0], before[1])
			}
			if last, _ := db.LastSeq(ctx); last != lastBefore {
				t.Errorf("LastSeq %d after the failed batch, was %d", last, lastBefore)
			}
			// The store still takes the next batch, and the failed batch's observations are
			// not duplicates of anything.
			db.SetIngestHook(nil)
			dup, _ = ingest(t, db, judged(5000, 10))
			for i, d := range dup {
				if d {
					t.Errorf("after the failed batch, batch[%d] of a new batch was taken for a duplicate", i)
				}
			}
		})
	}
}

// statementsFor is the number of INSERT statements Ingest runs for n rows.
func statementsFor(n int) int {
	s := 0
	for n > 0 {
		n -= rowsPerInsert(n)
		s++
	}
	return s
}

// b1FindingID is the id of the first finding of observation 5000.
func b1FindingID() string { return finding(observation(5000), 0).ID }

func TestIngestHookWritesInTheSameTransaction(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	if _, err := db.write.Exec(`CREATE TABLE log (seq INTEGER PRIMARY KEY, observation TEXT, findings INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db.SetIngestHook(func(ctx context.Context, tx *sql.Tx, stored []truce.Event) error {
		for _, e := range stored {
			if _, err := tx.ExecContext(ctx, `INSERT INTO log VALUES (?, ?, ?)`, e.Seq, e.Observation.ID, len(e.Findings)); err != nil {
				return err
			}
		}
		return nil
	})
	batch := judged(0, 10)
	batch = append(batch, batch[3]) // a duplicate, which the hook must not see
	_, seq := ingest(t, db, batch)
	rows, err := db.read.QueryContext(ctx, `SELECT seq, observation, findings FROM log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var s int64
		var id string
		var n int
		if err := rows.Scan(&s, &id, &n); err != nil {
			t.Fatal(err)
		}
		if s != seq[i] || id != batch[i].Observation.ID || n != len(batch[i].Findings) {
			t.Errorf("log row %d: %d %s %d; want %d %s %d", i, s, id, n, seq[i], batch[i].Observation.ID, len(batch[i].Findings))
		}
	}
	if i != 10 {
		t.Errorf("the hook logged %d events, want 10", i)
	}
}

func TestIngestOfNothingStoresNothing(t *testing.T) {
	db := open(t)
	dup, seq := ingest(t, db, nil)
	if len(dup) != 0 || len(seq) != 0 {
		t.Errorf("dup %v, seq %v", dup, seq)
	}
	if last, err := db.LastSeq(context.Background()); last != 0 || err != nil {
		t.Errorf("LastSeq of an empty store = %d, %v", last, err)
	}
}

func TestAttrsReadBackAsJSONWouldDecodeThem(t *testing.T) {
	cases := []struct {
		name  string
		attrs map[string]any
	}{
		{"numbers", map[string]any{"caliber_mm": 122.0, "tiny": 1e-9, "huge": 1e300, "negative": -0.5, "zero": 0.0, "int": float64(1 << 53)}},
		{"strings needing escapes", map[string]any{"note": "said \"go\"\n<b>&</b>", "ü": "Ελληνικά", "tab": "a\tb", "back": `c:\x`}},
		{"booleans and null", map[string]any{"armed": true, "hostile": false, "unknown": nil}},
		{"nested", map[string]any{"count": map[string]any{"low": 2.0, "best": 3.0, "high": 5.0}, "list": []any{"a", 1.0, true, nil}}},
		{"Go values JSON turns into numbers", map[string]any{"mmsi": 211331640, "heading": int64(270), "speed": float32(12.5)}},
		{"empty key", map[string]any{"": "x"}},
	}
	db := open(t)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := observation(i)
			o.Attrs = c.attrs
			ingest(t, db, []truce.Judged{{Observation: o}})
			got, _, err := db.Observations(context.Background(), truce.ObservationFilter{Source: o.Source, Kind: o.Kind, From: o.Time, To: o.Time.Add(1)})
			if err != nil || len(got) != 1 {
				t.Fatalf("Observations: %v, %v", got, err)
			}
			b, err := json.Marshal(c.attrs)
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got[0].Attrs, want) {
				t.Errorf("attrs read back as %#v, want %#v", got[0].Attrs, want)
			}
			// Written before the batch reaches the writer, as the pipeline writes them, the
			// attrs are stored as the very same text.
			o2 := observation(100 + i)
			o2.Attrs = c.attrs
			j := truce.Judged{Observation: o2}
			j.EncodeAttrs()
			if j.AttrsJSON == nil {
				t.Fatal("EncodeAttrs wrote nothing")
			}
			ingest(t, db, []truce.Judged{j})
			var here, before string
			db.write.QueryRow(`SELECT attrs FROM observations WHERE id = ?`, o.ID).Scan(&here)
			db.write.QueryRow(`SELECT attrs FROM observations WHERE id = ?`, o2.ID).Scan(&before)
			if here != before || before != string(j.AttrsJSON) {
				t.Errorf("attrs written by the store %s, before it %s", here, before)
			}
		})
	}
}

func TestAttrsEncoderWritesWhatEncodingJSONWrites(t *testing.T) {
	// For the flat maps the encoder writes by hand, its text decodes to what encoding/json's
	// text decodes to, and the keys are in the same order.
	var e encoder
	for _, m := range []map[string]any{
		{"b": 1.0, "a": "x", "c": true, "d": nil},
		{"mmsi": 211331640.0, "speed_kn": 12.25, "small": 5e-7, "big": 1e21},
		{},
	} {
		got, err := e.attrs(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(m)
		var g, w any
		if err := json.Unmarshal([]byte(got.(string)), &g); err != nil {
			t.Fatalf("%s is not JSON: %v", got, err)
		}
		json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("encoder wrote %s, encoding/json %s", got, want)
		}
	}
}
