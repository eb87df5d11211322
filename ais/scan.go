package ais

// SplitSentences calls fn for each sentence in line. Some receivers and files run sentences
// together without a line break ("...,2*25!AIVDM,1,1,..."); a '!' right after a checksum
// starts a new sentence, so the second sentence is not lost with the first.
func SplitSentences(line []byte, fn func(sentence []byte)) {
	start := 0
	for i := 0; i+3 < len(line); i++ {
		if line[i] == '*' && line[i+3] == '!' && isHex(line[i+1]) && isHex(line[i+2]) {
			fn(line[start : i+3])
			start = i + 3
			i += 2
		}
	}
	fn(line[start:])
}

func isHex(c byte) bool {
	_, ok := hexDigit(c)
	return ok
}

// IsSentence reports whether line should be decoded as a sentence: anything but a blank
// line, a '#' comment, or another kind of NMEA sentence ('$GPRMC...') that a mixed feed may
// carry. Lines that pass and still do not parse are errors worth reporting.
func IsSentence(line []byte) bool {
	for _, c := range line {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '#', '$':
			return false
		}
		return true
	}
	return false
}
