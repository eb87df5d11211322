package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// exportFixture is a log of 100 records whose mission published checkpoints at 10 and 50,
// exported at 100, and the other checkpoints the tamper cases need.
type exportFixture struct {
	m        *missionLog
	dir      string // the export, as written; cases work on copies
	pubFile  string // the log's verifier key, as log.pub
	cp10     []byte
	cp100    []byte
	cp120    []byte // a checkpoint of the log after the export, for a rollback
	cosigned []byte // cp100 with a witness's cosignature
	fork30   []byte // checkpoints the mission's key signed over a rewritten history
	fork50   []byte
	fork100  []byte
	leafHash []tlog.Hash
}

func newExportFixture(t *testing.T) *exportFixture {
	t.Helper()
	m := newMissionLog(t)
	f := &exportFixture{m: m, dir: filepath.Join(t.TempDir(), "export")}
	f.cp10 = m.grow(10)
	m.grow(40)
	appendN(t, m.db, 50)
	if _, err := Export(context.Background(), m.db, nil, m.signer, f.dir); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.cp100, err = os.ReadFile(filepath.Join(f.dir, ExportCheckpoint)); err != nil {
		t.Fatal(err)
	}
	w, err := InitWitness(t.TempDir(), "witness.east.example")
	if err != nil {
		t.Fatal(err)
	}
	if f.cosigned, err = w.Cosign(f.cp100, m.verifier, nil); err != nil {
		t.Fatal(err)
	}
	f.cp120 = m.grow(20)
	f.fork30 = m.forkedCheckpoint(30)
	f.fork50 = m.forkedCheckpoint(50)
	f.fork100 = m.forkedCheckpoint(100)
	f.pubFile = filepath.Join(t.TempDir(), "log.pub")
	if err := os.WriteFile(f.pubFile, []byte(m.vkey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, r := range records(t, 0, 100) {
		h, _ := r.LeafHash()
		f.leafHash = append(f.leafHash, h)
	}
	return f
}

// copy returns a fresh copy of the export for one case to alter.
func (f *exportFixture) copy(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "export")
	err := filepath.WalkDir(f.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(f.dir, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func editLines(t *testing.T, dir string, edit func([][]byte) [][]byte) {
	t.Helper()
	path := filepath.Join(dir, ExportRecords)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	lines = lines[:len(lines)-1] // the empty string after the last newline
	if err := os.WriteFile(path, bytes.Join(edit(lines), nil), 0o644); err != nil {
		t.Fatal(err)
	}
}

// flipByte changes one byte in the middle of record i.
func flipByte(i int) func([][]byte) [][]byte {
	return func(lines [][]byte) [][]byte {
		l := lines[i]
		l[len(l)/2] ^= 0x01
		return lines
	}
}

func deleteRecord(i int) func([][]byte) [][]byte {
	return func(lines [][]byte) [][]byte { return append(lines[:i:i], lines[i+1:]...) }
}

func swapRecords(i, j int) func([][]byte) [][]byte {
	return func(lines [][]byte) [][]byte {
		lines[i], lines[j] = lines[j], lines[i]
		return lines
	}
}

type tamperCase struct {
	name           string
	edit           func(t *testing.T, f *exportFixture, dir string)
	trusted        func(f *exportFixture) []byte
	wantErr        error // nil: the export verifies
	wantRecord     int64
	wantCheckpoint string
	wantMsg        string
}

var tamperCases = []tamperCase{
	{name: "untouched export verifies"},
	{name: "untouched export extends the trusted checkpoint", trusted: func(f *exportFixture) []byte { return f.cp10 }},
	{name: "untouched export is its own trusted checkpoint", trusted: func(f *exportFixture) []byte { return f.cp100 }},
	{
		name: "checkpoint cosigned by a witness, trusted as cosigned",
		edit: func(t *testing.T, f *exportFixture, dir string) {
			os.WriteFile(filepath.Join(dir, ExportCheckpoint), f.cosigned, 0o644)
		},
		trusted: func(f *exportFixture) []byte { return f.cosigned },
	},
	{
		name:    "one byte of the first record changed",
		edit:    func(t *testing.T, f *exportFixture, dir string) { editLines(t, dir, flipByte(0)) },
		wantErr: ErrTampered, wantRecord: 0, wantMsg: "record 0: does not hash into the log: its leaf hash is",
	},
	{
		name:    "one byte of a middle record changed",
		edit:    func(t *testing.T, f *exportFixture, dir string) { editLines(t, dir, flipByte(37)) },
		wantErr: ErrTampered, wantRecord: 37, wantMsg: "record 37: does not hash into the log: its leaf hash is",
	},
	{
		name:    "one byte of the last record changed",
		edit:    func(t *testing.T, f *exportFixture, dir string) { editLines(t, dir, flipByte(99)) },
		wantErr: ErrTampered, wantRecord: 99, wantMsg: "record 99: does not hash into the log",
	},
	{
		name: "the newline after a record removed, joining two",
		edit: func(t *testing.T, f *exportFixture, dir string) {
			editLines(t, dir, func(l [][]byte) [][]byte { l[63] = l[63][:len(l[63])-1]; return l })
		},
		wantErr: ErrTampered, wantRecord: 63, wantMsg: "record 63: does not hash into the log",
	},
	{
		name:    "a middle record deleted",
		edit:    func(t *testing.T, f *exportFixture, dir string) { editLines(t, dir, deleteRecord(42)) },
		wantErr: ErrTampered, wantRecord: 42, wantMsg: "record 42: does not hash into the log: it is missing (the record in its place is the log's record 43)",
	},
	{
		name:    "the last record deleted",
		edit:    func(t *testing.T, f *exportFixture, dir string) { editLines(t, dir, deleteRecord(99)) },
		wantErr: ErrTampered, wantRecord: 99, wantMsg: "record 99: does not hash into the log: it is missing (the folder holds 99 records, the checkpoint covers 100)",
	},
	{
		name:    "two records swapped",
		edit:    func(t *testing.T, f *exportFixture, dir string) { editLines(t, dir, swapRecords(5, 60)) },
		wantErr: ErrTampered, wantRecord: 5, wantMsg: "record 5: does not hash into the log: it is out of order (the record in its place is the log's record 60)",
	},
	{
		name: "a record added after the checkpoint",
		edit: func(t *testing.T, f *exportFixture, dir string) {
			editLines(t, dir, func(l [][]byte) [][]byte { return append(l, append([]byte(nil), l[0]...)) })
		},
		wantErr: ErrTampered, wantRecord: 100, wantMsg: "record 100: does not hash into the log: the checkpoint covers 100 records, the folder holds 101",
	},
	{
		name: "a record changed and the leaf hashes recomputed to match",
		edit: func(t *testing.T, f *exportFixture, dir string) {
			editLines(t, dir, flipByte(37))
			b, _ := os.ReadFile(filepath.Join(dir, ExportRecords))
			var hashes []byte
			for _, l := range bytes.SplitAfter(b, []byte("\n")) {
				if len(l) > 0 {
					h := tlog.RecordHash(l[:len(l)-1])
					hashes = append(hashes, h[:]...)
				}
			}
			os.WriteFile(filepath.Join(dir, ExportLeafHashes), hashes, 0o644)
		},
		wantErr: ErrTampered, wantRecord: 10, wantMsg: "record 10: does not hash into the log: this record or one after it, up to record 49, was altered",
	},
	{
		name:    "records file removed",
		edit:    func(t *testing.T, f *exportFixture, dir string) { os.Remove(filepath.Join(dir, ExportRecords)) },
		wantErr: ErrTampered, wantRecord: 0, wantMsg: "record 0: does not hash into the log: the records cannot be read",
	},
	{
		name: "checkpoint's size changed",
		edit: func(t *testing.T, f *exportFixture, dir string) {
			os.WriteFile(filepath.Join(dir, ExportCheckpoint), bytes.Replace(f.cp100, []byte("\n100\n"), []byte("\n99\n"), 1), 0o644)
		},
		wantErr: ErrBadSignature, wantRecord: -1, wantCheckpoint: "checkpoint", wantMsg: "checkpoint: signature does not verify",
	},
	{
		name: "checkpoint replaced by one of a rewritten history",
		edit: func(t *testing.T, f *exportFixture, dir string) {
			os.WriteFile(filepath.Join(dir, ExportCheckpoint), f.fork100, 0o644)
		},
		wantErr: ErrFork, wantRecord: -1, wantCheckpoint: "checkpoint", wantMsg: "checkpoint: fork: checkpoint (size 100, root",
	},
	{
		name:    "fork: trusted checkpoint of the same size with another root",
		trusted: func(f *exportFixture) []byte { return f.fork100 },
		wantErr: ErrFork, wantRecord: -1, wantCheckpoint: "checkpoint", wantMsg: "checkpoint: fork: checkpoint (size 100, root",
	},
	{
		name:    "fork: trusted checkpoint of a smaller size that the log does not extend",
		trusted: func(f *exportFixture) []byte { return f.fork30 },
		wantErr: ErrFork, wantRecord: -1, wantCheckpoint: "checkpoint", wantMsg: "does not extend the trusted checkpoint (size 30",
	},
	{
		name: "fork: earlier checkpoint in the folder of a rewritten history",
		edit: func(t *testing.T, f *exportFixture, dir string) {
			os.WriteFile(filepath.Join(dir, ExportCheckpoints, "50"), f.fork50, 0o644)
		},
		wantErr: ErrFork, wantRecord: -1, wantCheckpoint: "checkpoints/50", wantMsg: "checkpoints/50: fork: the log signed root",
	},
	{
		name:    "rollback: trusted checkpoint newer than the export",
		trusted: func(f *exportFixture) []byte { return f.cp120 },
		wantErr: ErrRollback, wantRecord: -1, wantCheckpoint: "checkpoint", wantMsg: "checkpoint: rollback: checkpoint (size 100",
	},
	{
		name:    "trusted checkpoint altered",
		trusted: func(f *exportFixture) []byte { return bytes.Replace(f.cp10, []byte("\n10\n"), []byte("\n11\n"), 1) },
		wantErr: ErrBadSignature, wantRecord: -1, wantCheckpoint: "trusted checkpoint", wantMsg: "trusted checkpoint: signature does not verify",
	},
	{
		name: "consistency proof altered",
		edit: func(t *testing.T, f *exportFixture, dir string) {
			p, _ := os.ReadFile(filepath.Join(dir, ExportProofs, "10"))
			p[0] ^= 0x02
			os.WriteFile(filepath.Join(dir, ExportProofs, "10"), p, 0o644)
		},
		wantErr: ErrBadProof, wantRecord: -1, wantCheckpoint: "proofs/10", wantMsg: "proofs/10: consistency proof does not verify",
	},
}

func TestVerifyDetectsTamperingAndNamesTheFault(t *testing.T) {
	f := newExportFixture(t)
	for _, tc := range tamperCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := f.copy(t)
			if tc.edit != nil {
				tc.edit(t, f, dir)
			}
			var trusted []byte
			if tc.trusted != nil {
				trusted = tc.trusted(f)
			}
			v, err := Verify(dir, f.m.verifier, trusted)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if v.Checkpoint.Size != 100 || len(v.Earlier) != 2 || v.Earlier[0] != 10 || v.Earlier[1] != 50 {
					t.Errorf("verified %+v, want size 100 and earlier checkpoints [10 50]", v)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want a *VerifyError wrapping %v", err, tc.wantErr)
			}
			if ve.Record != tc.wantRecord || ve.Checkpoint != tc.wantCheckpoint {
				t.Errorf("fault at record %d checkpoint %q, want record %d checkpoint %q", ve.Record, ve.Checkpoint, tc.wantRecord, tc.wantCheckpoint)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.wantMsg)
			}
		})
	}
}

