package cot

import (
	"fmt"

	"github.com/truce-project/truce"
)

// DecodeError reports an event, or a TAK protocol frame, that could not be decoded. The
// decoders return it and go on with the next event.
type DecodeError struct {
	// Offset is the byte offset in the input where the event or frame begins.
	Offset int64
	// At is the byte offset of the fault itself, or -1 when the fault is in the event as a
	// whole (a missing field, a value out of range).
	At int64
	// Field names what is wrong in the form element@attribute ("point@lat", "event@time"),
	// or is empty for an error of XML syntax or of framing.
	Field string
	Msg   string
}

func (e *DecodeError) Error() string {
	s := fmt.Sprintf("cot: event at byte %d: ", e.Offset)
	if e.At >= 0 && e.At != e.Offset {
		s += fmt.Sprintf("byte %d: ", e.At)
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Msg
}

// Unwrap gives the error the code truce.EINVALID, so that callers that map error codes treat
// a bad event as bad input.
func (e *DecodeError) Unwrap() error { return truce.Errorf(truce.EINVALID, "%s", e.Error()) }

// fieldError is a fault in one field, before the decoder knows where the event began.
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }
