package ais

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// StreamOptions configures DecodeStream.
type StreamOptions struct {
	JSON JSONOptions
	// MaxLine is the longest line accepted, in bytes; longer lines are reported and skipped.
	// 0 means 64 KiB.
	MaxLine int
}

// Stats counts what DecodeStream read.
type Stats struct {
	Lines     int64 // lines read
	Sentences int64 // sentences decoded or rejected
	Skipped   int64 // blank lines, comments and non-AIS NMEA sentences
	Messages  int64 // messages written
	ByType    [64]int64
	ByCause   [16]int64 // errors, indexed by Cause
}

// Errors returns the number of errors of every cause.
func (s *Stats) Errors() int64 {
	var n int64
	for _, c := range s.ByCause {
		n += c
	}
	return n
}

// WriteTo writes the counts in a form meant for people: messages by type, errors by cause.
func (s *Stats) WriteTo(w io.Writer) (int64, error) {
	b := fmt.Appendf(nil, "lines %d, sentences %d, skipped lines %d, messages %d\n", s.Lines, s.Sentences, s.Skipped, s.Messages)
	for t, n := range s.ByType {
		if n > 0 {
			b = fmt.Appendf(b, "type %2d %10d  %s\n", t, n, TypeName(uint8(t)))
		}
	}
	for c, n := range s.ByCause {
		if n > 0 {
			b = fmt.Appendf(b, "error %-14s %10d\n", Cause(c).String()+":", n)
		}
	}
	b = append(b, "errors "...)
	b = strconv.AppendInt(b, s.Errors(), 10)
	b = append(b, '\n')
	n, err := w.Write(b)
	return int64(n), err
}

// DecodeStream reads lines of sentences from in and writes one JSON object per decoded
// message to out, a line each. A sentence that cannot be decoded is reported to errOut as one
// line naming its line number and the cause, and decoding goes on. Blank lines, '#' comments
// and other NMEA sentences are skipped. The error returned is only for failing to read or
// write.
//
// Lines are read with ReadSlice and JSON is appended into one reused buffer, so a steady
// stream costs no allocation per sentence.
func DecodeStream(in io.Reader, out, errOut io.Writer, o StreamOptions) (Stats, error) {
	maxLine := o.MaxLine
	if maxLine <= 0 {
		maxLine = 1 << 16
	}
	r := bufio.NewReaderSize(in, maxLine)
	w := bufio.NewWriterSize(out, 1<<16)
	ew := bufio.NewWriterSize(errOut, 1<<12)
	var st Stats
	var ebuf []byte
	report := func(e *Error) {
		st.ByCause[e.Cause&15]++
		ebuf = append(ebuf[:0], e.Error()...)
		ebuf = append(ebuf, '\n')
		ew.Write(ebuf)
	}
	d := &Decoder{OnExpire: report}
	var buf []byte
	var lineNo int64
	decode := func(sentence []byte) {
		st.Sentences++
		m, err := d.Decode(lineNo, sentence)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				report(e)
			}
			return
		}
		if m == nil {
			return
		}
		st.Messages++
		st.ByType[m.Type&63]++
		buf = AppendJSON(buf[:0], m, o.JSON)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	tooLong := false
	for {
		line, err := r.ReadSlice('\n')
		switch {
		case len(line) == 0:
		case tooLong:
			// The rest of a line already reported as too long.
		case err == bufio.ErrBufferFull:
			lineNo++
			st.Lines++
			report(errorf(lineNo, CauseFormat, "line", "longer than "+strconv.Itoa(r.Size())+" bytes"))
		default:
			lineNo++
			st.Lines++
			if IsSentence(line) {
				SplitSentences(line, decode)
			} else {
				st.Skipped++
			}
		}
		tooLong = err == bufio.ErrBufferFull
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			w.Flush()
			ew.Flush()
			return st, err
		}
	}
	d.Flush()
	if err := w.Flush(); err != nil {
		ew.Flush()
		return st, err
	}
	return st, ew.Flush()
}
