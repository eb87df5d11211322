package ais

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDecodeAgreesWithGpsdecode runs the installed gpsd decoder (gpsdecode, Debian package
// gpsd-clients) on the pyais live sample, which has no recorded expected output, and compares
// its unscaled JSON with ours as TestDecodeAgreesWithGpsd does. Without gpsdecode the test
// skips, unless CI is set, where it must run.
func TestDecodeAgreesWithGpsdecode(t *testing.T) {
	bin, err := exec.LookPath("gpsdecode")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("gpsdecode not found; CI must install gpsd-clients")
		}
		t.Skip("gpsdecode not found (apt-get install gpsd-clients); skipping the live comparison")
	}
	for _, input := range []string{"testdata/pyais/nmea_data_sample.txt", "testdata/pyais/ais_test_messages"} {
		t.Run(filepath.Base(input), func(t *testing.T) {
			in, err := os.Open(input)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			cmd := exec.Command(bin, "-u", "-j")
			cmd.Stdin = in
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("gpsdecode: %v", err)
			}
			var want []map[string]any
			for _, l := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
				var o map[string]any
				if err := json.Unmarshal(l, &o); err != nil {
					t.Fatalf("gpsdecode output %q: %v", l, err)
				}
				want = append(want, o)
			}
			diffs, explained, agreed := compareCorpus(t, filepath.Base(input), decodeCorpus(t, input, false), want)
			// gpsdecode ignores a last line that has no line ending; these files end so.
			raw, _ := os.ReadFile(input)
			if len(raw) > 0 && raw[len(raw)-1] != '\n' {
				last := filepath.Base(input) + ":" + strconv.Itoa(bytes.Count(raw, []byte("\n"))+1)
				if d, ok := diffs[last]; ok && strings.HasSuffix(d, "gpsd reports nothing") {
					explained[last] = d + " (the file's last line has no line ending, and gpsdecode ignores an unterminated last line)"
					delete(diffs, last)
				}
			}
			for _, k := range sortedKeys(explained) {
				t.Logf("exception %s: %s", k, explained[k])
			}
			for _, k := range sortedKeys(diffs) {
				t.Errorf("%s: %s", k, diffs[k])
			}
			if agreed == 0 {
				t.Fatal("no message compared")
			}
			t.Logf("%d of gpsdecode's %d reports agree with ours field by field", agreed, len(want))
		})
	}
}
