package cot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nodeCoT returns the command that runs bench/cot/node-cot-proto.mjs, or skips the test when
// Node or node-cot is not installed, unless CI is set, where that is a failure.
func nodeCoT(t *testing.T, args ...string) *exec.Cmd {
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
	return exec.Command(node, append([]string{"../bench/cot/node-cot-proto.mjs"}, args...)...)
}

// sameAsShown compares the fields every TAK client shows.
func sameAsShown(t *testing.T, name string, got, want *Event) {
	t.Helper()
	ms := func(x time.Time) time.Time { return x.Truncate(time.Millisecond) }
	if got.UID != want.UID || got.Type != want.Type || got.How != want.How ||
		!ms(got.Time).Equal(ms(want.Time)) || !ms(got.Start).Equal(ms(want.Start)) || !ms(got.Stale).Equal(ms(want.Stale)) ||
		got.Point.Lat != want.Point.Lat || got.Point.Lon != want.Point.Lon ||
		got.Callsign() != want.Callsign() || got.RemarksText() != want.RemarksText() || len(got.Detail.Links) != len(want.Detail.Links) {
		t.Errorf("%s: got %+v\nwant %+v", name, Summarize(got), Summarize(want))
	}
}

// TestNodeCoTProtoDecodesHere: frames that node-cot's to_proto writes decode here to the
// same events as the XML they came from.
func TestNodeCoTProtoDecodesHere(t *testing.T) {
	cmd := nodeCoT(t, "encode", "testdata/node-cot")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	frames, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	refused := refusedBy(stderr.String())
	names, events := corpus(t)
	d := NewProtoDecoder(bytes.NewReader(frames))
	for _, n := range names {
		if refused[n] {
			continue
		}
		got, err := d.Next()
		if err != nil {
			t.Fatalf("%s: frame from node-cot: %v", n, err)
		}
		want, err := UnmarshalXML(events[n])
		if err != nil {
			t.Fatal(err)
		}
		sameAsShown(t, n, got, want)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Errorf("more frames than events: %v", err)
	}
}

// TestProtoFromHereDecodesInNodeCoT: frames written here decode in node-cot to the same uid,
// type, times, point, callsign, remarks and links.
func TestProtoFromHereDecodesInNodeCoT(t *testing.T) {
	names, events := corpus(t)
	var frames []byte
	var want []*Event
	for _, n := range names {
		e, err := UnmarshalXML(events[n])
		if err != nil {
			t.Fatal(err)
		}
		if frames, err = AppendFrame(frames, e); err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	var stderr bytes.Buffer
	enc := nodeCoT(t, "encode", "testdata/node-cot")
	enc.Stderr = &stderr
	if err := enc.Run(); err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	refused := refusedBy(stderr.String())
	path := filepath.Join(t.TempDir(), "frames")
	if err := os.WriteFile(path, frames, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := nodeCoT(t, "decode", path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	i, decoded := 0, 0
	for ; sc.Scan(); i++ {
		var got struct {
			UID, Type, How, Time, Start, Stale string
			Lat, Lon                           float64
			Callsign, Remarks, Error           string
			Links                              int
		}
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if i >= len(want) {
			t.Fatalf("node-cot printed more events than were sent")
		}
		if got.Error != "" {
			// node-cot refuses some events by its schema whichever way they come; any
			// other event it must read.
			if !refused[names[i]] {
				t.Errorf("%s: node-cot: %s", names[i], got.Error)
			}
			continue
		}
		decoded++
		w := want[i]
		tm, _ := time.Parse(time.RFC3339Nano, got.Time)
		if got.UID != w.UID || got.Type != w.Type || got.How != w.How || !tm.Equal(w.Time.Truncate(time.Millisecond)) ||
			got.Lat != w.Point.Lat || got.Lon != w.Point.Lon || got.Callsign != w.Callsign() ||
			got.Remarks != w.RemarksText() || got.Links != len(w.Detail.Links) {
			t.Errorf("%s: node-cot read %+v\nwant %+v", names[i], got, Summarize(w))
		}
	}
	if i != len(want) || decoded < len(want)-4 {
		t.Errorf("node-cot answered for %d of %d frames and decoded %d", i, len(want), decoded)
	}
}

// refusedBy returns the files that node-cot-proto.mjs encode said node-cot refuses.
func refusedBy(stderr string) map[string]bool {
	refused := map[string]bool{}
	for _, l := range strings.Fields(stderr) {
		if strings.HasSuffix(l, ".xml") {
			refused[l] = true
		}
	}
	return refused
}