// TestExportOfAlteredDatabaseNamesTheRecord alters the stored records themselves, not an
// export: the leaf hashes come from the tree as it was logged, so the verifier still names
// the record; what the export cannot write (a row short of a record, a row missing) it
// refuses, naming the records.
func TestExportOfAlteredDatabaseNamesTheRecord(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		alter      func(t *testing.T, db *sql.DB)
		wantExport string
		wantRecord int64
	}{
		{"one byte of a stored record changed", execSQL(`UPDATE ledger_entries SET data = CAST(REPLACE(CAST(data AS TEXT), 'obs-000042', 'obs-000043') AS BLOB) WHERE idx <= 42 AND idx + n > 42`), "", 42},
		{"a stored record cut out of its row", func(t *testing.T, db *sql.DB) {
			editStoredRow(t, db, 42, func(first int64, l [][]byte) [][]byte { return append(l[:42-first], l[43-first:]...) })
		}, "records 30 to 44: the row holds 14 records where 15 were stored", -1},
		{"the row of a stored record deleted", execSQL(`DELETE FROM ledger_entries WHERE idx = (SELECT MAX(idx) FROM ledger_entries WHERE idx <= 42)`), "record 30 is missing from the database", -1},
		{"two stored records swapped", func(t *testing.T, db *sql.DB) {
			editStoredRow(t, db, 7, func(first int64, l [][]byte) [][]byte {
				l[7-first], l[8-first] = l[8-first], l[7-first]
				return l
			})
		}, "", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMissionLog(t)
			m.grow(60)
			appendN(t, m.db, 1) // the export signs a checkpoint over the altered records
			tt.alter(t, m.db)
			dir := filepath.Join(t.TempDir(), "export")
			_, err := Export(ctx, m.db, nil, m.signer, dir)
			if tt.wantExport != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantExport) {
					t.Fatalf("export error %v, want %q", err, tt.wantExport)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = Verify(dir, m.verifier, nil)
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Record != tt.wantRecord || !errors.Is(err, ErrTampered) {
				t.Fatalf("error %v, want record %d not to hash into the log", err, tt.wantRecord)
			}
		})
	}
}

