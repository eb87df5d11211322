package ais

import (
	"strconv"
)

// Cause classifies why a sentence could not be decoded, so that a feed's errors can be
// counted by kind.
type Cause uint8

// The causes of decoding errors.
const (
	CauseFormat   Cause = iota + 1 // the sentence does not have the AIVDM/AIVDO shape
	CauseChecksum                  // the checksum does not match the sentence
	CauseTagBlock                  // the NMEA 4 tag block is malformed or its checksum is wrong
	CauseLost                      // a multi-sentence message lost fragments and expired
	CausePayload                   // the payload has a character outside the six-bit armour
	CauseLength                    // the payload is too short or too long for its message type
)

var causeNames = [...]string{
	CauseFormat:   "format",
	CauseChecksum: "checksum",
	CauseTagBlock: "tag block",
	CauseLost:     "lost fragment",
	CausePayload:  "payload",
	CauseLength:   "length",
}

func (c Cause) String() string {
	if int(c) < len(causeNames) && causeNames[c] != "" {
		return causeNames[c]
	}
	return "cause " + strconv.Itoa(int(c))
}

// Error is a sentence that could not be decoded. Line is the caller's line number of the
// sentence (for a lost fragment, of the first fragment that was held); Field names the part
// of the sentence that is wrong.
type Error struct {
	Line   int64
	Cause  Cause
	Field  string
	Detail string
}

func (e *Error) Error() string {
	b := make([]byte, 0, 64)
	if e.Line > 0 {
		b = append(b, "line "...)
		b = strconv.AppendInt(b, e.Line, 10)
		b = append(b, ": "...)
	}
	b = append(b, e.Cause.String()...)
	if e.Field != "" && e.Field != e.Cause.String() {
		b = append(b, ": "...)
		b = append(b, e.Field...)
	}
	if e.Detail != "" {
		b = append(b, ": "...)
		b = append(b, e.Detail...)
	}
	return string(b)
}

func errorf(line int64, cause Cause, field, detail string) *Error {
	return &Error{Line: line, Cause: cause, Field: field, Detail: detail}
}
