package tak

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
)

// handshakeRefused dials the TLS endpoint with conf and reports whether the server refused
// the certificate: under TLS 1.3 the client learns of it on its first read.
func handshakeRefused(t *testing.T, h *harness, conf *tls.Config) bool {
	t.Helper()
	conn, err := tls.Dial("tcp", h.tlsAddr, conf)
	if err != nil {
		return strings.Contains(err.Error(), "bad certificate")
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1)
	_, err = conn.Read(buf)
	if err != nil && !strings.Contains(err.Error(), "bad certificate") {
		t.Fatalf("reading after the handshake: %v", err)
	}
	return err != nil
}

func leaf(t *testing.T, conf *tls.Config) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(conf.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRevokedDeviceIsDisconnectedAndRefused: revoking a device by name ends its connection
// and refuses its certificate at the next handshake, while other devices go on; a certificate
// issued to the same name afterwards works; revoking by serial (as openssl prints it) does
// the same.
func TestRevokedDeviceIsDisconnectedAndRefused(t *testing.T) {
	h := newHarness(t, Options{})
	aliceConf := h.tlsConfig(t, "alice", truce.RoleMonitor, "")
	bobConf := h.tlsConfig(t, "bob", truce.RoleLiaison, "east")
	alice := dialTLS(t, h, aliceConf)
	alice.negotiate()
	alice.ping()
	bob := dialTLS(t, h, bobConf)
	bob.ping()

	revs, err := Revoke(h.dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 1 || revs[0].Serial != SerialText(leaf(t, aliceConf)) || revs[0].Name != "alice" {
		t.Fatalf("revoked %+v, want alice's one certificate", revs)
	}
	alice.expectClosed()
	h.logs.waitFor(t, "certificate revoked")
	bob.ping()
	if !handshakeRefused(t, h, aliceConf) {
		t.Fatal("a revoked certificate was accepted at the handshake")
	}
	h.logs.waitFor(t, "was revoked at")

	// A new certificate for the same device is not revoked.
	again := h.tlsConfig(t, "alice", truce.RoleMonitor, "")
	a2 := dialTLS(t, h, again)
	a2.ping()

	// By serial, written as openssl x509 -serial prints it.
	serial := strings.ToUpper(SerialText(leaf(t, bobConf)))
	r, err := RevokeSerial(h.dir, "serial="+serial[:2]+":"+serial[2:])
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "bob" {
		t.Errorf("revoked by serial: %+v, want bob's name recorded", r)
	}
	bob.expectClosed()
	a2.ping()
	if !handshakeRefused(t, h, bobConf) {
		t.Fatal("a certificate revoked by serial was accepted at the handshake")
	}
	if st := h.srv.Stats(); st.Revoked != 4 {
		t.Errorf("Stats.Revoked = %d, want 4 (two disconnected, two refused)", st.Revoked)
	}
}

// TestRevokeErrors: a name never issued is not found, a second revocation of the same
// certificates conflicts, and a serial that is not hexadecimal is invalid.
func TestRevokeErrors(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := ca.IssueClient("carol", truce.RoleMonitor, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Revoke(dir, "nobody"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("revoking a name never issued: %v, want ENOTFOUND", err)
	}
	if _, err := Revoke(dir, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := Revoke(dir, "carol"); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Errorf("revoking carol twice: %v, want ECONFLICT", err)
	}
	if _, err := RevokeSerial(dir, SerialText(cc.Cert)); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Errorf("revoking carol's serial after her name: %v, want ECONFLICT", err)
	}
	if _, err := RevokeSerial(dir, "not-hex"); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("a serial that is not hexadecimal: %v, want EINVALID", err)
	}
	revs, err := LoadRevocations(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := revs.Revoked(cc.Cert); !ok {
		t.Error("carol's certificate is not in the revocations read back")
	}
}

// TestBrokenRevocationFileKeepsWhatWasRead: a line that does not decode leaves the server
// with the revocations it had, logged once however often it polls, and a device already
// revoked stays refused, even when the file is emptied; once the file is mended the new
// revocations apply.
func TestBrokenRevocationFileKeepsWhatWasRead(t *testing.T) {
	h := newHarness(t, Options{})
	daveConf := h.tlsConfig(t, "dave", truce.RoleMonitor, "")
	erinConf := h.tlsConfig(t, "erin", truce.RoleMonitor, "")
	if _, err := Revoke(h.dir, "dave"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // polled every 20 ms
	path := filepath.Join(h.dir, RevokedFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(append([]byte{}, good...), "{not json\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	h.logs.waitFor(t, "reading revoked certificates")
	time.Sleep(200 * time.Millisecond) // ten polls
	if n := strings.Count(h.logs.String(), "reading revoked certificates"); n != 1 {
		t.Errorf("the broken file was logged %d times, want once", n)
	}
	if !handshakeRefused(t, h, daveConf) {
		t.Error("a certificate revoked before the file broke was accepted")
	}
	// Emptied, as an editor rewriting it might leave it for a moment: dave stays revoked.
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if !handshakeRefused(t, h, daveConf) {
		t.Error("a revoked certificate was accepted once the file was emptied")
	}
	erin := dialTLS(t, h, erinConf)
	erin.ping()
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	h.logs.waitFor(t, "revoked certificates read again")
	if _, err := Revoke(h.dir, "erin"); err != nil {
		t.Fatal(err)
	}
	erin.expectClosed()
}
