package server

import (
	"encoding/json"
	"net/http"

	truce "github.com/truce-project/truce"
)

// statusOf maps the error codes of package truce to HTTP status codes: the one place this
// mapping is made.
var statusOf = map[string]int{
	truce.EINVALID:      http.StatusBadRequest,
	truce.ENOTFOUND:     http.StatusNotFound,
	truce.ECONFLICT:     http.StatusConflict,
	truce.EUNAUTHORIZED: http.StatusUnauthorized,
	truce.EFORBIDDEN:    http.StatusForbidden,
	truce.EUNAVAILABLE:  http.StatusServiceUnavailable,
	truce.EINTERNAL:     http.StatusInternalServerError,
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, err error) {
	code := truce.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	switch code {
	case truce.EUNAVAILABLE:
		w.Header().Set("Retry-After", "1")
	case truce.EUNAUTHORIZED:
		w.Header().Set("WWW-Authenticate", `Bearer realm="truce"`)
	}
	writeJSON(w, status, errorBody{Code: code, Message: truce.ErrorMessage(err)})
}

// writeErrorStatus writes an error with a status that has no truce code of its own (413, 415).
func writeErrorStatus(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
