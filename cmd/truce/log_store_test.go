package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/sqlite"
)

// edgeObservations are observations whose records are easy to get wrong when they are built
// again from the store's row: a negative zero the store keeps as zero, a time in another zone
// with nanoseconds, empty and nested attrs, attrs encoding/json writes with HTML escapes and
// integers beyond float64's, evidence, no raw bytes, text outside ASCII.
func edgeObservations() []truce.Judged {
	t0 := time.Date(2026, 5, 1, 9, 10, 11, 123456789, time.FixedZone("EEST", 3*3600))
	obs := []truce.Observation{
		{ID: "zero", Source: "edge", Time: t0, Kind: "presence.vehicle", Lat: math.Copysign(0, -1), Lon: 36.1, CEm: 0},
		{ID: "empty-attrs", Source: "edge", Time: t0.Add(time.Second), Kind: "presence.vehicle", Lat: 47.6, Lon: -0.0, CEm: 12.5,
			Attrs: map[string]any{}},
		{ID: "nested", Source: "edge", Time: t0.Add(2 * time.Second), Kind: "fire.explosion", Lat: 47.6, Lon: 36.3, Party: "схід",
			Attrs: map[string]any{"where": map[string]any{"b": []any{1.0, "x"}, "a": true}, "note": "<b>&</b>", "big": int64(1<<60 + 1)}},
		{ID: "flat", Source: "edge", Time: t0.Add(3 * time.Second), Kind: "sea.vessel", Lat: 44.5, Lon: 33.5,
			Attrs:    map[string]any{"mmsi": 211331640.0, "speed_kn": 12.25, "small": 5e-7, "huge": 1e21, "none": nil, "name": "EVER GIVEN"},
			Evidence: []string{strings.Repeat("ab", 32), strings.Repeat("0f", 32)}, Raw: []byte("!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24")},
		{ID: "quote \"and\" newline\n", Source: "edge/ünï", Time: t0.Add(4 * time.Second), Kind: "presence.personnel", Lat: -45.25, Lon: 179.999999999, CEm: 1e-3},
	}
	out := make([]truce.Judged, len(obs))
	for i := range obs {
		out[i] = truce.Judged{Observation: &obs[i]}
	}
	return out
}

// wantRecords are the log's records of one observation, built with the ledger's Record API
// (ObservationRecord, FindingRecord), not the server's shortcuts: the observation, then its
// findings.
func wantRecords(o *truce.Observation, findings []truce.Finding, at time.Time) ([]ledger.Record, error) {
	r, err := ledger.ObservationRecord(o, at)
	if err != nil {
		return nil, err
	}
	out := []ledger.Record{r}
	for i := range findings {
		r, err := ledger.FindingRecord(&findings[i], at)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// loggedStore opens a store with the mission's log in dir, as serve does.
func loggedStore(t *testing.T, dir string) (*sqlite.DB, *missionLog) {
	t.Helper()
	store, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	mlog, err := openLog(store, dir, defaultLogOrigin, "")
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	return store, mlog
}

// ingestLogged stores batches through store with their records prepared as the request
// handlers prepare them, and returns the records appended, in log order, as prepared.
func ingestLogged(t *testing.T, store *sqlite.DB, mlog *missionLog, batches ...[]truce.Judged) [][]byte {
	t.Helper()
	var want [][]byte
	for _, batch := range batches {
		mlog.prepare(batch)
		for i := range batch {
			if batch[i].Prepared == nil {
				t.Fatalf("%s/%s: no records prepared", batch[i].Observation.Source, batch[i].Observation.ID)
			}
		}
		dup, _, err := store.Ingest(context.Background(), batch)
		if err != nil {
			t.Fatal(err)
		}
		for i, j := range batch {
			if dup[i] {
				continue
			}
			recs, err := wantRecords(j.Observation, j.Findings, j.Prepared.(*prepared).at)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				b, err := r.MarshalCanonical()
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, b)
			}
		}
	}
	return want
}

// TestObservationRecordsReadBackFromTheStore: the log keeps an observation's record as a
// reference to the store's row, and the record read back from the row is, byte for byte, the
// record prepared and hashed when the observation arrived: for a simulated stretch of a
// mission (raw lines kept, findings of every rule) and for observations chosen to be hard.
func TestObservationRecordsReadBackFromTheStore(t *testing.T) {
	dir := t.TempDir()
	store, mlog := loggedStore(t, dir)
	defer store.Close()
	defer mlog.Close()

	day := simulatedBatches(t, "", 500)
	batches := append(day[:4:4], edgeObservations())
	// A batch sent again is stored (and logged) once.
	batches = append(batches, edgeObservations())
	want := ingestLogged(t, store, mlog, batches...)

	ctx := context.Background()
	got, err := mlog.Entries(ctx, 0, int64(len(want))+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records read back, %d appended", len(got), len(want))
	}
	refs := 0
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d read back as\n%s\nwas appended as\n%s", i, got[i], want[i])
		}
		// The record's hash is the leaf the tree holds, hashed when it was prepared.
		leaf, err := ledger.HashReader(ctx, mlog.db).ReadHashes([]int64{tlog.StoredHashIndex(0, int64(i))})
		if err != nil {
			t.Fatal(err)
		}
		if tlog.RecordHash(got[i]) != leaf[0] {
			t.Fatalf("record %d read back does not hash to the leaf the tree holds:\n%s", i, got[i])
		}
	}
	// The observations and findings are kept as references, not as second copies.
	rows, err := mlog.db.QueryContext(ctx, `SELECT data FROM ledger_entries`)
	if err != nil {
		t.Fatal(err)
	}
	findingRefs := 0
	for rows.Next() {
		var data []byte
		rows.Scan(&data)
		for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
			if _, _, ok := ledger.ParseObservationRef(line); ok {
				refs++
			} else if _, _, ok := ledger.ParseFindingRef(line); ok {
				findingRefs++
			} else {
				t.Errorf("a record is stored whole: %.200s", line)
			}
		}
	}
	rows.Close()
	if wantRefs := 4*500 + len(edgeObservations()); refs != wantRefs {
		t.Errorf("%d references to observations' rows, want %d", refs, wantRefs)
	}
	if findingRefs != len(want)-refs || findingRefs == 0 {
		t.Errorf("%d references to findings' rows, want %d", findingRefs, len(want)-refs)
	}

	// Each edge case's body reads back as the observation stored, its time in UTC.
	for _, j := range edgeObservations() {
		o := *j.Observation
		for _, line := range got {
			rec, err := ledger.ParseRecord(line)
			if err != nil {
				t.Fatal(err)
			}
			if rec.ID != o.Source+"/"+o.ID {
				continue
			}
			var back truce.Observation
			if err := json.Unmarshal(rec.Body, &back); err != nil {
				t.Fatalf("%s: body %s: %v", rec, rec.Body, err)
			}
			if !back.Time.Equal(o.Time) || back.Time.Location() != time.UTC {
				t.Errorf("%s: time %v, want %v in UTC", rec, back.Time, o.Time)
			}
			if back.Lat != o.Lat || back.Lon != o.Lon || back.CEm != o.CEm || back.Party != o.Party || back.Kind != o.Kind {
				t.Errorf("%s: body %s does not carry the observation's fields", rec, rec.Body)
			}
			wantAttrs, _ := json.Marshal(o.Attrs)
			var w, g any
			json.Unmarshal(wantAttrs, &w)
			gotAttrs, _ := json.Marshal(back.Attrs)
			json.Unmarshal(gotAttrs, &g)
			if len(o.Attrs) > 0 && !reflect.DeepEqual(w, g) {
				t.Errorf("%s: attrs %s, want %s", rec, gotAttrs, wantAttrs)
			}
		}
	}
}

