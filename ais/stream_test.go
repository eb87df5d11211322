package ais

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeStreamReportsBadLinesAndGoesOn(t *testing.T) {
	input := strings.Join([]string{
		"# a comment", // 1 skipped
		"$GPRMC,213950.00,A,5250.53669,N,00542.34920,E,0.020,,070420,,,A*7D", // 2 skipped
		"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B",                    // 3 bad checksum
		type1, // 4
		"",    // 5 skipped
		"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208C~,0*" + sum("AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208C~,0"), // 6 bad armour
		type5a1 + "\r",           // 7
		strings.Repeat("x", 300), // 8 too long
		type5a2 + type1,          // 9 two sentences run together
		"!AIVDM,2,1,3,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0*3E", // 10 never completed
	}, "\n")
	var out, errOut bytes.Buffer
	st, err := DecodeStream(strings.NewReader(input), &out, &errOut, StreamOptions{MaxLine: 256})
	if err != nil {
		t.Fatal(err)
	}
	var mmsi []float64
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var o map[string]any
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		mmsi = append(mmsi, o["mmsi"].(float64))
	}
	if want := []float64{371798000, 351759000, 371798000}; len(mmsi) != len(want) || mmsi[0] != want[0] || mmsi[1] != want[1] || mmsi[2] != want[2] {
		t.Errorf("decoded MMSIs %v, want %v", mmsi, want)
	}
	wantErrs := []string{
		"line 3: checksum: is 4B, sentence sums to 4A",
		"line 6: payload: character '~' at offset 27 is not six-bit armour",
		"line 8: format: line: longer than 256 bytes",
		"line 10: lost fragment: fragments: message of 2 sentences lacks fragment 2: input ended",
	}
	if got := strings.Split(strings.TrimSpace(errOut.String()), "\n"); strings.Join(got, "\n") != strings.Join(wantErrs, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantErrs, "\n"))
	}
	if st.Lines != 10 || st.Skipped != 3 || st.Messages != 3 || st.Sentences != 7 || st.Errors() != 4 ||
		st.ByType[1] != 2 || st.ByType[5] != 1 || st.ByCause[CauseChecksum] != 1 || st.ByCause[CauseLost] != 1 {
		t.Errorf("stats %+v", st)
	}
	var sb strings.Builder
	st.WriteTo(&sb)
	for _, want := range []string{"type  1          2  Position Report Class A", "error checksum:", "errors 4"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("stats text lacks %q:\n%s", want, sb.String())
		}
	}
}
