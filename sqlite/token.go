package sqlite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/truce-project/truce"
)

// secretPrefix begins every token secret, so a secret pasted in the wrong place is
// recognisable (and a secret scanner can find one in a leaked file).
const secretPrefix = "truce_"

// CreateToken stores t with a new ID and creation time, and returns its secret: "truce_"
// followed by 32 random bytes in base64url. Only the SHA-256 of the secret is stored. Errors:
// EINVALID for a token that fails truce.Token.Validate.
func (db *DB) CreateToken(ctx context.Context, t *truce.Token) (string, error) {
	if t == nil {
		return "", truce.Errorf(truce.EINVALID, "no token")
	}
	if err := t.Validate(); err != nil {
		return "", err
	}
	var id [8]byte
	var key [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", internal(err, "token id")
	}
	if _, err := rand.Read(key[:]); err != nil {
		return "", internal(err, "token secret")
	}
	secret := secretPrefix + base64.RawURLEncoding.EncodeToString(key[:])
	hash := sha256.Sum256([]byte(secret))
	created := db.now().UTC()

	if _, err := db.write.ExecContext(ctx, `INSERT INTO tokens (id, name, role, party, created, revoked, secret_hash)
		VALUES (?, ?, ?, ?, ?, NULL, ?)`,
		hex.EncodeToString(id[:]), t.Name, string(t.Role), t.Party, created.UnixNano(), hash[:]); err != nil {
		return "", internal(err, "create token")
	}
	t.ID = hex.EncodeToString(id[:])
	t.Created = created
	t.Revoked = nil
	return secret, nil
}

const tokenColumns = `id, name, role, party, created, revoked`

func scanToken(row interface{ Scan(...any) error }) (truce.Token, error) {
	var (
		t       truce.Token
		role    string
		created int64
		revoked sql.NullInt64
	)
	if err := row.Scan(&t.ID, &t.Name, &role, &t.Party, &created, &revoked); err != nil {
		return t, err
	}
	t.Role = truce.Role(role)
	t.Created = time.Unix(0, created).UTC()
	if revoked.Valid {
		r := time.Unix(0, revoked.Int64).UTC()
		t.Revoked = &r
	}
	return t, nil
}

// Authenticate returns the live token whose secret this is. Errors: EUNAUTHORIZED for a secret
// that is unknown or whose token was revoked.
func (db *DB) Authenticate(ctx context.Context, secret string) (*truce.Token, error) {
	// The lookup is by hash: timing tells an attacker about the hash of their guess, which
	// says nothing about any stored secret.
	hash := sha256.Sum256([]byte(secret))
	t, err := scanToken(db.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE secret_hash = ?`, hash[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, truce.Errorf(truce.EUNAUTHORIZED, "the token is not known")
	}
	if err != nil {
		return nil, internal(err, "authenticate")
	}
	if t.Revoked != nil {
		return nil, truce.Errorf(truce.EUNAUTHORIZED, "token %s was revoked at %s", t.ID, t.Revoked.Format(time.RFC3339))
	}
	return &t, nil
}

// Tokens lists every token, revoked ones included, in the order they were created.
func (db *DB) Tokens(ctx context.Context) ([]truce.Token, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY created, id`)
	if err != nil {
		return nil, internal(err, "tokens")
	}
	defer rows.Close()
	var out []truce.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, internal(err, "tokens")
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "tokens")
	}
	return out, nil
}

// RevokeToken revokes the token with this ID; it no longer authenticates. Revoking a revoked
// token keeps the first revocation time. Errors: ENOTFOUND.
func (db *DB) RevokeToken(ctx context.Context, id string) error {
	res, err := db.write.ExecContext(ctx, `UPDATE tokens SET revoked = COALESCE(revoked, ?) WHERE id = ?`,
		db.now().UnixNano(), id)
	if err != nil {
		return internal(err, "revoke token %q", id)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return internal(err, "revoke token %q", id)
	}
	if n == 0 {
		return truce.Errorf(truce.ENOTFOUND, "token %q not found", id)
	}
	return nil
}

// Audit appends e to the audit trail. A zero e.Time is taken as now.
func (db *DB) Audit(ctx context.Context, e truce.AuditEntry) error {
	if e.Time.IsZero() {
		e.Time = db.now()
	}
	if err := checkTime(e.Time); err != nil {
		return truce.Errorf(truce.EINVALID, "audit entry: time: %v", err)
	}
	if _, err := db.write.ExecContext(ctx, `INSERT INTO audit (time, token, role, action, outcome, detail, remote)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.Time.UnixNano(), e.TokenID, string(e.Role), e.Action, e.Outcome, e.Detail, e.Remote); err != nil {
		return internal(err, "audit %s", e.Action)
	}
	return nil
}

// AuditLog lists the newest entries first (the last recorded first), up to limit: 100 for a
// limit of 0 or less, and never more than 1000.
func (db *DB) AuditLog(ctx context.Context, limit int) ([]truce.AuditEntry, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT time, token, role, action, outcome, detail, remote
		FROM audit ORDER BY seq DESC LIMIT ?`, pageLimit(limit))
	if err != nil {
		return nil, internal(err, "audit log")
	}
	defer rows.Close()
	var out []truce.AuditEntry
	for rows.Next() {
		var (
			e    truce.AuditEntry
			t    int64
			role string
		)
		if err := rows.Scan(&t, &e.TokenID, &role, &e.Action, &e.Outcome, &e.Detail, &e.Remote); err != nil {
			return nil, internal(err, "audit log")
		}
		e.Time = time.Unix(0, t).UTC()
		e.Role = truce.Role(role)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "audit log")
	}
	return out, nil
}
