package ais

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSentenceReadsEnvelope(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		talker  string
		own     bool
		total   int
		number  int
		seq     int
		channel byte
		payload string
		fill    int
		source  string
		milli   int64
		group   [3]int
	}{
		{"single AIVDM", "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A", "AI", false, 1, 1, -1, 'A', "15RTgt0PAso;90TKcjM8h6g208CQ", 0, "", 0, [3]int{}},
		{"base station talker BS", "!BSVDM,1,1,,B,8h2=Vg@0Gh0qNiN>fQB0AhulnR06EuOwgwl?wnSwe7wvlOwwsAwwnSGmwvh0,0*2E", "BS", false, 1, 1, -1, 'B', "8h2=Vg@0Gh0qNiN>fQB0AhulnR06EuOwgwl?wnSwe7wvlOwwsAwwnSGmwvh0", 0, "", 0, [3]int{}},
		{"NMEA 4 base talker AB, fragment", "!ABVDM,2,2,6,B,wvh0,0*41", "AB", false, 2, 2, 6, 'B', "wvh0", 0, "", 0, [3]int{}},
		{"own ship AIVDO", "!AIVDO,1,1,4,B,8>jR06@0Bk3:wOli;<`WPhh<1rqVBQf2V@Pdt0J82avIM2b<<Rv1t<ot=@1,2*54", "AI", true, 1, 1, 4, 'B', "8>jR06@0Bk3:wOli;<`WPhh<1rqVBQf2V@Pdt0J82avIM2b<<Rv1t<ot=@1", 2, "", 0, [3]int{}},
		{"channel 2 and fill bits", "!AIVDM,1,1,,2,D02E34iFTg6D000000000000002gjG2,0*75", "AI", false, 1, 1, -1, '2', "D02E34iFTg6D000000000000002gjG2", 0, "", 0, [3]int{}},
		{"trailing CR LF and receiver fields ignored", "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A,1241544035\r\n", "AI", false, 1, 1, -1, 'A', "15RTgt0PAso;90TKcjM8h6g208CQ", 0, "", 0, [3]int{}},
		{"lower-case checksum", "!AIVDM,2,1,8,B,E03l90w4Q1h3h1:WdPOwwwwwwwwlQdn`:e55020@@@gP0000000000000000,0*47", "AI", false, 2, 1, 8, 'B', "E03l90w4Q1h3h1:WdPOwwwwwwwwlQdn`:e55020@@@gP0000000000000000", 0, "", 0, [3]int{}},
		{"tag block with group, source and time in seconds",
			`\g:1-2-73874,n:157036,s:r003669945,c:1241544035*4A\!AIVDM,1,1,,B,15N4cJ` + "`" + `005Jrek0H@9n` + "`" + `DW5608EP,0*13`,
			"AI", false, 1, 1, -1, 'B', "15N4cJ`005Jrek0H@9n`DW5608EP", 0, "r003669945", 1241544035000, [3]int{1, 2, 73874}},
		{"tag block with time in milliseconds", `\s:r003669945,c:1241544035123*49\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A`,
			"AI", false, 1, 1, -1, 'A', "15RTgt0PAso;90TKcjM8h6g208CQ", 0, "r003669945", 1241544035123, [3]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sentence
			if err := ParseSentence([]byte(tt.line), &s); err != nil {
				t.Fatalf("ParseSentence: %v", err)
			}
			if string(s.Talker[:]) != tt.talker || s.Own != tt.own || s.Total != tt.total || s.Number != tt.number ||
				s.SeqID != tt.seq || s.Channel != tt.channel || string(s.Payload) != tt.payload || s.Fill != tt.fill {
				t.Errorf("got %s own=%v %d/%d seq=%d ch=%q payload=%q fill=%d", s.Talker, s.Own, s.Number, s.Total, s.SeqID, s.Channel, s.Payload, s.Fill)
			}
			g := [3]int{s.Tag.GroupNumber, s.Tag.GroupTotal, s.Tag.GroupID}
			if s.Tag.Source != tt.source || s.Tag.UnixMilli != tt.milli || g != tt.group {
				t.Errorf("tag block: got source %q time %d group %v, want %q %d %v", s.Tag.Source, s.Tag.UnixMilli, g, tt.source, tt.milli, tt.group)
			}
		})
	}
}

