package tak

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	truce "github.com/truce-project/truce"
)

// Files of the mission's CA and of the server's certificate, in the data folder.
const (
	CACertFile     = "tak-ca.pem"
	CAKeyFile      = "tak-ca.key"
	ServerCertFile = "tak-server.pem"
	ServerKeyFile  = "tak-server.key"
)

// Keys are RSA because every TAK client reads RSA keys from a PKCS#12 file; 2048 bits is what
// TAK Server's own scripts make.
const rsaBits = 2048

// CA is the mission's certificate authority for TAK: it issues the server's certificate and
// the devices' client certificates, and the server trusts only clients it issued.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	PEM  []byte // Cert, PEM-encoded
	// dir is the data folder the CA was loaded from, where IssueClient records what it
	// issues (ClientsFile).
	dir string
}

// Identity is who is at the other end of a connection.
type Identity struct {
	Name  string     // the certificate's common name, or the remote address of a TCP client
	Role  truce.Role // truce.RoleMonitor or truce.RoleLiaison
	Party string     // for a liaison: the party it speaks for
}

// LoadOrCreateCA reads the CA from dir, or creates it there (the key with mode 0600) when
// neither file exists. One file without the other is an error: a CA is never silently
// replaced, since every certificate it issued would stop working.
func LoadOrCreateCA(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	certPEM, cerr := os.ReadFile(certPath)
	keyPEM, kerr := os.ReadFile(keyPath)
	switch {
	case cerr == nil && kerr == nil:
		cert, key, err := parsePair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", certPath, keyPath, err)
		}
		return &CA{Cert: cert, Key: key, PEM: certPEM, dir: dir}, nil
	case errors.Is(cerr, fs.ErrNotExist) && errors.Is(kerr, fs.ErrNotExist):
	case cerr != nil && !errors.Is(cerr, fs.ErrNotExist):
		return nil, cerr
	case kerr != nil && !errors.Is(kerr, fs.ErrNotExist):
		return nil, kerr
	default:
		return nil, fmt.Errorf("%s and %s: one exists without the other; restore the missing one rather than make a new CA", certPath, keyPath)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "truce mission TAK CA", Organization: []string{"truce"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM, err = marshalKey(key)
	if err != nil {
		return nil, err
	}
	// The key is written first and the certificate last, so that a crash in between leaves
	// a key without a certificate, which the check above reports, rather than a CA whose
	// key is lost.
	if err := writeNew(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeNew(certPath, certPEM, 0o644); err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, PEM: certPEM, dir: dir}, nil
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return n
}

func marshalKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func parsePair(certPEM, keyPEM []byte) (*x509.Certificate, crypto.Signer, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, nil, errors.New("no PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, errors.New("no PEM key block")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("the key cannot sign")
	}
	return cert, signer, nil
}

// ClientCert is a device's certificate and key.
type ClientCert struct {
	Cert    *x509.Certificate
	Key     *rsa.PrivateKey
	CertPEM []byte
	KeyPEM  []byte
}

// IssueClient makes a client certificate for a device: common name name, and the role (and,
// for a liaison, the party) written as organisational units "role=R" and "party=P", which
// the server reads back on every connection. A CA loaded from a data folder records the
// certificate there (ClientsFile), so that it can be revoked by the device's name. Errors:
// EINVALID for a bad role, a liaison without a party, or a party given to a monitor.
func (ca *CA) IssueClient(name string, role truce.Role, party string) (*ClientCert, error) {
	if err := checkIdentity(Identity{Name: name, Role: role, Party: party}); err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, err
	}
	ou := []string{"role=" + string(role)}
	if party != "" {
		ou = append(ou, "party="+party)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name, OrganizationalUnit: ou, Organization: []string{"truce"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	keyPEM, err := marshalKey(key)
	if err != nil {
		return nil, err
	}
	if ca.dir != "" {
		ic := IssuedClient{Serial: SerialText(cert), Name: name, Role: role, Party: party, Issued: now.UTC().Truncate(time.Second)}
		if err := appendLine(filepath.Join(ca.dir, ClientsFile), ic); err != nil {
			return nil, fmt.Errorf("recording the certificate issued to %q: %w", name, err)
		}
	}
	return &ClientCert{Cert: cert, Key: key, KeyPEM: keyPEM,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

func checkIdentity(id Identity) error {
	switch {
	case strings.TrimSpace(id.Name) == "":
		return truce.Errorf(truce.EINVALID, "client name: required")
	case id.Role != truce.RoleMonitor && id.Role != truce.RoleLiaison:
		return truce.Errorf(truce.EINVALID, "role: %q is not monitor or liaison", id.Role)
	case id.Role == truce.RoleLiaison && id.Party == "":
		return truce.Errorf(truce.EINVALID, "party: a liaison's certificate needs the party it speaks for")
	case id.Role == truce.RoleMonitor && id.Party != "":
		return truce.Errorf(truce.EINVALID, "party: only a liaison's certificate names a party")
	case strings.ContainsAny(id.Party, "=,+\"\\<>;"):
		return truce.Errorf(truce.EINVALID, "party: %q has characters a certificate subject cannot hold plainly", id.Party)
	}
	return nil
}

// IdentityOf reads who a verified client certificate was issued to. Errors: EFORBIDDEN when
// the certificate says no role the TAK server knows.
func IdentityOf(cert *x509.Certificate) (Identity, error) {
	id := Identity{Name: cert.Subject.CommonName}
	for _, ou := range cert.Subject.OrganizationalUnit {
		k, v, _ := strings.Cut(ou, "=")
		switch k {
		case "role":
			id.Role = truce.Role(v)
		case "party":
			id.Party = v
		}
	}
	if err := checkIdentity(id); err != nil {
		return Identity{}, truce.Errorf(truce.EFORBIDDEN, "certificate %q: %s", cert.Subject.CommonName, truce.ErrorMessage(err))
	}
	return id, nil
}

// ServerTLSConfig returns the TLS configuration of the TLS endpoint: the server's certificate
// (read from dir, or issued by ca and written there on first use, valid for localhost, the
// loopback addresses, this machine's name and hosts) and a demand for a client certificate
// issued by ca.
func (ca *CA) ServerTLSConfig(dir string, hosts ...string) (*tls.Config, error) {
	certPath, keyPath := filepath.Join(dir, ServerCertFile), filepath.Join(dir, ServerKeyFile)
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		pair, err = ca.issueServer(certPath, keyPath, hosts)
	}
	if err != nil {
		return nil, fmt.Errorf("TAK server certificate %s: %w", certPath, err)
	}
	if leaf, perr := x509.ParseCertificate(pair.Certificate[0]); perr == nil {
		if err := leaf.CheckSignatureFrom(ca.Cert); err != nil {
			return nil, fmt.Errorf("TAK server certificate %s was not issued by %s (remove it to have a new one made): %w", certPath, CACertFile, err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

func (ca *CA) issueServer(certPath, keyPath string, hosts []string) (tls.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return tls.Certificate{}, err
	}
	names := []string{"localhost"}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if h, err := os.Hostname(); err == nil && h != "" {
		names = append(names, h)
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsUnspecified() {
				ips = append(ips, ip)
			}
		} else if h != "" {
			names = append(names, h)
		}
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: names[len(names)-1], Organization: []string{"truce"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := marshalKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeNew(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := writeNew(certPath, certPEM, 0o644); err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}
