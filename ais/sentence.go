package ais

import (
	"strconv"
)

// Sentence is one AIVDM/AIVDO sentence, the envelope of a whole message or of one fragment.
// Payload aliases the bytes it was parsed from.
type Sentence struct {
	Talker  [2]byte // "AI", "AB", "BS", ...
	Own     bool    // VDO: the receiving station's own reports rather than one heard on the air
	Total   int     // number of fragments of the message, 1-9
	Number  int     // this fragment's number, 1-Total
	SeqID   int     // message id tying the fragments together, 0-9; -1 when empty
	Channel byte    // radio channel 'A', 'B', '1', '2', ...; 0 when empty
	Payload []byte  // the armoured six-bit payload
	Fill    int     // fill bits at the end of the payload, 0-5
	Tag     TagBlock
}

// TagBlock is the NMEA 4 tag block that may precede a sentence.
type TagBlock struct {
	Source string // s: the receiving station
	// UnixMilli is the c: field, the time of reception, in milliseconds since 1970; 0 when
	// absent. Senders disagree on whether c: counts seconds or milliseconds; values above 10^11
	// (the year 5138 in seconds) are taken as milliseconds.
	UnixMilli int64
	// Group is the g: field, "fragment-total-id", tying a tag block to a sentence group.
	GroupNumber, GroupTotal, GroupID int
}

// ParseSentence parses one sentence, with or without a tag block, into s. Anything after the
// two checksum digits (a line ending, a receiver's trailing fields) is ignored; leading bytes
// before '!' are skipped when there is no tag block. On error s is unspecified and the
// *Error's Line is 0, for the caller to set.
func ParseSentence(line []byte, s *Sentence) error {
	src := s.Tag.Source // kept for reuse: one receiver names itself the same way every time
	s.Tag = TagBlock{}
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i < len(line) && line[i] == '\\' {
		end, err := parseTagBlock(line[i+1:], &s.Tag, src)
		if err != nil {
			return err
		}
		i += 1 + end + 1
	} else {
		for i < len(line) && line[i] != '!' {
			i++
		}
	}
	line = line[i:]
	if len(line) == 0 || line[0] != '!' {
		return errorf(0, CauseFormat, "start", "no '!' sentence")
	}
	star := -1
	var sum byte
	for j := 1; j < len(line); j++ {
		if line[j] == '*' {
			star = j
			break
		}
		sum ^= line[j]
	}
	if star < 0 || star+3 > len(line) {
		return errorf(0, CauseChecksum, "checksum", "missing")
	}
	want, ok := hexByte(line[star+1], line[star+2])
	if !ok {
		return errorf(0, CauseChecksum, "checksum", strconv.Quote(string(line[star+1:star+3]))+" is not hex")
	}
	if want != sum {
		return errorf(0, CauseChecksum, "checksum", "is "+hex2(want)+", sentence sums to "+hex2(sum))
	}
	body := line[1:star]
	// Address field: two-letter talker and VDM or VDO.
	if len(body) < 6 || body[5] != ',' || !isUpper(body[0]) || !isUpper(body[1]) ||
		body[2] != 'V' || body[3] != 'D' || (body[4] != 'M' && body[4] != 'O') {
		end := len(body)
		if c := indexByte(body, ','); c >= 0 {
			end = c
		}
		return errorf(0, CauseFormat, "address", strconv.Quote(string(body[:end]))+" is not AIVDM or AIVDO")
	}
	s.Talker = [2]byte{body[0], body[1]}
	s.Own = body[4] == 'O'
	f := body[6:]
	var fld []byte
	fld, f = nextField(f)
	if len(fld) != 1 || fld[0] < '1' || fld[0] > '9' {
		return errorf(0, CauseFormat, "fragment count", strconv.Quote(string(fld))+" is not 1-9")
	}
	s.Total = int(fld[0] - '0')
	fld, f = nextField(f)
	if len(fld) != 1 || fld[0] < '1' || int(fld[0]-'0') > s.Total {
		return errorf(0, CauseFormat, "fragment number", strconv.Quote(string(fld))+" is not 1-"+strconv.Itoa(s.Total))
	}
	s.Number = int(fld[0] - '0')
	fld, f = nextField(f)
	switch {
	case len(fld) == 0:
		s.SeqID = -1
	case len(fld) == 1 && fld[0] >= '0' && fld[0] <= '9':
		s.SeqID = int(fld[0] - '0')
	default:
		return errorf(0, CauseFormat, "message id", strconv.Quote(string(fld))+" is not 0-9")
	}
	fld, f = nextField(f)
	switch len(fld) {
	case 0:
		s.Channel = 0
	case 1:
		s.Channel = fld[0]
	default:
		return errorf(0, CauseFormat, "channel", strconv.Quote(string(fld))+" is not one character")
	}
	if f == nil {
		return errorf(0, CauseFormat, "payload", "missing")
	}
	s.Payload, f = nextField(f)
	if f == nil {
		return errorf(0, CauseFormat, "fill bits", "missing")
	}
	fld, f = nextField(f)
	if len(fld) != 1 || fld[0] < '0' || fld[0] > '5' || f != nil {
		return errorf(0, CauseFormat, "fill bits", strconv.Quote(string(fld))+" is not 0-5")
	}
	s.Fill = int(fld[0] - '0')
	return nil
}