// TestTamperedStoreRowsAreNamedByVerify: with observations' records read back from the
// store's rows, a row changed, deleted or swapped with another after it was logged is found
// by export and verify, which name the record at fault.
func TestTamperedStoreRowsAreNamedByVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the truce command")
	}
	// setup makes a data folder with a logged stretch of a mission, and returns it with the
	// log index of each observation's record, by seq.
	setup := func(t *testing.T) (string, map[int64]int64) {
		dir := t.TempDir()
		store, mlog := loggedStore(t, dir)
		day := simulatedBatches(t, "", 200)
		ingestLogged(t, store, mlog, day[:3]...)
		index := map[int64]int64{}
		rows, err := mlog.db.Query(`SELECT idx, data FROM ledger_entries ORDER BY idx`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var idx int64
			var data []byte
			rows.Scan(&idx, &data)
			for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
				if seq, _, ok := ledger.ParseObservationRef(line); ok {
					index[seq] = idx + int64(i)
				}
			}
		}
		rows.Close()
		mlog.Close()
		store.Close()
		return dir, index
	}
	findingIndex := func(t *testing.T, dir, id string) int64 {
		db, err := sql.Open("sqlite", "file:"+dbPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(`SELECT idx, data FROM ledger_entries ORDER BY idx`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var idx int64
			var data []byte
			rows.Scan(&idx, &data)
			for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
				if got, _, ok := ledger.ParseFindingRef(line); ok && got == id {
					return idx + int64(i)
				}
			}
		}
		t.Fatalf("finding %s is not in the log", id)
		return 0
	}
	tamper := func(t *testing.T, dir, query string, args ...any) {
		db, err := sql.Open("sqlite", "file:"+dbPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(query, args...); err != nil {
			t.Fatal(err)
		}
	}
	verify := func(t *testing.T, dir string) (string, error) {
		out := filepath.Join(t.TempDir(), "export")
		if res, err := command("export", "--data", dir, "--out", out).CombinedOutput(); err != nil {
			return string(res), err
		}
		res, err := command("verify", "--key", filepath.Join(dir, "log.pub"), out).CombinedOutput()
		return string(res), err
	}
	failsNaming := func(t *testing.T, res string, err error, record int64) {
		t.Helper()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("the tampered log passed (%v):\n%s", err, res)
		}
		if name := fmt.Sprintf("record %d ", record); !strings.Contains(lastLine(res), name) && !strings.Contains(lastLine(res), fmt.Sprintf("record %d:", record)) {
			t.Errorf("the last line does not name record %d:\n%s", record, res)
		}
	}

	t.Run("untouched", func(t *testing.T) {
		dir, _ := setup(t)
		if res, err := verify(t, dir); err != nil {
			t.Fatalf("%v\n%s", err, res)
		}
	})
	t.Run("one byte of attrs", func(t *testing.T) {
		dir, index := setup(t)
		var seq int64
		db, _ := sql.Open("sqlite", "file:"+dbPath(dir))
		db.QueryRow(`SELECT seq FROM observations WHERE attrs IS NOT NULL AND seq > 100 ORDER BY seq LIMIT 1`).Scan(&seq)
		db.Close()
		if seq == 0 {
			t.Fatal("no observation with attrs")
		}
		tamper(t, dir, `UPDATE observations SET attrs = substr(attrs, 1, length(attrs) - 2) || 'X}' WHERE seq = ?`, seq)
		res, err := verify(t, dir)
		failsNaming(t, res, err, index[seq])
	})
	t.Run("a position moved by a nanodegree", func(t *testing.T) {
		dir, index := setup(t)
		tamper(t, dir, `UPDATE observations SET lat = lat + 1e-9 WHERE seq = 250`)
		res, err := verify(t, dir)
		failsNaming(t, res, err, index[250])
	})
	t.Run("raw bytes", func(t *testing.T) {
		dir, index := setup(t)
		tamper(t, dir, `UPDATE observations SET raw = CAST(replace(CAST(raw AS TEXT), '"', '''') AS BLOB) WHERE seq = 7`)
		res, err := verify(t, dir)
		failsNaming(t, res, err, index[7])
	})
	t.Run("a finding's party", func(t *testing.T) {
		dir, _ := setup(t)
		db, _ := sql.Open("sqlite", "file:"+dbPath(dir))
		var id string
		db.QueryRow(`SELECT id FROM findings WHERE party != '' ORDER BY pos LIMIT 1 OFFSET 3`).Scan(&id)
		db.Close()
		if id == "" {
			t.Fatal("no finding with a party")
		}
		index := findingIndex(t, dir, id)
		tamper(t, dir, `UPDATE findings SET party = 'someone else' WHERE id = ?`, id)
		res, err := verify(t, dir)
		failsNaming(t, res, err, index)
	})
	t.Run("a finding reviewed since is not tampering", func(t *testing.T) {
		dir, _ := setup(t)
		tamper(t, dir, `UPDATE findings SET review = 'verified', version = version + 1 WHERE pos % 2 = 0`)
		if res, err := verify(t, dir); err != nil {
			t.Fatalf("%v\n%s", err, res)
		}
	})
	t.Run("a row deleted", func(t *testing.T) {
		dir, index := setup(t)
		tamper(t, dir, `DELETE FROM findings WHERE seq = 42`)
		tamper(t, dir, `DELETE FROM observations WHERE seq = 42`)
		res, err := verify(t, dir)
		if err == nil {
			t.Fatalf("the log passed with a row deleted:\n%s", res)
		}
		if !strings.Contains(res, fmt.Sprintf("record %d is missing", index[42])) {
			t.Errorf("the error does not name record %d as missing:\n%s", index[42], res)
		}
	})
	t.Run("two rows swapped", func(t *testing.T) {
		dir, index := setup(t)
		tamper(t, dir, `UPDATE observations SET seq = -1 WHERE seq = 300;
			UPDATE observations SET seq = 300 WHERE seq = 301;
			UPDATE observations SET seq = 301 WHERE seq = -1`)
		res, err := verify(t, dir)
		failsNaming(t, res, err, min(index[300], index[301]))
	})
}

