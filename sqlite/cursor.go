package sqlite

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/truce-project/truce"
)

// A cursor names a list and the rowid of the last row of a page: "o:1234" for observations,
// "f:56" for findings, in base64url without padding. The tag keeps a cursor of one list from
// being taken for a position in the other.
const (
	observationCursor = "o"
	findingCursor     = "f"
)

func encodeCursor(tag string, rowid int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tag + ":" + strconv.FormatInt(rowid, 10)))
}

// decodeCursor returns the rowid after which the page begins: 0 for "", the first page.
func decodeCursor(tag, cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, truce.Errorf(truce.EINVALID, "cursor: %q is not a cursor this server issued (not base64url)", cursor)
	}
	prefix, digits, ok := strings.Cut(string(b), ":")
	if !ok || prefix != tag {
		return 0, truce.Errorf(truce.EINVALID, "cursor: %q is not a cursor of this list", cursor)
	}
	rowid, err := strconv.ParseInt(digits, 10, 64)
	// The encoder writes rowids, which are positive, in canonical decimal; anything else was
	// not written by it.
	if err != nil || rowid <= 0 {
		return 0, truce.Errorf(truce.EINVALID, "cursor: %q does not hold a position", cursor)
	}
	// The decoder forgives what the encoder never writes (line breaks, stray low bits in the
	// last character, leading zeros): a cursor is valid only as the encoder spells it, so that a
	// position has one cursor and a cursor one position.
	if encodeCursor(tag, rowid) != cursor {
		return 0, truce.Errorf(truce.EINVALID, "cursor: %q is not a cursor this server issued", cursor)
	}
	return rowid, nil
}

// Page sizes: what a zero or negative limit means, and the most a page holds.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

func pageLimit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}
