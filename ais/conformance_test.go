package ais

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The conformance tests decode gpsd's own regression corpus and compare every field of every
// message with the JSON gpsd expects, by value: numbers within rounding, strings and flags
// exactly. Differences are allowed only where listed below with the reason.

// applicationTypes carry application data named by a DAC and FID. Their envelope fields and
// raw "data" are compared; the fields gpsd decodes out of some applications' data are not.
var applicationTypes = map[float64]string{
	6: "binary addressed message: the application's fields are kept in data, not decoded",
	8: "binary broadcast message: the application's fields are kept in data, not decoded",
}

// extraFieldsOK are fields this package reports that gpsd's JSON does not carry.
var extraFieldsOK = map[string]string{
	"part":     "type 24 part number, so that a part A stands on its own",
	"assigned": "assigned-mode flag, which gpsd decodes but does not print for types 9, 18 and 21",
	"payload":  "raw payload of a type kept raw",
	"fill":     "fill bits of a raw payload",
	"txrx":     "type 23 transmit/receive mode, which gpsd decodes but does not print",
	"data":     "raw application data of types 6 and 8, which gpsd replaces by fields when it knows the application",
	// gpsd leaves the vocabulary text out of unscaled type 27 reports only.
	"status_text": "navigation status in words, which gpsd's unscaled type 27 lacks",
}

// conformanceExceptions are sentences whose decode differs from gpsd's, by file and line,
// with the reason. The test fails if one of them stops differing, so the list stays true.
var conformanceExceptions = map[string]string{
	"sample.aivdm:987": "type 24 part B whose part A gpsd already merged into the part B at line 910: gpsd forgets a part A once used and reports this one nowhere; we keep names for later parts B",
	// gpsd prints "radio":0 for every type 26, not decoding the communication state that
	// closes the message, and runs the last partial byte of "data" on into that state's bits
	// where we pad it with zeros.
	"sample.aivdm:926":              "type 26: gpsd reports radio 0 without decoding the communication state",
	"sample.aivdm:946":              "type 26: gpsd reports radio 0 without decoding the communication state",
	"sample.aivdm:951":              "type 26: gpsd reports radio 0, and its last data byte carries the radio field's first bits",
	"sample.aivdm:956":              "type 26: gpsd reports radio 0 without decoding the communication state",
	"sample.aivdm:961":              "type 26: gpsd reports radio 0, and its last data byte carries the radio field's first bits",
	"ais-nmea-type6-fid55.log:1010": "type 24 part B 832 lines after its part A (line 178): gpsd's queue of parts A had dropped it, reporting nothing; our cache of the last 16 names still holds it",
}

// explainExtra says why we report a message that gpsd does not, for the two rules of gpsd's
// type 24 handling that differ from ours; "" when there is no known reason.
func explainExtra(o map[string]any) string {
	if o["type"] != 24.0 {
		return ""
	}
	switch {
	case o["part"] == 0.0:
		return "type 24 part A: gpsd holds it back and reports its name only within the part B that follows; we report each part as it arrives and merge the name the same way"
	case o["part"] == 1.0 && o["shipname"] == nil:
		return "type 24 part B with no part A of its MMSI before it: gpsd reports such a part B nowhere; we report it without a name"
	}
	return ""
}

// notAvailable reports whether gpsd's value v for field k of message type t is the
// standard's "not available" code, which this package leaves out instead.
func notAvailable(t float64, k string, v any) bool {
	if s, ok := v.(string); ok {
		switch s {
		case "", "nan", "n/a", "0000-00-00T24:60:60Z", "00-00T24:60Z":
			return true
		}
		return false
	}
	f, ok := v.(float64)
	if !ok {
		return false
	}
	if t == 27 {
		switch k {
		case "lon":
			return f == 181000 || f == 181
		case "lat":
			return f == 91000 || f == 91
		case "speed":
			return f == 63
		case "course":
			return f == 511
		}
	}
	switch k {
	case "turn":
		return f == -128
	case "speed":
		return f == 1023 || (t != 9 && f == 102.3)
	case "lon":
		return f == 108600000 || f == 181
	case "lat":
		return f == 54600000 || f == 91
	case "course":
		return f == 3600 || f == 360
	case "heading":
		return f == 511
	case "second":
		return f == 60
	case "draught", "imo":
		return f == 0
	case "alt":
		return f == 4095
	case "mmsi2", "mmsi3", "mmsi4":
		return f == 0 // types 7, 13, 15 and 16 name one to four stations; gpsd fills with 0
	case "dest_mmsi", "app_id":
		return (t == 25 || t == 26) && f == 0 // absent from messages not addressed or not structured
	case "type1_2", "offset1_2", "type2_1", "offset2_1",
		"offset2", "increment2", "offset3", "number2", "number3", "number4", "timeout2", "timeout3", "timeout4",
		"increment3", "offset4", "increment4":
		return f == 0 // entries of types 15, 16 and 20 that a shorter message lacks
	}
	return false
}