// TestExportFromAServerVerifiesAndNamesAnAlteredRecord: a checkpoint is signed on demand, and
// `truce export --server URL --token T` writes a folder verify accepts, from the API alone;
// once a row of the store is altered behind the server's back, the next export from it fails
// verify, which names the record.
func TestExportFromAServerVerifiesAndNamesAnAlteredRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	data := t.TempDir()
	monitor := lastLine(runCommand(t, "token", "create", "--role", "monitor", "--data", data))
	analyst := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	// Checkpoints only on demand: the periodic one is an hour away.
	server := startServer(t, "--agreement", examplesDir("notional-east"), "--data", data, "--checkpoint-every", "1h")
	ctx := context.Background()
	if status, reply, err := httpDo(ctx, "POST", server.url+"/api/v1/observations", monitor, "application/x-ndjson", []byte(logTestObservations)); err != nil || status != 200 {
		t.Fatalf("post: %v %d %s", err, status, reply)
	}
	// Three observations, two of which break dmz-presence: five records, signed on demand.
	if status, _, _ := httpDo(ctx, "POST", server.url+"/api/v1/log/checkpoint", monitor, "", nil); status != 403 {
		t.Errorf("a monitor asking for a checkpoint: %d, want 403", status)
	}
	status, body, err := httpDo(ctx, "POST", server.url+"/api/v1/log/checkpoint", analyst, "", nil)
	if err != nil || status != 200 || !bytes.Contains(body, []byte("\n5\n")) {
		t.Fatalf("a checkpoint on demand: %v %d\n%s", err, status, body)
	}
	if _, got, _ := httpDo(ctx, "GET", server.url+"/api/v1/log/checkpoint", analyst, "", nil); !bytes.Equal(got, body) {
		t.Errorf("GET serves\n%s\nafter POST signed\n%s", got, body)
	}
	verify := func(out string) (string, error) {
		res, err := command("verify", "--key", filepath.Join(data, "log.pub"), out).CombinedOutput()
		return string(res), err
	}
	out := filepath.Join(t.TempDir(), "export")
	runCommand(t, "export", "--server", server.url, "--token", analyst, "--out", out)
	if res, err := verify(out); err != nil {
		t.Fatalf("verify of an export from the server: %v\n%s", err, res)
	}

	// The second observation (record 2: l1, its finding, then l2) moved behind the server.
	db, err := sql.Open("sqlite", "file:"+dbPath(data)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE observations SET lat = lat + 0.001 WHERE id = 'l2'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	again := filepath.Join(t.TempDir(), "export")
	runCommand(t, "export", "--server", server.url, "--token", analyst, "--out", again)
	res, err := verify(again)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(lastLine(res), "record 2:") {
		t.Errorf("verify of an export after a row was altered: %v\n%s", err, res)
	}
	// Without a token the server gives nothing.
	if res, err := command("export", "--server", server.url, "--out", filepath.Join(t.TempDir(), "x")).CombinedOutput(); err == nil {
		t.Errorf("an export without --token succeeded:\n%s", res)
	}
}

