package truce

import (
	"errors"
	"fmt"
)

// Error codes. Each names a class of failure that a caller can act on; the HTTP layer maps
// them to status codes in one place.
const (
	EINVALID      = "invalid"      // the input is malformed or breaks a rule of its format
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	ECONFLICT     = "conflict"     // the request contradicts the current state
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // valid credentials, but not allowed
	EUNAVAILABLE  = "unavailable"  // try again later (a full queue, shutting down)
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is an error with a machine-readable code and a message meant for a person.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, and a generic message
// for any other error so that internal details are not shown to users.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
