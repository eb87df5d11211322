package tak

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	truce "github.com/truce-project/truce"
)

// Files of the devices' certificates, in the data folder. Each is JSON lines, appended to
// and never rewritten, so that `truce tak cert` may add to them while the server reads them.
const (
	// ClientsFile lists every client certificate issued: serial, name, role, party, time.
	ClientsFile = "tak-clients.jsonl"
	// RevokedFile lists every revoked client certificate: serial, name, time. The TLS
	// endpoint refuses these certificates, and a device connected with one is disconnected
	// when the server reads the revocation (see Options.Revocations).
	RevokedFile = "tak-revoked.jsonl"
)

// IssuedClient is a line of ClientsFile.
type IssuedClient struct {
	Serial string     `json:"serial"` // lower-case hexadecimal, as SerialText writes it
	Name   string     `json:"name"`
	Role   truce.Role `json:"role"`
	Party  string     `json:"party,omitempty"`
	Issued time.Time  `json:"issued"`
}

// Revocation is a line of RevokedFile.
type Revocation struct {
	Serial  string    `json:"serial"`
	Name    string    `json:"name,omitempty"`
	Revoked time.Time `json:"revoked"`
}

// SerialText is how a certificate's serial number is written in ClientsFile and
// RevokedFile: lower-case hexadecimal without separators.
func SerialText(cert *x509.Certificate) string { return cert.SerialNumber.Text(16) }

// parseSerial reads a serial number as people copy it: hexadecimal, with or without colons
// (openssl x509 -serial prints "serial=0A1B...").
func parseSerial(s string) (string, error) {
	t := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "serial=")
	t = strings.ReplaceAll(t, ":", "")
	n, ok := new(big.Int).SetString(t, 16)
	if !ok || n.Sign() <= 0 {
		return "", truce.Errorf(truce.EINVALID, "serial %q: not a hexadecimal certificate serial number", s)
	}
	return n.Text(16), nil
}

