package sqlite

import (
	"encoding/base64"
	"testing"

	"github.com/truce-project/truce"
)

func TestCursorRoundTrips(t *testing.T) {
	for _, rowid := range []int64{1, 42, 1 << 40, 1<<63 - 1} {
		for _, tag := range []string{observationCursor, findingCursor} {
			got, err := decodeCursor(tag, encodeCursor(tag, rowid))
			if err != nil || got != rowid {
				t.Errorf("decodeCursor(%s, encodeCursor(%d)) = %d, %v", tag, rowid, got, err)
			}
		}
	}
	if got, err := decodeCursor(observationCursor, ""); got != 0 || err != nil {
		t.Errorf("the empty cursor: %d, %v; want the first page", got, err)
	}
}

// FuzzDecodeCursor checks that any string a client sends as a cursor either decodes to a
// positive rowid that encodes back to the same cursor, or is refused with EINVALID.
func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{"", encodeCursor("o", 1), encodeCursor("o", 1234567), encodeCursor("f", 99),
		base64.RawURLEncoding.EncodeToString([]byte("o:-1")), "bzox", "%%", "bzoxMg=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		rowid, err := decodeCursor(observationCursor, cursor)
		if err != nil {
			if truce.ErrorCode(err) != truce.EINVALID {
				t.Fatalf("decodeCursor(%q): %v is not EINVALID", cursor, err)
			}
			return
		}
		if cursor == "" {
			if rowid != 0 {
				t.Fatalf("the empty cursor decoded to %d", rowid)
			}
			return
		}
		if rowid <= 0 || encodeCursor(observationCursor, rowid) != cursor {
			t.Fatalf("decodeCursor(%q) = %d, which encodes as %q", cursor, rowid, encodeCursor(observationCursor, rowid))
		}
	})
}