func execSQL(stmt string) func(t *testing.T, db *sql.DB) {
	return func(t *testing.T, db *sql.DB) {
		t.Helper()
		res, err := db.Exec(stmt)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%s: %d rows changed, want 1", stmt, n)
		}
	}
}

// editStoredRow rewrites the row of ledger_entries holding record i: edit is given the row's
// first record and its records, without their newlines, and returns those to store. The row's
// count of records is left as it was.
func editStoredRow(t *testing.T, db *sql.DB, i int64, edit func(first int64, lines [][]byte) [][]byte) {
	t.Helper()
	var first int64
	var data []byte
	if err := db.QueryRow(`SELECT idx, data FROM ledger_entries WHERE idx <= ? ORDER BY idx DESC LIMIT 1`, i).Scan(&first, &data); err != nil {
		t.Fatal(err)
	}
	lines := edit(first, bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")))
	data = append(bytes.Join(lines, []byte("\n")), '\n')
	if _, err := db.Exec(`UPDATE ledger_entries SET data = ? WHERE idx = ?`, data, first); err != nil {
		t.Fatal(err)
	}
}

func TestExportRefusesAFolderInUseAndAnEmptyLog(t *testing.T) {
	ctx := context.Background()
	m := newMissionLog(t)
	if _, err := Export(ctx, m.db, nil, m.signer, filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "the log is empty") {
		t.Errorf("empty log: %v", err)
	}
	m.grow(3)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keep"), []byte("x"), 0o644)
	if _, err := Export(ctx, m.db, nil, m.signer, dir); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("folder in use: %v", err)
	}
}

func TestVerifyReadsRecordsLongerThanItsBuffer(t *testing.T) {
	ctx := context.Background()
	m := newMissionLog(t)
	appendN(t, m.db, 2)
	big, err := NewRecord(KindDecision, "big", t0, map[string]string{"note": strings.Repeat("x", 3<<20)})
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := m.db.BeginTx(ctx, nil)
	if _, err := Append(ctx, tx, big); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	appendN(t, m.db, 2)
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := Export(ctx, m.db, nil, m.signer, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(dir, m.verifier, nil); err != nil {
		t.Fatalf("export with a 3 MiB record: %v", err)
	}
	editLines(t, dir, func(l [][]byte) [][]byte { l[2][2<<20] = 'y'; return l })
	var ve *VerifyError
	if _, err := Verify(dir, m.verifier, nil); !errors.As(err, &ve) || ve.Record != 2 {
		t.Fatalf("error %v, want record 2 at fault", err)
	}
}