// appendLine appends v as one JSON line to path and syncs it. One write per line, with
// O_APPEND, so that a reader never sees two lines interleaved, only perhaps the last one
// unfinished.
func appendLine(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readLines decodes every complete line of a JSON-lines file into a T; a missing file holds
// none. An unfinished last line (a write in progress) is skipped; any other line that does not
// decode is an error naming the file and line.
func readLines[T any](path string) ([]T, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(b, '\n'); i < len(b)-1 {
		b = b[:i+1]
	}
	var out []T
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// IssuedClients lists the client certificates issued from the CA in dir, oldest first.
func IssuedClients(dir string) ([]IssuedClient, error) {
	return readLines[IssuedClient](filepath.Join(dir, ClientsFile))
}

// Revoke records in dir the revocation of every certificate issued to the device name that
// is not revoked yet, and returns those revocations. Errors: ENOTFOUND when no certificate
// issued to name is recorded (certificates issued before the list was kept are revoked by
// serial, RevokeSerial); ECONFLICT when all of them are revoked already.
func Revoke(dir, name string) ([]Revocation, error) {
	issued, err := IssuedClients(dir)
	if err != nil {
		return nil, err
	}
	revoked, err := readRevocations(dir)
	if err != nil {
		return nil, err
	}
	var out []Revocation
	found := false
	now := time.Now().UTC()
	for _, ic := range issued {
		if ic.Name != name {
			continue
		}
		found = true
		if _, done := revoked[ic.Serial]; done {
			continue
		}
		r := Revocation{Serial: ic.Serial, Name: name, Revoked: now}
		if err := appendLine(filepath.Join(dir, RevokedFile), r); err != nil {
			return out, err
		}
		revoked[ic.Serial] = r
		out = append(out, r)
	}
	switch {
	case !found:
		return nil, truce.Errorf(truce.ENOTFOUND, "no certificate issued to %q is recorded in %s; revoke it by its serial", name, filepath.Join(dir, ClientsFile))
	case len(out) == 0:
		return nil, truce.Errorf(truce.ECONFLICT, "every certificate issued to %q is revoked already", name)
	}
	return out, nil
}

// RevokeSerial records in dir the revocation of the certificate with the given serial
// (hexadecimal, colons allowed). It need not be in ClientsFile; when it is, its name is
// recorded too. Errors: EINVALID for a serial that is not hexadecimal; ECONFLICT when it is
// revoked already.
func RevokeSerial(dir, serial string) (Revocation, error) {
	s, err := parseSerial(serial)
	if err != nil {
		return Revocation{}, err
	}
	revoked, err := readRevocations(dir)
	if err != nil {
		return Revocation{}, err
	}
	if _, done := revoked[s]; done {
		return Revocation{}, truce.Errorf(truce.ECONFLICT, "certificate %s is revoked already", s)
	}
	r := Revocation{Serial: s, Revoked: time.Now().UTC()}
	issued, err := IssuedClients(dir)
	if err != nil {
		return Revocation{}, err
	}
	for _, ic := range issued {
		if ic.Serial == s {
			r.Name = ic.Name
		}
	}
	return r, appendLine(filepath.Join(dir, RevokedFile), r)
}

func readRevocations(dir string) (map[string]Revocation, error) {
	list, err := readLines[Revocation](filepath.Join(dir, RevokedFile))
	if err != nil {
		return nil, err
	}
	m := make(map[string]Revocation, len(list))
	for _, r := range list {
		m[r.Serial] = r
	}
	return m, nil
}

// Revocations is the set of revoked client certificates of a data folder, as the server
// holds it: read once, and read again by Reload when the file has changed; a revocation once
// read is kept until the server restarts.
type Revocations struct {
	path string

	mu      sync.RWMutex
	serials map[string]Revocation
	size    int64
	mod     time.Time
}

// LoadRevocations reads the revocations recorded in dir (none when there is no RevokedFile).
func LoadRevocations(dir string) (*Revocations, error) {
	r := &Revocations{path: filepath.Join(dir, RevokedFile), serials: map[string]Revocation{}}
	if _, err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the file again if its size or modification time has changed, and reports
// whether it did. On an error the revocations already held are kept.
func (r *Revocations) Reload() (bool, error) {
	fi, err := os.Stat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.mu.RLock()
	same := fi.Size() == r.size && fi.ModTime().Equal(r.mod)
	r.mu.RUnlock()
	if same {
		return false, nil
	}
	list, err := readLines[Revocation](r.path)
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Revocations read are kept even if the file no longer holds them: the file is only
	// appended to, and one caught half rewritten by an editor must not let a revoked device
	// back in. Lifting a revocation takes removing its line and restarting the server.
	m := make(map[string]Revocation, len(r.serials)+len(list))
	for k, x := range r.serials {
		m[k] = x
	}
	for _, x := range list {
		m[x.Serial] = x
	}
	r.serials, r.size, r.mod = m, fi.Size(), fi.ModTime()
	return true, nil
}

// Revoked reports whether cert is revoked, and how.
func (r *Revocations) Revoked(cert *x509.Certificate) (Revocation, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	x, ok := r.serials[SerialText(cert)]
	return x, ok
}

// errRevoked is the error of a handshake with a revoked certificate.
type errRevoked struct {
	name string
	r    Revocation
}

func (e errRevoked) Error() string {
	return fmt.Sprintf("client certificate %q (serial %s) was revoked at %s", e.name, e.r.Serial, e.r.Revoked.Format(time.RFC3339))
}

// verifyConnection refuses a verified chain whose leaf is revoked, during the handshake.
func (r *Revocations) verifyConnection(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return nil // tls.RequireAndVerifyClientCert refuses it
	}
	leaf := cs.PeerCertificates[0]
	if x, ok := r.Revoked(leaf); ok {
		return errRevoked{name: leaf.Subject.CommonName, r: x}
	}
	return nil
}