// TestWitnessCosignsFromTheServer: a party's witness takes the checkpoint and the consistency
// proof from the mission's server, checks them itself, and posts its cosignature back, which
// the server then serves with the checkpoint.
func TestWitnessCosignsFromTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	data := t.TempDir()
	monitor := lastLine(runCommand(t, "token", "create", "--role", "monitor", "--data", data))
	analyst := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	liaison := lastLine(runCommand(t, "token", "create", "--role", "liaison", "--party", "east", "--data", data))
	server := startServer(t, "--agreement", examplesDir("notional-east"), "--data", data, "--checkpoint-every", "1h")
	ctx := context.Background()
	state := filepath.Join(t.TempDir(), "witness")
	runCommand(t, "witness", "init", "--name", "east-witness", "--state", state)
	cosign := func() {
		t.Helper()
		runCommand(t, "witness", "cosign", "--state", state, "--log-key", filepath.Join(data, "log.pub"), "--server", server.url, "--token", liaison)
		_, served, _ := httpDo(ctx, "GET", server.url+"/api/v1/log/checkpoint", liaison, "", nil)
		if !bytes.Contains(served, []byte("\n— east-witness ")) {
			t.Errorf("the server does not serve the witness's cosignature:\n%s", served)
		}
	}
	for i, batch := range []string{logTestObservations, strings.ReplaceAll(logTestObservations, `"id":"l`, `"id":"m`)} {
		if status, reply, err := httpDo(ctx, "POST", server.url+"/api/v1/observations", monitor, "application/x-ndjson", []byte(batch)); err != nil || status != 200 {
			t.Fatalf("post: %v %d %s", err, status, reply)
		}
		status, body, err := httpDo(ctx, "POST", server.url+"/api/v1/log/checkpoint", analyst, "", nil)
		if want := fmt.Sprintf("\n%d\n", 5*(i+1)); err != nil || status != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("checkpoint %d: %v %d\n%s", i, err, status, body)
		}
		// The second time, the witness checks the proof from the 5 records it cosigned.
		cosign()
	}
}

