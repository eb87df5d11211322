package tak

import (
	"archive/zip"
	"bytes"
	"crypto/x509"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	truce "github.com/truce-project/truce"
)

// TestCAIsCreatedOnceAndKeptPrivate: the first use makes the CA with its key readable by its
// owner only; later uses read the same CA; a CA with one of its files missing is an error,
// not a new CA.
func TestCAIsCreatedOnceAndKeptPrivate(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", CAKeyFile, fi.Mode().Perm())
	}
	b, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Cert.Equal(b.Cert) {
		t.Error("a second load made a new CA")
	}
	if err := os.Remove(filepath.Join(dir, CACertFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateCA(dir); err == nil || !strings.Contains(err.Error(), "one exists without the other") {
		t.Errorf("CA without its certificate: %v", err)
	}
}

// TestRoleAndPartyTravelInTheCertificate: what IssueClient writes, IdentityOf reads back, and
// certificates that say no usable role are refused.
func TestRoleAndPartyTravelInTheCertificate(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, party string
		role        truce.Role
		ok          bool
	}{
		{"monitor-1", "", truce.RoleMonitor, true},
		{"liaison-east", "east", truce.RoleLiaison, true},
		{"liaison-nobody", "", truce.RoleLiaison, false},
		{"monitor-with-party", "east", truce.RoleMonitor, false},
		{"admin", "", truce.RoleAdmin, false},
		{"", "", truce.RoleMonitor, false},
	} {
		cc, err := ca.IssueClient(tc.name, tc.role, tc.party)
		if !tc.ok {
			if err == nil || truce.ErrorCode(err) != truce.EINVALID {
				t.Errorf("%q %s %q: issued (%v), want EINVALID", tc.name, tc.role, tc.party, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.name, err)
		}
		if _, err := cc.Cert.Verify(x509.VerifyOptions{Roots: pool(ca), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("%q: the certificate does not verify against the CA: %v", tc.name, err)
		}
		id, err := IdentityOf(cc.Cert)
		if err != nil || id != (Identity{Name: tc.name, Role: tc.role, Party: tc.party}) {
			t.Errorf("%q: read back %+v, %v", tc.name, id, err)
		}
	}
}

func pool(ca *CA) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// TestDataPackageImportsTheConnection: the package's manifest lists every file, the
// preferences name the server and the files, and both PKCS#12 files open with the password
// to the CA and to the device's own key and certificate.
func TestDataPackageImportsTheConnection(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cc, err := ca.IssueClient("alpha", truce.RoleMonitor, "")
	if err != nil {
		t.Fatal(err)
	}
	p := &DataPackage{Name: "alpha", Host: "10.1.2.3", Port: 8089, CA: ca, Client: cc, Password: NewPassword()}
	var buf bytes.Buffer
	if _, err := p.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	var m manifest
	if err := xml.Unmarshal(files["MANIFEST/manifest.xml"], &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if len(m.Contents) != len(files)-1 {
		t.Errorf("manifest lists %d entries; the zip has %d files besides it", len(m.Contents), len(files)-1)
	}
	for _, c := range m.Contents {
		if files[c.ZipEntry] == nil {
			t.Errorf("manifest lists %s, which is not in the zip", c.ZipEntry)
		}
	}
	pref := string(files["certs/truce-alpha.pref"])
	for _, want := range []string{
		`<entry key="connectString0" class="class java.lang.String">10.1.2.3:8089:ssl</entry>`,
		`<entry key="caLocation" class="class java.lang.String">cert/truststore-truce.p12</entry>`,
		`<entry key="certificateLocation" class="class java.lang.String">cert/alpha.p12</entry>`,
		`<entry key="clientPassword" class="class java.lang.String">` + p.Password + `</entry>`,
	} {
		if !strings.Contains(pref, want) {
			t.Errorf("preferences lack %s:\n%s", want, pref)
		}
	}
	trust, err := pkcs12.DecodeTrustStore(files["certs/truststore-truce.p12"], p.Password)
	if err != nil || len(trust) != 1 || !trust[0].Equal(ca.Cert) {
		t.Errorf("truststore: %v, %d certificates", err, len(trust))
	}
	key, cert, _, err := pkcs12.DecodeChain(files["certs/alpha.p12"], p.Password)
	if err != nil {
		t.Fatalf("keystore: %v", err)
	}
	if !cert.Equal(cc.Cert) || !cc.Key.Equal(key) {
		t.Error("keystore holds another key or certificate")
	}
	if _, err := pkcs12.DecodeTrustStore(files["certs/truststore-truce.p12"], "wrong"); err == nil {
		t.Error("truststore opens with the wrong password")
	}
}
