package decode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	truce "github.com/truce-project/truce"
)

// readNDJSON reads one observation object per line. Blank lines are skipped; a line longer
// than the record limit is reported and skipped without reading it into memory.
func readNDJSON(r io.Reader, opt Options, h Handler) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for n := 1; ; n++ {
		var tooLong bool
		var err error
		line, tooLong, err = readLine(br, line[:0], opt.maxRecord())
		if err != nil && err != io.EOF {
			return err
		}
		if tooLong {
			if herr := h(n, nil, &RecordError{Line: n, Msg: fmt.Sprintf("record longer than %d bytes", opt.maxRecord())}); herr != nil {
				return herr
			}
		} else if len(bytes.TrimSpace(line)) > 0 {
			if herr := decodeJSONRecord(n, line, opt, h); herr != nil {
				return herr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine appends the next line (without its newline) to buf. When the line is longer than
// max it is consumed and discarded and tooLong is set.
func readLine(br *bufio.Reader, buf []byte, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > max+2 {
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		buf = bytes.TrimRight(buf, "\r\n")
		return buf, tooLong, err
	}
}

func decodeJSONRecord(line int, data []byte, opt Options, h Handler) error {
	var rec record
	if rerr := unmarshalRecord(data, &rec); rerr != nil {
		rerr.Line, rerr.ID = line, rec.ID
		return h(line, nil, rerr)
	}
	o, rerr := rec.observation(opt)
	if rerr != nil {
		rerr.Line = line
		return h(line, nil, rerr)
	}
	if opt.KeepRaw {
		o.Raw = append([]byte(nil), data...)
	}
	return h(line, o, nil)
}

// readJSONArray reads a JSON array of observation objects. Input that starts with an object
// rather than an array is read as NDJSON, so a single object or a stream of them also works.
func readJSONArray(r io.Reader, opt Options, h Handler) error {
	data, err := readAllLimited(r, 1<<30)
	if err != nil {
		return err
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return readNDJSON(bytes.NewReader(data), opt, h)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	lines := lineCounter{data: data}
	if _, err := dec.Token(); err != nil {
		return truce.Errorf(truce.EINVALID, "line 1: not a JSON array: %v", err)
	}
	for dec.More() {
		start := lines.lineAt(skipSpaceComma(data, dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			// The array itself is broken: nothing after this point can be located reliably.
			return truce.Errorf(truce.EINVALID, "line %d: the JSON array is broken here, the rest of the input was not read: %v", start, err)
		}
		if herr := decodeJSONRecord(start, raw, opt, h); herr != nil {
			return herr
		}
	}
	return nil
}

// skipSpaceComma returns the offset of the first byte at or after off that is not white space
// or a comma: where the next array element starts.
func skipSpaceComma(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// lineCounter turns increasing byte offsets into 1-based line numbers in one pass.
type lineCounter struct {
	data []byte
	off  int64
	line int
}

func (c *lineCounter) lineAt(off int64) int {
	if c.line == 0 {
		c.line = 1
	}
	if off > int64(len(c.data)) {
		off = int64(len(c.data))
	}
	if off > c.off {
		c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
		c.off = off
	}
	return c.line
}

func readAllLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, truce.Errorf(truce.EINVALID, "input larger than %d bytes; send NDJSON to stream larger batches", max)
	}
	return data, nil
}
