package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/truce-project/truce"
)

func TestAppendedRecordsReadBackInOrder(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	for _, batch := range []int{1, 2, 300, 5} {
		appendN(t, db, batch)
	}
	n, err := Size(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if n != 308 {
		t.Fatalf("size %d, want 308", n)
	}
	want := records(t, 0, 308)
	for _, i := range []int64{0, 1, 2, 3, 255, 256, 302, 307} {
		got, err := Entry(ctx, db, nil, i)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := got.MarshalCanonical()
		b, _ := want[i].MarshalCanonical()
		if string(a) != string(b) {
			t.Errorf("record %d\n got %s\nwant %s", i, a, b)
		}
	}
	if _, err := Entry(ctx, db, nil, 308); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("record past the end: error %v, want code %s", err, truce.ENOTFOUND)
	}
}

// TestProofsVerifyWithTransparencyDevMerkle checks the ledger's tree, inclusion proofs and
// consistency proofs with an implementation of RFC 6962 that shares no code with tlog, for
// every record and every pair of sizes of a log appended in uneven batches.
func TestProofsVerifyWithTransparencyDevMerkle(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	var leaves [][]byte
	for _, batch := range []int{1, 1, 3, 8, 20, 37} {
		first := appendN(t, db, batch)
		for _, r := range records(t, int(first), batch) {
			c, _ := r.MarshalCanonical()
			leaves = append(leaves, rfc6962.DefaultHasher.HashLeaf(c))
		}
	}
	n := int64(len(leaves))
	roots := make([][]byte, n+1)
	for size := int64(1); size <= n; size++ {
		h, err := TreeHash(ctx, db, size)
		if err != nil {
			t.Fatal(err)
		}
		roots[size] = h[:]
	}
	for size := int64(1); size <= n; size++ {
		for i := int64(0); i < size; i++ {
			p, err := ProveInclusion(ctx, db, i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(size), leaves[i], hashBytes(p), roots[size]); err != nil {
				t.Fatalf("inclusion of record %d in tree of %d: %v", i, size, err)
			}
		}
		for from := int64(1); from <= size; from++ {
			p, err := ProveConsistency(ctx, db, from, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(from), uint64(size), hashBytes(p), roots[from], roots[size]); err != nil {
				t.Fatalf("consistency from %d to %d: %v", from, size, err)
			}
		}
	}
	// A proof for the wrong leaf must fail, or the check above proves nothing.
	p, _ := ProveInclusion(ctx, db, 3, n)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, 3, uint64(n), leaves[4], hashBytes(p), roots[n]); err == nil {
		t.Fatal("an inclusion proof verified for another record")
	}
}

func hashBytes(p []tlog.Hash) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

func TestTreeBuilderAgreesWithTlog(t *testing.T) {
	stored := []tlog.Hash{}
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	var tb treeBuilder
	for n := int64(0); n < 300; n++ {
		data := []byte{byte(n), byte(n >> 8)}
		h, err := tlog.StoredHashes(n, data, reader)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, h...)
		if got := tb.add(tlog.RecordHash(data)); !equalHashes(got, h) {
			t.Fatalf("record %d: stored hashes %v, tlog.StoredHashes %v", n, got, h)
		}
		want, err := tlog.TreeHash(n+1, reader)
		if err != nil {
			t.Fatal(err)
		}
		if got := tb.root(); got != want {
			t.Fatalf("tree of %d: root %s, tlog %s", n+1, got, want)
		}
	}
}

func TestAppendIsUndoneWithItsTransaction(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	appendN(t, db, 10)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Append(ctx, tx, records(t, 10, 5)...); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// After the rollback neither the records nor their hashes remain: appending again
	// continues at 10 and the tree is the one of the 15 records appended once.
	if n, _ := Size(ctx, db); n != 10 {
		t.Fatalf("size after rollback %d, want 10", n)
	}
	appendN(t, db, 5)
	got, err := TreeHash(ctx, db, 15)
	if err != nil {
		t.Fatal(err)
	}
	var tb treeBuilder
	for _, r := range records(t, 0, 15) {
		h, _ := r.LeafHash()
		tb.add(h)
	}
	if got != tb.root() {
		t.Errorf("root after rollback and append %s, want %s", got, tb.root())
	}
}

func TestAppendRefusesABatchWithABadRecordAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	batch := records(t, 0, 4)
	batch[2].Body = json.RawMessage(`{"unterminated":`)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = Append(ctx, tx, batch...)
	if err == nil || !strings.Contains(err.Error(), `record 2 of 4 (observation "patrol-7/obs-000002"): body:`) {
		t.Fatalf("error %v, want one naming record 2 of the batch and its body", err)
	}
	if n, _ := Size(ctx, tx); n != 0 {
		t.Errorf("size %d after a refused batch, want 0", n)
	}
}

