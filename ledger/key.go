package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Key file names in the mission's data folder.
const (
	LogKeyFile = "log.key" // the signer key, "PRIVATE+KEY+name+hash+base64", mode 0600
	LogPubFile = "log.pub" // the verifier key, "name+hash+base64", for the parties
)

// LoadOrCreateKey returns the signer kept in dir/keyFile and its verifier key. On first start,
// when the file does not exist, it generates an Ed25519 key named name, writes it with mode
// 0600 and writes the verifier key beside it with the extension .pub. A key file that others
// may read is refused: the key is the mission's signature on the record. The key itself is
// never written anywhere else, logged or returned in an error.
func LoadOrCreateKey(dir, keyFile, name string) (note.Signer, string, error) {
	path := filepath.Join(dir, keyFile)
	signer, vkey, err := LoadKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return signer, vkey, err
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	// O_EXCL: two processes starting at once must not each write a key and sign with both.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadKey(path)
		}
		return nil, "", err
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	pub := strings.TrimSuffix(path, filepath.Ext(path)) + ".pub"
	if err := os.WriteFile(pub, []byte(vkey+"\n"), 0o644); err != nil {
		return nil, "", err
	}
	signer, err = note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return signer, vkey, nil
}

// LoadKey reads a signer key file and returns the signer and its verifier key.
func LoadKey(path string) (note.Signer, string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, "", err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, "", fmt.Errorf("%s: mode %04o lets others read the signing key; make it 0600", path, info.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	skey := strings.TrimSpace(string(b))
	signer, err := note.NewSigner(skey)
	if err != nil {
		// The error from note says what is malformed without quoting the key.
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return signer, vkey, nil
}

// verifierKey derives the verifier key of a valid Ed25519 signer key, so that a lost .pub file
// can be written again from the key.
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("malformed signer key")
	}
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 1+ed25519.SeedSize || key[0] != 1 {
		return "", errors.New("signer key is not an Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// ReadVerifier reads a verifier key file ("name+hash+base64", as log.pub).
func ReadVerifier(path string) (note.Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}
