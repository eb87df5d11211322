package sqlite

import (
	"context"
	"crypto/sha256"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

var secretFormat = regexp.MustCompile(`^truce_[A-Za-z0-9_-]{43}$`) // 32 bytes in base64url, unpadded

func TestCreateTokenReturnsASecretThatAuthenticates(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	fixed := time.Date(2026, 11, 28, 12, 0, 0, 123, time.UTC)
	db.now = func() time.Time { return fixed }
	for _, tok := range []*truce.Token{
		{Name: "HQ admin", Role: truce.RoleAdmin},
		{Name: "east liaison", Role: truce.RoleLiaison, Party: "east"},
		{Role: truce.RoleObserver},
	} {
		secret, err := db.CreateToken(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if !secretFormat.MatchString(secret) {
			t.Errorf("secret %q is not truce_ and 32 bytes of base64url", secret)
		}
		if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(tok.ID) || !tok.Created.Equal(fixed) || tok.Revoked != nil {
			t.Errorf("CreateToken set ID %q, Created %v, Revoked %v", tok.ID, tok.Created, tok.Revoked)
		}
		got, err := db.Authenticate(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if *got != *tok {
			t.Errorf("Authenticate: %+v, want %+v", got, tok)
		}
		// Only the hash is kept: no column holds the secret.
		var hash []byte
		var row string
		if err := db.read.QueryRow(`SELECT secret_hash, id || name || role || party || created FROM tokens WHERE id = ?`, tok.ID).Scan(&hash, &row); err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256([]byte(secret)); string(hash) != string(sum[:]) {
			t.Errorf("secret_hash is %x, want the SHA-256 of the secret", hash)
		}
		if strings.Contains(row, secret[len("truce_"):]) {
			t.Errorf("the secret is stored in the clear")
		}
	}
}

func TestCreateTokenRefusesAnInvalidToken(t *testing.T) {
	db := open(t)
	for _, tok := range []*truce.Token{
		nil,
		{Role: "superuser"},
		{Role: truce.RoleLiaison},
		{Role: truce.RoleMonitor, Party: "east"},
	} {
		if _, err := db.CreateToken(context.Background(), tok); truce.ErrorCode(err) != truce.EINVALID {
			t.Errorf("CreateToken(%+v): %v, want EINVALID", tok, err)
		}
	}
	if n := count(t, db, "tokens"); n != 0 {
		t.Errorf("%d tokens stored", n)
	}
}

func TestAuthenticateRefusesUnknownAndRevokedSecrets(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	live := &truce.Token{Role: truce.RoleAnalyst}
	liveSecret, _ := db.CreateToken(ctx, live)
	revoked := &truce.Token{Role: truce.RoleMonitor}
	revokedSecret, _ := db.CreateToken(ctx, revoked)
	if err := db.RevokeToken(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, secret string }{
		{"empty", ""},
		{"unknown", "truce_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"a live secret with a byte changed", liveSecret[:len(liveSecret)-1] + "x"},
		{"the token ID", live.ID},
		{"revoked", revokedSecret},
	} {
		if tok, err := db.Authenticate(ctx, c.secret); truce.ErrorCode(err) != truce.EUNAUTHORIZED {
			t.Errorf("Authenticate(%s): %v, %v; want EUNAUTHORIZED", c.name, tok, err)
		}
	}
	if _, err := db.Authenticate(ctx, liveSecret); err != nil {
		t.Errorf("the live token no longer authenticates: %v", err)
	}
}

func TestRevokeTokenKeepsTheFirstRevocation(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	clock := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	db.now = func() time.Time { return clock }
	a := &truce.Token{Name: "a", Role: truce.RoleMonitor}
	b := &truce.Token{Name: "b", Role: truce.RoleAnalyst}
	db.CreateToken(ctx, a)
	clock = clock.Add(time.Minute)
	db.CreateToken(ctx, b)

	if err := db.RevokeToken(ctx, "0123456789abcdef"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("RevokeToken of an unknown id: %v, want ENOTFOUND", err)
	}
	clock = clock.Add(time.Hour)
	revokedAt := clock
	if err := db.RevokeToken(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	if err := db.RevokeToken(ctx, a.ID); err != nil {
		t.Errorf("revoking a revoked token: %v", err)
	}
	tokens, err := db.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 2 || tokens[0].ID != a.ID || tokens[1].ID != b.ID {
		t.Fatalf("Tokens: %+v, want a then b", tokens)
	}
	if tokens[0].Revoked == nil || !tokens[0].Revoked.Equal(revokedAt) {
		t.Errorf("a revoked at %v, want %v", tokens[0].Revoked, revokedAt)
	}
	if tokens[1].Revoked != nil || tokens[1].Name != "b" || tokens[1].Role != truce.RoleAnalyst {
		t.Errorf("b listed as %+v", tokens[1])
	}
}

func TestAuditLogListsTheNewestFirst(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	if log, err := db.AuditLog(ctx, 10); err != nil || len(log) != 0 {
		t.Fatalf("AuditLog of an empty store: %v, %v", log, err)
	}
	var entries []truce.AuditEntry
	for i := 0; i < 1005; i++ {
		e := truce.AuditEntry{
			// Times out of order: the log is in the order entries were recorded.
			Time: t0.Add(time.Duration(i%7) * time.Second), TokenID: "tok", Role: truce.RoleAnalyst,
			Action: "GET /api/v1/findings", Outcome: []string{"allowed", "forbidden", "unauthorized"}[i%3],
			Detail: strings.Repeat("d", i%5), Remote: "192.0.2.7:5123",
		}
		if i == 0 {
			e = truce.AuditEntry{Time: t0, Action: "token.create", Outcome: "allowed"}
		}
		entries = append(entries, e)
	}
	// One transaction for the lot: a thousand fsyncs would make the test slow, not better.
	tx, err := db.write.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries[:1004] {
		if _, err := tx.Exec(`INSERT INTO audit (time, token, role, action, outcome, detail, remote) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.Time.UnixNano(), e.TokenID, string(e.Role), e.Action, e.Outcome, e.Detail, e.Remote); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, entries[1004]); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ limit, want int }{{3, 3}, {0, 100}, {5000, 1000}} {
		log, err := db.AuditLog(ctx, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != c.want {
			t.Errorf("AuditLog(%d): %d entries, want %d", c.limit, len(log), c.want)
			continue
		}
		for k, got := range log {
			want := entries[len(entries)-1-k]
			if !got.Time.Equal(want.Time) {
				t.Errorf("AuditLog(%d)[%d]: time %v, want %v", c.limit, k, got.Time, want.Time)
			}
			got.Time, want.Time = time.Time{}, time.Time{}
			if got != want {
				t.Errorf("AuditLog(%d)[%d]: %+v, want %+v", c.limit, k, got, want)
				break
			}
		}
	}
}

func TestAuditTakesAZeroTimeAsNow(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 23, 59, 59, 0, time.UTC)
	db.now = func() time.Time { return now }
	if err := db.Audit(ctx, truce.AuditEntry{Action: "token.revoke", Outcome: "allowed"}); err != nil {
		t.Fatal(err)
	}
	log, err := db.AuditLog(ctx, 1)
	if err != nil || len(log) != 1 || !log[0].Time.Equal(now) {
		t.Errorf("AuditLog: %+v, %v; want one entry at %v", log, err, now)
	}
}
