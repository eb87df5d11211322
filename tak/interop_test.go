package tak

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
)

// nodeClient returns the command that runs bench/tak/node-tak-client.mjs with opts, or skips
// the test when Node or node-cot is not installed, unless CI is set, where that is a failure.
func nodeClient(t *testing.T, opts map[string]any) *exec.Cmd {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI", what)
		}
		t.Skipf("%s is not installed; skipping the node-cot interoperability test", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node")
	}
	if _, err := os.Stat("../bench/node/node_modules/@tak-ps/node-cot/package.json"); err != nil {
		missing("@tak-ps/node-cot (npm install --prefix bench/node)")
	}
	arg, err := json.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	return exec.Command(node, "../bench/tak/node-tak-client.mjs", string(arg))
}

// TestNodeCoTClientGetsFindings: a TAK client written with @tak-ps/node-cot connects over
// TCP and over TLS (with a certificate from the mission's CA), in XML and in TAK protocol
// version 1, reports its position, drops a marker in the DMZ, and reads back the finding
// with node-cot: the same finding that was stored, as the same library parses it.
func TestNodeCoTClientGetsFindings(t *testing.T) {
	h := newHarness(t, Options{})
	certDir := t.TempDir()
	cc, err := h.ca.IssueClient("node-device", truce.RoleMonitor, "")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"c.pem": cc.CertPEM, "c.key": cc.KeyPEM, "ca.pem": h.ca.PEM}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(certDir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tlsFiles := map[string]string{"cert": filepath.Join(certDir, "c.pem"), "key": filepath.Join(certDir, "c.key"), "ca": filepath.Join(certDir, "ca.pem")}
	for i, tc := range []struct {
		name  string
		tls   bool
		proto bool
	}{{"tcp xml", false, false}, {"tcp proto", false, true}, {"tls xml", true, false}, {"tls proto", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			uid := fmt.Sprintf("NODE-%d", i)
			// A device that connects is first sent the recent findings (catch-up): those of
			// the earlier subtests. The client reads them and then the finding of its own
			// marker before it pings.
			want := len(h.findings(t)) + 1
			opts := map[string]any{"host": "127.0.0.1", "port": port(h.tcpAddr), "proto": tc.proto,
				"uid": uid, "callsign": "NODE " + tc.name, "lat": dmzLat, "lon": dmzLon, "want": want}
			if tc.tls {
				opts["port"] = port(h.tlsAddr)
				opts["tls"] = tlsFiles
			}
			cmd := nodeClient(t, opts)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("node client: %v\n%s\n%s", err, out, stderr.Bytes())
			}
			var got []map[string]any
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				var m map[string]any
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					t.Fatalf("node client printed %q: %v", sc.Text(), err)
				}
				got = append(got, m)
			}
			if len(got) != want+1 || got[want]["pong"] != true {
				t.Fatalf("node client printed %v; want %d findings and the pong", got, want)
			}
			wantMode := map[bool]string{false: "xml", true: "proto"}[tc.proto]
			var f *truce.Finding
			for _, x := range h.findings(t) {
				if strings.HasPrefix(x.Observation, uid+"-marker@") {
					f = &x
				}
			}
			if f == nil {
				t.Fatalf("no finding stored for %s's marker", uid)
			}
			if f.Source != "tak:"+uid {
				t.Errorf("observation source %q, want tak:%s", f.Source, uid)
			}
			var g map[string]any
			for _, m := range got[:want] {
				if m["uid"] == FindingUIDPrefix+f.ID {
					g = m
				}
			}
			if g == nil {
				t.Fatalf("node client printed %v; none is the marker of finding %s", got, f.ID)
			}
			if g["uid"] != FindingUIDPrefix+f.ID || g["type"] != FindingType || g["remarks"] != f.Explanation ||
				g["lat"] != f.Lat || g["lon"] != f.Lon || g["mode"] != wantMode {
				t.Errorf("node-cot read %v\nwant the marker of %+v in %s", g, *f, wantMode)
			}
			stale, err := time.Parse(time.RFC3339, g["stale"].(string))
			if err != nil || stale.Before(time.Now().Add(5*time.Hour)) {
				t.Errorf("stale %v (%v), want hours from now", g["stale"], err)
			}
		})
	}
}

func port(addr string) int {
	i := strings.LastIndexByte(addr, ':')
	var p int
	fmt.Sscan(addr[i+1:], &p)
	return p
}