// parseTagBlock parses the tag block that starts just after the opening backslash in b and
// returns the index of the closing backslash.
func parseTagBlock(b []byte, t *TagBlock, prevSource string) (int, error) {
	end := indexByte(b, '\\')
	if end < 0 {
		return 0, errorf(0, CauseTagBlock, "tag block", "no closing '\\'")
	}
	star := -1
	var sum byte
	for j := 0; j < end; j++ {
		if b[j] == '*' {
			star = j
			break
		}
		sum ^= b[j]
	}
	if star < 0 || star+3 != end {
		return 0, errorf(0, CauseTagBlock, "checksum", "missing")
	}
	want, ok := hexByte(b[star+1], b[star+2])
	if !ok {
		return 0, errorf(0, CauseTagBlock, "checksum", strconv.Quote(string(b[star+1:star+3]))+" is not hex")
	}
	if want != sum {
		return 0, errorf(0, CauseTagBlock, "checksum", "is "+hex2(want)+", tag block sums to "+hex2(sum))
	}
	f := b[:star]
	for f != nil {
		var fld []byte
		fld, f = nextField(f)
		if len(fld) < 2 || fld[1] != ':' {
			return 0, errorf(0, CauseTagBlock, "field", strconv.Quote(string(fld))+" is not key:value")
		}
		v := fld[2:]
		switch fld[0] {
		case 's':
			if string(v) == prevSource {
				t.Source = prevSource
			} else {
				t.Source = string(v)
			}
		case 'c':
			n, ok := atoi(v)
			if !ok || n <= 0 {
				return 0, errorf(0, CauseTagBlock, "c", strconv.Quote(string(v))+" is not a Unix time")
			}
			if n < 1e11 {
				n *= 1000
			}
			t.UnixMilli = n
		case 'g':
			parts := [3]int{}
			k := 0
			for _, p := range splitDash(v, parts[:0]) {
				parts[k] = p
				k++
			}
			if k != 3 {
				return 0, errorf(0, CauseTagBlock, "g", strconv.Quote(string(v))+" is not number-total-id")
			}
			t.GroupNumber, t.GroupTotal, t.GroupID = parts[0], parts[1], parts[2]
		}
		// Other keys (n: line count, d: destination, t: text, r: relative time) carry nothing
		// the decoder needs.
	}
	return end, nil
}

// splitDash parses up to three dash-separated non-negative integers; it returns fewer on
// malformed input so the caller can reject it.
func splitDash(v []byte, out []int) []int {
	for len(out) < 3 {
		i := indexByte(v, '-')
		part := v
		if i >= 0 {
			part = v[:i]
		}
		n, ok := atoi(part)
		if !ok {
			return out[:0]
		}
		out = append(out, int(n))
		if i < 0 {
			return out
		}
		v = v[i+1:]
	}
	return out[:0] // a fourth part
}

// nextField splits b at the first comma. rest is nil when there was no comma, so that a
// caller can tell a missing field from an empty one.
func nextField(b []byte) (field, rest []byte) {
	for i, c := range b {
		if c == ',' {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func hexByte(hi, lo byte) (byte, bool) {
	h, ok1 := hexDigit(hi)
	l, ok2 := hexDigit(lo)
	return h<<4 | l, ok1 && ok2
}

func hex2(b byte) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[b>>4], digits[b&15]})
}
