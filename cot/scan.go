package cot

import (
	"bytes"
	"errors"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// The scanner reads the subset of XML 1.0 that CoT uses: elements, attributes in single or
// double quotes, character data, CDATA sections, comments, processing instructions (the
// <?xml ...?> declaration), the five predefined entities and character references. It
// refuses document type declarations outright, which is what makes entity expansion
// impossible: with no DOCTYPE no entity can be defined, and an undefined entity is an error.
// Names are taken as written, namespace prefixes included.

// maxDepth bounds the nesting of elements within an event; CoT needs five or six levels.
const maxDepth = 64

// maxAttrs bounds the attributes of one element.
const maxAttrs = 256

// errIncomplete means the input ended inside an event. The stream decoder reads more and
// tries again; at the end of the input it is reported as a truncated event.
var errIncomplete = errors.New("input ended inside the event")

// syntaxError is an XML error at an offset from the start of the scanner's buffer.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// rawAttr is an attribute as it appears in the input: name and value still escaped.
type rawAttr struct {
	name, value []byte
	off         int // offset of the value
}

type scanner struct {
	b     []byte
	i     int
	attrs []rawAttr // attributes of the last start tag; reused
	text  []byte    // scratch for unescaping; reused
	norm  []byte    // scratch for normalizing attribute white space; reused
	// elemText is scratch for the text of a detail element; reused.
	elemText []byte
	// extra and links collect a detail's Extra and Links, copied out once at the end.
	extra []byte
	links []Link
	// nested is the offset of the first <event> start tag found inside the event being
	// parsed, or -1; see Decoder.recover.
	nested int
	arena  []byte // see str
	blk    *detailBlock
	array  [16]rawAttr
}

var scanners = sync.Pool{New: func() any { s := new(scanner); s.attrs = s.array[:0]; return s }}

func (s *scanner) fail(off int, msg string) error { return &syntaxError{off: off, msg: msg} }

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func (s *scanner) skipSpace() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// skipMisc skips what may come before or between events: white space, a byte order mark,
// comments and processing instructions. It stops at the '<' of an element start tag, or at
// the end of the buffer. A DOCTYPE is an error.
func (s *scanner) skipMisc() error {
	for {
		s.skipSpace()
		if s.i >= len(s.b) {
			return nil
		}
		rest := s.b[s.i:]
		switch {
		case bytes.HasPrefix(rest, []byte("\xef\xbb\xbf")):
			s.i += 3
		case bytes.HasPrefix(rest, []byte("<?")):
			if err := s.skipPast(s.i+2, "?>"); err != nil {
				return err
			}
		case bytes.HasPrefix(rest, []byte("<!--")):
			if err := s.skipPast(s.i+4, "-->"); err != nil {
				return err
			}
		case len(rest) < 4 && bytes.HasPrefix([]byte("<!--"), rest):
			return errIncomplete
		case bytes.HasPrefix(rest, []byte("<!")):
			return s.fail(s.i, "document type declarations and entity definitions are not accepted")
		case rest[0] == '<':
			return nil
		default:
			return s.fail(s.i, "text outside an element")
		}
	}
}

// skipPast moves past the first occurrence of end at or after from.
func (s *scanner) skipPast(from int, end string) error {
	j := bytes.Index(s.b[from:], []byte(end))
	if j < 0 {
		return errIncomplete
	}
	s.i = from + j + len(end)
	return nil
}

func isNameByte(c byte) bool {
	switch c {
	case ' ', '\n', '\t', '\r', '/', '>', '=', '<', '"', '\'', '&', '?', '!':
		return false
	}
	return true
}

// name reads an element or attribute name at s.i.
func (s *scanner) name() ([]byte, error) {
	start := s.i
	for s.i < len(s.b) && isNameByte(s.b[s.i]) {
		s.i++
	}
	if s.i == len(s.b) {
		return nil, errIncomplete
	}
	if s.i == start {
		return nil, s.fail(start, "expected a name")
	}
	if c := s.b[start]; c == '-' || c == '.' || (c >= '0' && c <= '9') {
		return nil, s.fail(start, "name "+strconv.Quote(string(s.b[start:s.i]))+" cannot start with "+strconv.QuoteRune(rune(c)))
	}
	return s.b[start:s.i], nil
}

// startTag reads a start tag whose '<' is at s.i. It returns the name and whether the tag
// closes itself ("<x/>"); the attributes are left in s.attrs.
func (s *scanner) startTag() (name []byte, selfClosing bool, err error) {
	s.i++ // '<'
	if name, err = s.name(); err != nil {
		return nil, false, err
	}
	s.attrs = s.attrs[:0]
	for {
		hadSpace := s.i < len(s.b) && isSpace(s.b[s.i])
		s.skipSpace()
		if s.i >= len(s.b) {
			return nil, false, errIncomplete
		}
		switch s.b[s.i] {
		case '>':
			s.i++
			return name, false, nil
		case '/':
			if s.i+1 >= len(s.b) {
				return nil, false, errIncomplete
			}
			if s.b[s.i+1] != '>' {
				return nil, false, s.fail(s.i, "expected '>' after '/' in <"+string(name))
			}
			s.i += 2
			return name, true, nil
		}
		if !hadSpace {
			return nil, false, s.fail(s.i, "expected white space before an attribute in <"+string(name))
		}
		at := s.i
		an, err := s.name()
		if err != nil {
			return nil, false, err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return nil, false, errIncomplete
		}
		if s.b[s.i] != '=' {
			return nil, false, s.fail(s.i, "attribute "+string(an)+" of <"+string(name)+" has no value")
		}
		s.i++
		s.skipSpace()
		if s.i >= len(s.b) {
			return nil, false, errIncomplete
		}
		q := s.b[s.i]
		if q != '"' && q != '\'' {
			return nil, false, s.fail(s.i, "value of attribute "+string(an)+" is not quoted")
		}
		j := bytes.IndexByte(s.b[s.i+1:], q)
		if j < 0 {
			return nil, false, errIncomplete
		}
		v := s.b[s.i+1 : s.i+1+j]
		if k := bytes.IndexByte(v, '<'); k >= 0 {
			return nil, false, s.fail(s.i+1+k, "'<' in the value of attribute "+string(an))
		}
		if bytes.IndexByte(v, '&') >= 0 {
			// Checked here so that a bad reference is an error in any element, kept
			// verbatim or not.
			if s.text, err = s.unescape(s.text[:0], s.i+1, v); err != nil {
				return nil, false, err
			}
		}
		s.i += j + 2
		for _, a := range s.attrs {
			if bytes.Equal(a.name, an) {
				return nil, false, s.fail(at, "attribute "+string(an)+" of <"+string(name)+" is repeated")
			}
		}
		if len(s.attrs) == maxAttrs {
			return nil, false, s.fail(at, "more than "+strconv.Itoa(maxAttrs)+" attributes in <"+string(name))
		}
		s.attrs = append(s.attrs, rawAttr{an, v, s.i - j - 1})
	}
}

// next moves through the content of the element parent, whose start tag has been read, to
// its next child element or its end tag. At a child it reads the child's start tag and
// returns its name, whether it closes itself, and the offset of its '<'; at the end tag it
// consumes the tag and returns done. If text is not nil, character data met on the way is
// unescaped and appended to *text.
func (s *scanner) next(parent []byte, depth int, text *[]byte) (child []byte, self bool, at int, done bool, err error) {
	for {
		j := bytes.IndexByte(s.b[s.i:], '<')
		if j < 0 {
			return nil, false, 0, false, errIncomplete
		}
		if j > 0 {
			if text != nil {
				*text, err = s.unescape(*text, s.i, s.b[s.i:s.i+j])
			} else if bytes.IndexByte(s.b[s.i:s.i+j], '&') >= 0 {
				// Character data that is not kept must still be well formed, or an undefined
				// entity could pass through into Extra and on to another parser.
				s.text, err = s.unescape(s.text[:0], s.i, s.b[s.i:s.i+j])
			}
			if err != nil {
				return nil, false, 0, false, err
			}
		}
		s.i += j
		rest := s.b[s.i:]
		if len(rest) < 2 {
			return nil, false, 0, false, errIncomplete
		}
		switch rest[1] {
		case '/':
			s.i += 2
			at := s.i
			end, err := s.name()
			if err != nil {
				return nil, false, 0, false, err
			}
			if !bytes.Equal(end, parent) {
				return nil, false, 0, false, s.fail(at, "</"+string(end)+"> does not close <"+string(parent)+">")
			}
			s.skipSpace()
			if s.i >= len(s.b) {
				return nil, false, 0, false, errIncomplete
			}
			if s.b[s.i] != '>' {
				return nil, false, 0, false, s.fail(s.i, "expected '>' to end </"+string(end))
			}
			s.i++
			return nil, false, 0, true, nil
		case '?':
			if err := s.skipPast(s.i+2, "?>"); err != nil {
				return nil, false, 0, false, err
			}
		case '!':
			switch {
			case bytes.HasPrefix(rest, []byte("<!--")):
				if err := s.skipPast(s.i+4, "-->"); err != nil {
					return nil, false, 0, false, err
				}
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				from := s.i + 9
				k := bytes.Index(s.b[from:], []byte("]]>"))
				if k < 0 {
					return nil, false, 0, false, errIncomplete
				}
				if text != nil {
					*text = append(*text, s.b[from:from+k]...)
				}
				s.i = from + k + 3
			case len(rest) < 9 && (bytes.HasPrefix([]byte("<![CDATA["), rest) || bytes.HasPrefix([]byte("<!--"), rest)):
				return nil, false, 0, false, errIncomplete
			default:
				return nil, false, 0, false, s.fail(s.i, "document type declarations and entity definitions are not accepted")
			}
		default:
			if depth >= maxDepth {
				return nil, false, 0, false, s.fail(s.i, "elements nested deeper than "+strconv.Itoa(maxDepth))
			}
			at := s.i
			child, self, err := s.startTag()
			if err != nil {
				return nil, false, 0, false, err
			}
			if s.nested < 0 && string(child) == "event" {
				s.nested = at
			}
			return child, self, at, false, nil
		}
	}
}

// content reads the rest of the element parent, whose start tag has just been read, through
// its end tag, checking that it is well formed. If text is not nil, the character data
// directly inside parent is unescaped and appended to *text. It reports whether parent has
// child elements.
func (s *scanner) content(parent []byte, depth int, text *[]byte) (children bool, err error) {
	for {
		child, self, _, done, err := s.next(parent, depth, text)
		if err != nil || done {
			return children, err
		}
		children = true
		if !self {
			if _, err := s.content(child, depth+1, nil); err != nil {
				return children, err
			}
		}
	}
}

// unescape appends raw, with entity and character references replaced, to dst. off is the
// offset of raw in the buffer, for errors.
func (s *scanner) unescape(dst []byte, off int, raw []byte) ([]byte, error) {
	for {
		j := bytes.IndexByte(raw, '&')
		if j < 0 {
			return append(dst, raw...), nil
		}
		dst = append(dst, raw[:j]...)
		off += j
		raw = raw[j:]
		k := bytes.IndexByte(raw, ';')
		if k < 0 || k > 12 {
			return dst, s.fail(off, "'&' that does not start an entity reference")
		}
		ref := raw[1:k]
		switch string(ref) {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "apos":
			dst = append(dst, '\'')
		case "quot":
			dst = append(dst, '"')
		default:
			if len(ref) < 2 || ref[0] != '#' {
				return dst, s.fail(off, "undefined entity &"+string(ref)+";")
			}
			var n uint64
			var err error
			if ref[1] == 'x' {
				n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
			}
			r := rune(n)
			if err != nil || n == 0 || n > utf8.MaxRune || !utf8.ValidRune(r) {
				return dst, s.fail(off, "bad character reference &"+string(ref)+";")
			}
			dst = utf8.AppendRune(dst, r)
		}
		off += k + 1
		raw = raw[k+1:]
	}
}

// attrString returns the unescaped value of a as a string.
// As XML requires, a tab, newline or carriage return written as such in a value reads as a
// space; written as a character reference (&#10;) it is kept.
func (s *scanner) attrString(a rawAttr) (string, error) {
	v := a.value
	if bytes.ContainsAny(v, "\t\n\r") {
		s.norm = append(s.norm[:0], v...)
		for i, c := range s.norm {
			if c == '\t' || c == '\n' || c == '\r' {
				s.norm[i] = ' '
			}
		}
		v = s.norm
	}
	if bytes.IndexByte(v, '&') < 0 {
		return s.str(v), nil
	}
	var err error
	s.text, err = s.unescape(s.text[:0], a.off, v)
	return s.str(s.text), err
}

// str returns b as a string. The strings of an event are many and short, so rather than
// allocate each, str copies them into a block of memory that is only ever appended to:
// bytes once written there never change, which is what a string needs.
func (s *scanner) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(s.arena)+len(b) > cap(s.arena) {
		s.arena = make([]byte, 0, max(4096, len(b)))
	}
	i := len(s.arena)
	s.arena = append(s.arena, b...)
	return unsafe.String(&s.arena[i], len(b))
}