type decoded struct {
	line int
	obj  map[string]any
}

// decodeCorpus decodes a file the way `truce ais decode` does and returns each message as
// the JSON object AppendJSON writes, parsed back.
func decodeCorpus(t *testing.T, path string, scaled bool) []decoded {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []decoded
	d := &Decoder{}
	sc := bufio.NewScanner(f)
	n := 0
	var buf []byte
	for sc.Scan() {
		n++
		if !IsSentence(sc.Bytes()) {
			continue
		}
		SplitSentences(sc.Bytes(), func(s []byte) {
			m, err := d.Decode(int64(n), s)
			if err != nil || m == nil {
				return
			}
			buf = AppendJSON(buf[:0], m, JSONOptions{Scaled: scaled})
			var obj map[string]any
			if err := json.Unmarshal(buf, &obj); err != nil {
				t.Fatalf("%s:%d: our JSON does not parse: %v\n%s", path, n, err, buf)
			}
			out = append(out, decoded{line: n, obj: obj})
		})
	}
	return out
}

// expectedSample reads gpsd's expected output for sample.aivdm: one object per message.
func expectedSample(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var o map[string]any
		if err := json.Unmarshal(l, &o); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, o)
	}
	return out
}

// expectedDaemon reads a gpsd daemon test's .chk file, which echoes each input line and
// follows it with what gpsd reported. gpsd repeats its last AIS report after other NMEA
// sentences; only reports that follow an AIS sentence are taken.
func expectedDaemon(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	afterAIS := false
	for _, l := range bytes.Split(b, []byte("\n")) {
		switch {
		case len(l) == 0:
		case l[0] == '{':
			if !afterAIS || !bytes.Contains(l, []byte(`"class":"AIS"`)) {
				continue
			}
			var o map[string]any
			if err := json.Unmarshal(l, &o); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			out = append(out, o)
		default:
			afterAIS = l[0] == '!'
		}
	}
	return out
}

// compareCorpus matches each expected message to the next of ours with the same type and
// MMSI, compares their fields, and returns the differences by our line number.
func compareCorpus(t *testing.T, name string, ours []decoded, want []map[string]any) (diffs, explained map[string]string, agreed int) {
	diffs = map[string]string{}
	explained = map[string]string{}
	extra := func(d decoded) {
		key := fmt.Sprintf("%s:%d", name, d.line)
		what := fmt.Sprintf("we report type %v from %v, gpsd reports nothing", d.obj["type"], d.obj["mmsi"])
		if why := explainExtra(d.obj); why != "" {
			explained[key] = what + " (" + why + ")"
			return
		}
		diffs[key] = what
	}
	k := 0
	for i, w := range want {
		j := k
		// gpsd reports a type 24 only when part B arrives, with part A's name merged in.
		for j < len(ours) && (ours[j].obj["type"] != w["type"] || ours[j].obj["mmsi"] != w["mmsi"] ||
			w["type"] == 24.0 && ours[j].obj["part"] != 1.0) {
			j++
		}
		if j == len(ours) {
			key := fmt.Sprintf("%s expected#%d", name, i+1)
			diffs[key] = fmt.Sprintf("gpsd reports type %v from %v, we report nothing", w["type"], w["mmsi"])
			continue
		}
		for ; k < j; k++ {
			extra(ours[k])
		}
		k = j + 1
		if why, app := applicationTypes[w["type"].(float64)]; app {
			var skipped []string
			for k := range w {
				if _, both := ours[j].obj[k]; !both && k != "device" {
					skipped = append(skipped, k)
				}
			}
			if len(skipped) > 0 {
				sort.Strings(skipped)
				explained[fmt.Sprintf("%s:%d", name, ours[j].line)] = fmt.Sprintf("type %v DAC %v FID %v: gpsd's %s not compared (%s)",
					w["type"], w["dac"], w["fid"], strings.Join(skipped, ", "), why)
			}
		}
		if d := compareMessage(ours[j].obj, w); len(d) > 0 {
			diffs[fmt.Sprintf("%s:%d", name, ours[j].line)] = strings.Join(d, "; ")
		} else {
			agreed++
		}
	}
	for ; k < len(ours); k++ {
		extra(ours[k])
	}
	return diffs, explained, agreed
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func compareMessage(ours, want map[string]any) []string {
	typ, _ := want["type"].(float64)
	var d []string
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w := want[k]
		switch k {
		case "class", "device", "scaled":
			continue
		}
		o, ok := ours[k]
		if !ok {
			if _, app := applicationTypes[typ]; app {
				continue // listed by compareCorpus
			}
			if !notAvailable(typ, k, w) {
				d = append(d, fmt.Sprintf("%s: missing, gpsd %v", k, w))
			}
			continue
		}
		if !sameValue(o, w) {
			d = append(d, fmt.Sprintf("%s: ours %v, gpsd %v", k, o, w))
		}
	}
	for k := range ours {
		if _, ok := want[k]; !ok {
			if _, fine := extraFieldsOK[k]; !fine {
				d = append(d, fmt.Sprintf("%s: ours %v, gpsd does not report it", k, ours[k]))
			}
		}
	}
	return d
}