func TestProofsRefuseSizesTheLogDoesNotHave(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	appendN(t, db, 8)
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"tree hash past the end", func() error { _, err := TreeHash(ctx, db, 9); return err }, truce.ENOTFOUND},
		{"inclusion in a tree past the end", func() error { _, err := ProveInclusion(ctx, db, 0, 9); return err }, truce.ENOTFOUND},
		{"inclusion of a record past the tree", func() error { _, err := ProveInclusion(ctx, db, 5, 5); return err }, truce.EINVALID},
		{"consistency backwards", func() error { _, err := ProveConsistency(ctx, db, 6, 5); return err }, truce.EINVALID},
		{"consistency to a size past the end", func() error { _, err := ProveConsistency(ctx, db, 1, 9); return err }, truce.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); truce.ErrorCode(err) != tt.code {
				t.Errorf("error %v, want code %s", err, tt.code)
			}
		})
	}
}

func equalHashes(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAppendStoresWhatTlogStoredHashesGives holds Append, which computes the stored hashes
// from the tree's right edge, to tlog.StoredHashes, across batches of every shape.
func TestAppendStoresWhatTlogStoredHashesGives(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	var want []tlog.Hash
	memory := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = want[x]
		}
		return out, nil
	})
	n := int64(0)
	for _, batch := range []int{1, 1, 1, 5, 8, 16, 3, 250, 1, 300} {
		appendN(t, db, batch)
		for _, r := range records(t, int(n), batch) {
			c, _ := r.MarshalCanonical()
			h, err := tlog.StoredHashes(n, c, memory)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, h...)
			n++
		}
	}
	idx := make([]int64, len(want))
	for i := range idx {
		idx[i] = int64(i)
	}
	for lo := 0; lo < len(idx); lo += 100 {
		got, err := readHashes(ctx, db, idx[lo:min(lo+100, len(idx))])
		if err != nil {
			t.Fatal(err)
		}
		if !equalHashes(got, want[lo:lo+len(got)]) {
			t.Fatalf("stored hashes from %d differ from tlog.StoredHashes", lo)
		}
	}
	if _, err := readHashes(ctx, db, []int64{int64(len(want))}); err == nil || !strings.Contains(err.Error(), "is missing") {
		t.Errorf("reading past the stored hashes: %v, want an error", err)
	}
}

// TestPreparedStatementsAppendAsAppendEncodedDoes: an append through statements prepared once
// on the writer's connection writes the very rows AppendEncoded writes, batch after batch of
// every size (the statements of 32, 16, ... 1 rows serve them all).
func TestPreparedStatementsAppendAsAppendEncodedDoes(t *testing.T) {
	ctx := context.Background()
	adhoc, prepared := openDB(t), openDB(t)
	// One connection, as the store's writer has: the statements and the transactions share it.
	prepared.SetMaxOpenConns(1)
	stmts, err := PrepareStatements(ctx, prepared.PrepareContext)
	if err != nil {
		t.Fatal(err)
	}
	defer stmts.Close()
	next := 0
	for _, size := range []int{1, 7, 33, 100, 257, 1000, 3, 4000} {
		batch := make([]Encoded, size)
		for i := range batch {
			r, err := ObservationRecord(observation(next+i), t0)
			if err != nil {
				t.Fatal(err)
			}
			if batch[i], err = r.Encode(); err != nil {
				t.Fatal(err)
			}
			if i%3 == 0 { // some kept as references, as the server keeps observations
				if batch[i], err = batch[i].StoredAs(ObservationRef(int64(next+i+1), t0)); err != nil {
					t.Fatal(err)
				}
			}
		}
		next += size
		for _, db := range []*sql.DB{adhoc, prepared} {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if db == prepared {
				_, err = stmts.Append(ctx, tx, batch...)
			} else {
				_, err = AppendEncoded(ctx, tx, batch...)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, table := range []string{"ledger_entries", "ledger_hashes"} {
		dump := func(db *sql.DB) []string {
			rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY idx`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			var out []string
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				rows.Scan(ptrs...)
				out = append(out, fmt.Sprint(vals...))
			}
			return out
		}
		a, p := dump(adhoc), dump(prepared)
		if len(a) == 0 || !slices.Equal(a, p) {
			t.Errorf("%s: %d rows appended with statements made for the call, %d with prepared ones, or they differ", table, len(a), len(p))
		}
	}
	ha, err := TreeHash(ctx, adhoc, int64(next))
	if err != nil {
		t.Fatal(err)
	}
	hp, err := TreeHash(ctx, prepared, int64(next))
	if err != nil || ha != hp {
		t.Errorf("tree hashes %v and %v, %v", ha, hp, err)
	}
}