// TestExportUntilAnEarlierCheckpoint: export --until writes the log as of a checkpoint the
// mission published before, given by its size or by a file a party kept, and verify accepts
// it; a checkpoint the mission did not publish is refused.
func TestExportUntilAnEarlierCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the truce command")
	}
	dir := t.TempDir()
	store, mlog := loggedStore(t, dir)
	day := simulatedBatches(t, "", 200)
	ctx := context.Background()
	var sizes []int64
	for _, batch := range day[:3] {
		ingestLogged(t, store, mlog, batch)
		if _, err := mlog.checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		size, err := ledger.Size(ctx, mlog.db)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, size)
	}
	_, notes, err := ledger.PublishedCheckpoints(ctx, mlog.db)
	if err != nil || len(notes) != 3 {
		t.Fatalf("%d checkpoints published, %v", len(notes), err)
	}
	mlog.Close()
	store.Close()

	kept := filepath.Join(t.TempDir(), "kept-checkpoint")
	os.WriteFile(kept, notes[1], 0o600)
	for _, until := range []string{fmt.Sprint(sizes[0]), kept} {
		out := filepath.Join(t.TempDir(), "export")
		runCommand(t, "export", "--data", dir, "--until", until, "--out", out)
		res, err := command("verify", "--key", filepath.Join(dir, "log.pub"), out).CombinedOutput()
		if err != nil {
			t.Fatalf("verify of an export --until %s: %v\n%s", until, err, res)
		}
		want := sizes[0]
		if until == kept {
			want = sizes[1]
		}
		if !strings.Contains(string(res), fmt.Sprintf("records: %d,", want)) {
			t.Errorf("export --until %s: verify says\n%s\nwant %d records", until, res, want)
		}
	}
	// A checkpoint of a size never published, and one whose root is not the mission's.
	forged := filepath.Join(t.TempDir(), "forged")
	text := notes[1][:bytes.Index(notes[1], []byte("\n\n"))+1]
	lines := bytes.Split(text, []byte("\n"))
	lines[2] = []byte(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	os.WriteFile(forged, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600)
	for _, until := range []string{"12345", forged} {
		if res, err := command("export", "--data", dir, "--until", until, "--out", filepath.Join(t.TempDir(), "x")).CombinedOutput(); err == nil {
			t.Errorf("export --until %s succeeded:\n%s", until, res)
		} else if !strings.Contains(string(res), "published") {
			t.Errorf("export --until %s: the error does not say what the mission published:\n%s", until, res)
		}
	}
}

// exportFromServerVerifies signs a checkpoint of what the server at url has logged, exports it
// from the API and runs verify on the folder, which must pass: the records of every source
// (HTTP, TAK, AIS), read back from the store's rows, hash to the leaves logged when they came.
func exportFromServerVerifies(t *testing.T, url, analyst, data string) {
	t.Helper()
	if status, body, err := httpDo(context.Background(), "POST", url+"/api/v1/log/checkpoint", analyst, "", nil); err != nil || status != 200 {
		t.Fatalf("a checkpoint on demand: %v %d %s", err, status, body)
	}
	out := filepath.Join(t.TempDir(), "export")
	runCommand(t, "export", "--server", url, "--token", analyst, "--out", out)
	res, err := command("verify", "--key", filepath.Join(data, "log.pub"), out).CombinedOutput()
	if err != nil {
		t.Fatalf("verify of the server's log: %v\n%s", err, res)
	}
	t.Logf("verify: %s", bytes.TrimSpace(bytes.SplitAfter(res, []byte("\n"))[1]))
}

// TestDemoLogVerifies runs the demonstration (a simulated mission at speed: patrols, acoustic
// sensors hearing launches, ships, fusion, every rule) and exports its log from the server:
// every record read back from the store's rows is the one logged.
func TestDemoLogVerifies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	data := t.TempDir()
	server := startServer(t, "--demo", "--demo-speed", "2000", "--data", data)
	var admin string
	for deadline := time.After(30 * time.Second); admin == ""; {
		select {
		case line := <-server.stdout:
			if tok, ok := strings.CutPrefix(line, "admin token: "); ok {
				admin = tok
			}
		case <-deadline:
			t.Fatal("the demo printed no admin token")
		}
	}
	// Let the simulation run a while: some thousands of records.
	time.Sleep(5 * time.Second)
	exportFromServerVerifies(t, server.url, admin, data)
	server.stop(t)
}