// sameValue compares two JSON values: numbers within rounding of the fewer decimals either
// side printed, and numbers that gpsd printed as strings ("0.00") as numbers.
func sameValue(a, b any) bool {
	af, aNum := number(a)
	bf, bNum := number(b)
	if aNum && bNum {
		return math.Abs(af-bf) <= 5e-7*math.Max(1, math.Abs(bf))+1e-9 || math.Abs(af-bf) < 0.006 && (isString(a) || isString(b))
	}
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok && spellings[sa] == sb {
			return true
		}
	}
	return a == b
}

// spellings pairs our wording of a vocabulary item with another gpsd version's, where they
// differ: gpsd 3.22 (Debian 12's gpsdecode) spells status 3 "manoeuverability", the gpsd that
// wrote the .chk files "maneuverability", which we follow.
var spellings = map[string]string{
	"Restricted maneuverability": "Restricted manoeuverability",
}

func isString(v any) bool { _, ok := v.(string); return ok }

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil && !strings.ContainsAny(x, "nN")
	}
	return 0, false
}

func TestDecodeAgreesWithGpsd(t *testing.T) {
	type corpus struct {
		input, expected string
		scaled          bool
		daemon          bool
	}
	corpora := []corpus{
		{"testdata/gpsd/sample.aivdm", "testdata/gpsd/sample.aivdm.js.chk", true, false},
		{"testdata/gpsd/sample.aivdm", "testdata/gpsd/sample.aivdm.ju.chk", false, false},
	}
	logs, _ := filepath.Glob("testdata/gpsd/daemon/*.log")
	if len(logs) == 0 {
		t.Fatal("no daemon logs in testdata/gpsd/daemon")
	}
	for _, l := range logs {
		corpora = append(corpora, corpus{l, l + ".chk", false, true})
	}
	used := map[string]bool{}
	for _, c := range corpora {
		name := filepath.Base(c.expected)
		t.Run(name, func(t *testing.T) {
			ours := decodeCorpus(t, c.input, c.scaled)
			var want []map[string]any
			if c.daemon {
				want = expectedDaemon(t, c.expected)
			} else {
				want = expectedSample(t, c.expected)
			}
			if len(want) == 0 {
				t.Fatalf("%s: no expected messages", c.expected)
			}
			diffs, explained, agreed := compareCorpus(t, filepath.Base(c.input), ours, want)
			for _, k := range sortedKeys(explained) {
				t.Logf("exception %s: %s", k, explained[k])
			}
			for _, k := range sortedKeys(diffs) {
				if why, ok := conformanceExceptions[k]; ok {
					used[k] = true
					t.Logf("exception %s: %s (%s)", k, diffs[k], why)
					continue
				}
				t.Errorf("%s: %s", k, diffs[k])
			}
			t.Logf("%d of gpsd's %d reports agree with ours field by field; %d exceptions explained", agreed, len(want), len(explained))
		})
	}
	for k := range conformanceExceptions {
		if !used[k] {
			t.Errorf("exception %s no longer differs from gpsd; remove it", k)
		}
	}
}