func TestParseSentenceRejectsMalformedWithCauseAndField(t *testing.T) {
	tests := []struct {
		name  string
		line  string
		cause Cause
		field string
	}{
		{"wrong checksum", "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B", CauseChecksum, "checksum"},
		{"no checksum", "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0", CauseChecksum, "checksum"},
		{"checksum not hex", "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*G1", CauseChecksum, "checksum"},
		{"no sentence at all", "hello", CauseFormat, "start"},
		{"missing bang", "AIVDM,2,2,1,B,00000000000,2*26", CauseFormat, "start"},
		{"not VDM or VDO", "!AIVDX,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*5F", CauseFormat, "address"},
		{"fragment count zero", "!AIVDM,0,1,,A,1,0*" + sum("AIVDM,0,1,,A,1,0"), CauseFormat, "fragment count"},
		{"fragment number past count", "!AIVDM,1,2,,A,1,0*" + sum("AIVDM,1,2,,A,1,0"), CauseFormat, "fragment number"},
		{"message id not a digit", "!AIVDM,2,1,x,A,1,0*" + sum("AIVDM,2,1,x,A,1,0"), CauseFormat, "message id"},
		{"channel too long", "!AIVDM,1,1,,AB,1,0*" + sum("AIVDM,1,1,,AB,1,0"), CauseFormat, "channel"},
		{"fill bits too many", "!AIVDM,1,1,,A,1,6*" + sum("AIVDM,1,1,,A,1,6"), CauseFormat, "fill bits"},
		{"fill bits missing", "!AIVDM,1,1,,A,1*" + sum("AIVDM,1,1,,A,1"), CauseFormat, "fill bits"},
		{"payload missing", "!AIVDM,1,1,,A*" + sum("AIVDM,1,1,,A"), CauseFormat, "payload"},
		{"tag block checksum wrong", `\s:r003669945,c:1241544035*7A\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A`, CauseTagBlock, "checksum"},
		{"tag block not closed", `\s:r003669945,c:1241544035*79!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A`, CauseTagBlock, "tag block"},
		{"tag block time not a number", `\c:12x*` + sum("c:12x") + `\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A`, CauseTagBlock, "c"},
		{"tag block field without key", `\abc*` + sum("abc") + `\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A`, CauseTagBlock, "field"},
		{"tag block group malformed", `\g:1-2*` + sum("g:1-2") + `\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A`, CauseTagBlock, "g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sentence
			err := ParseSentence([]byte(tt.line), &s)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseSentence(%q) = %v, want an *Error", tt.line, err)
			}
			if e.Cause != tt.cause || e.Field != tt.field {
				t.Errorf("got cause %v field %q (%v), want %v %q", e.Cause, e.Field, err, tt.cause, tt.field)
			}
		})
	}
}

// sum returns the NMEA checksum of s in two hex digits, for building test sentences.
func sum(s string) string {
	var c byte
	for i := 0; i < len(s); i++ {
		c ^= s[i]
	}
	return hex2(c)
}

func TestSplitSentencesSeparatesRunTogetherSentences(t *testing.T) {
	line := "!AIVDM,2,2,1,A,88888888880,2*25!AIVDM,1,1,,A,33P;Tw0tjBQO22:E7dm66DrB20UP,0*2E"
	var got []string
	SplitSentences([]byte(line), func(s []byte) { got = append(got, string(s)) })
	want := []string{"!AIVDM,2,2,1,A,88888888880,2*25", "!AIVDM,1,1,,A,33P;Tw0tjBQO22:E7dm66DrB20UP,0*2E"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}
