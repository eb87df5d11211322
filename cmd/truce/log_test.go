package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/truce-project/truce/ledger"
)

const logTestObservations = `{"id":"l1","source":"patrol-1","time":"2026-05-01T07:10:00Z","kind":"presence.vehicle","lat":47.64884,"lon":36.35962,"ce_m":50,"party":"east"}
{"id":"l2","source":"patrol-1","time":"2026-05-01T07:11:00Z","kind":"presence.vehicle","lat":47.70,"lon":36.35,"ce_m":50}
{"id":"l3","source":"patrol-1","time":"2026-05-01T07:12:00Z","kind":"presence.vehicle","lat":49.3,"lon":34.6}
`

// TestServedLogProvesAndExportsWhatWasStored posts observations to a server, then checks the
// log as a party would: the checkpoint verifies with log.pub, the records served hash into it
// with the inclusion proofs served, a witness's cosignature is kept and served, and an export
// of the data folder passes truce verify.
func TestServedLogProvesAndExportsWhatWasStored(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	data := t.TempDir()
	monitor := lastLine(runCommand(t, "token", "create", "--role", "monitor", "--data", data))
	observer := lastLine(runCommand(t, "token", "create", "--role", "observer", "--data", data))
	analyst := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	server := startServer(t, "--agreement", examplesDir("notional-east"), "--data", data, "--checkpoint-every", "100ms")
	ctx := context.Background()
	if status, reply, err := httpDo(ctx, "POST", server.url+"/api/v1/observations", monitor, "application/x-ndjson", []byte(logTestObservations)); err != nil || status != 200 {
		t.Fatalf("post: %v %d %s", err, status, reply)
	}
	// Three observations, two of which break dmz-presence: five records.
	const size = 5
	verifier, err := ledger.ReadVerifier(filepath.Join(data, "log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	var signed []byte
	var cp ledger.Checkpoint
	for deadline := time.Now().Add(10 * time.Second); ; {
		status, body, err := httpDo(ctx, "GET", server.url+"/api/v1/log/checkpoint", observer, "", nil)
		if err == nil && status == 200 {
			if cp, _, err = ledger.OpenCheckpoint(body, verifier); err != nil {
				t.Fatalf("served checkpoint does not verify with log.pub: %v\n%s", err, body)
			}
			if cp.Size == size {
				signed = body
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of %d records within 10 s (last: %d %s)", size, status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Each record served hashes into the signed root by the inclusion proof served.
	status, body, err := httpDo(ctx, "GET", server.url+"/api/v1/log/entries?start=0&end=5", analyst, "", nil)
	if err != nil || status != 200 {
		t.Fatalf("entries: %v %d %s", err, status, body)
	}
	entries := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
	if len(entries) != size {
		t.Fatalf("%d entries", len(entries))
	}
	for i, e := range entries {
		rec, err := ledger.ParseRecord(e)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		leaf, _ := rec.LeafHash()
		status, body, err := httpDo(ctx, "GET", server.url+"/api/v1/log/proof/inclusion?index="+strconv.Itoa(i)+"&size=5", observer, "", nil)
		if err != nil || status != 200 {
			t.Fatalf("inclusion %d: %v %d %s", i, err, status, body)
		}
		var reply struct{ Proof []string }
		json.Unmarshal(body, &reply)
		var proof tlog.RecordProof
		for _, h := range reply.Proof {
			b, _ := base64.StdEncoding.DecodeString(h)
			var hash tlog.Hash
			copy(hash[:], b)
			proof = append(proof, hash)
		}
		if err := tlog.CheckRecord(proof, size, cp.Hash, int64(i), leaf); err != nil {
			t.Errorf("record %d (%s) does not prove into the checkpoint: %v", i, rec, err)
		}
	}
	// Entries are the records themselves: not for observers.
	if status, _, _ := httpDo(ctx, "GET", server.url+"/api/v1/log/entries?start=0&end=5", observer, "", nil); status != 403 {
		t.Errorf("observer reading entries: %d, want 403", status)
	}

	// A witness cosigns the checkpoint; the server keeps and serves the cosignature.
	skey, _, err := note.GenerateKey(rand.Reader, "witness-east")
	if err != nil {
		t.Fatal(err)
	}
	witness, _ := note.NewSigner(skey)
	n, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(&note.Note{Text: n.Text, Sigs: n.Sigs}, witness)
	if err != nil {
		t.Fatal(err)
	}
	if status, body, err := httpDo(ctx, "POST", server.url+"/api/v1/log/cosignature", observer, "text/plain", cosigned); err != nil || status != 200 {
		t.Fatalf("cosignature: %v %d %s", err, status, body)
	}
	forged := bytes.Replace(cosigned, []byte("\n5\n"), []byte("\n4\n"), 1)
	if status, _, _ := httpDo(ctx, "POST", server.url+"/api/v1/log/cosignature", observer, "text/plain", forged); status != 400 {
		t.Errorf("a cosignature on an altered checkpoint: %d, want 400", status)
	}
	_, body, _ = httpDo(ctx, "GET", server.url+"/api/v1/log/checkpoint", observer, "", nil)
	if !strings.Contains(string(body), "— witness-east ") {
		t.Errorf("the served checkpoint lacks the witness's cosignature:\n%s", body)
	}
	// A review decision is logged too: the next checkpoint holds one more record, a decision.
	_, body, _ = httpDo(ctx, "GET", server.url+"/api/v1/findings", analyst, "", nil)
	var page struct{ Findings []struct{ ID string } }
	json.Unmarshal(body, &page)
	if status, reply, err := httpDo(ctx, "POST", server.url+"/api/v1/findings/"+page.Findings[0].ID+"/review", analyst, "application/json",
		[]byte(`{"action": "verify", "reason": "seen"}`)); err != nil || status != 200 {
		t.Fatalf("review: %v %d %s", err, status, reply)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, body, _ := httpDo(ctx, "GET", server.url+"/api/v1/log/checkpoint", observer, "", nil)
		if c, _, err := ledger.OpenCheckpoint(body, verifier); err == nil && c.Size == size+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of %d records after the review", size+1)
		}
	}
	_, body, _ = httpDo(ctx, "GET", server.url+"/api/v1/log/entries?start=5&end=6", analyst, "", nil)
	if rec, err := ledger.ParseRecord(bytes.TrimSpace(body)); err != nil || rec.Kind != ledger.KindDecision || !strings.Contains(string(rec.Body), `"action":"verify"`) {
		t.Errorf("record 5 is not the review decision: %v %s", err, body)
	}
	server.stop(t)

	// An export of the data folder verifies offline with log.pub alone.
	out := filepath.Join(t.TempDir(), "export")
	runCommand(t, "export", "--data", data, "--out", out)
	verify := command("verify", "--key", filepath.Join(data, "log.pub"), out)
	res, err := verify.CombinedOutput()
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, res)
	}
	// Tampering with one byte of one record is caught and named.
	records := filepath.Join(out, "records.ndjson")
	raw, _ := os.ReadFile(records)
	os.WriteFile(records, bytes.Replace(raw, []byte(`"l2"`), []byte(`"l9"`), 1), 0o644)
	res, err = command("verify", "--key", filepath.Join(data, "log.pub"), out).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(lastLine(string(res)), "record") {
		t.Errorf("verify of a tampered export: %v\n%s", err, res)
	}
}
