package agreement

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with an agreement folder, located as precisely as the loader can:
// a file, a line in it (0 when unknown) and a message that names the element and field.
type Problem struct {
	File    string
	Line    int
	Message string
}

func (p Problem) String() string {
	switch {
	case p.File == "":
		return p.Message
	case p.Line <= 0:
		return p.File + ": " + p.Message
	default:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
}

// Errors is every problem found while loading an agreement. Load reports all of them at once so
// that an author can fix a folder in one pass.
type Errors []Problem

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems for one file.
type problems struct {
	list *Errors
	file string
}

func (p problems) at(line int, format string, args ...any) {
	*p.list = append(*p.list, Problem{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
}
