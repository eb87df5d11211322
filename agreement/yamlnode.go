package agreement

import (
	"math"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// object reads the fields of one YAML mapping, reporting each problem with the line of the
// field it concerns. Reading through yaml.Node rather than decoding into structs is what lets
// every message carry a line number and name the element it is about.
type object struct {
	p      problems
	node   *yaml.Node
	what   string // e.g. `zone "dmz"`, used as the prefix of every message
	values map[string]*yaml.Node
	keys   map[string]*yaml.Node
}

// newObject checks that n is a mapping with no keys outside allowed. It returns nil (after
// reporting) when n is not a mapping.
func newObject(p problems, n *yaml.Node, what string, allowed ...string) *object {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		p.at(n.Line, "%s: want a mapping of fields, got %s", what, describe(n))
		return nil
	}
	o := &object{p: p, node: n, what: what, values: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := o.values[k.Value]; dup {
			p.at(k.Line, "%s: field %q appears twice", what, k.Value)
			continue
		}
		if !ok[k.Value] {
			p.at(k.Line, "%s: unknown field %q", what, k.Value)
			continue
		}
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		o.keys[k.Value], o.values[k.Value] = k, v
	}
	return o
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "an unexpected YAML node"
}

// line returns the line of field key, or of the object when the field is absent.
func (o *object) line(key string) int {
	if k, ok := o.keys[key]; ok {
		return k.Line
	}
	return o.node.Line
}

func (o *object) has(key string) bool { _, ok := o.values[key]; return ok }

// str returns the string value of key; a missing required field is reported.
func (o *object) str(key string, required bool) string {
	v, ok := o.values[key]
	if !ok || v.Tag == "!!null" {
		if required {
			o.p.at(o.node.Line, "%s: field %q is required", o.what, key)
		}
		return ""
	}
	if v.Kind != yaml.ScalarNode {
		o.p.at(v.Line, "%s: field %q: want text, got %s", o.what, key, describe(v))
		return ""
	}
	if v.Value == "" && required {
		o.p.at(v.Line, "%s: field %q must not be empty", o.what, key)
	}
	return v.Value
}

// num returns the finite number at key, and whether it was present and valid.
func (o *object) num(key string) (float64, bool) {
	v, ok := o.values[key]
	if !ok {
		return 0, false
	}
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") {
		o.p.at(v.Line, "%s: field %q: want a number, got %s", o.what, key, describe(v))
		return 0, false
	}
	f, err := strconv.ParseFloat(v.Value, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		o.p.at(v.Line, "%s: field %q: %q is not a finite number", o.what, key, v.Value)
		return 0, false
	}
	return f, true
}

// strs returns a list of strings at key (a single string is taken as a list of one).
func (o *object) strs(key string, required bool) []string {
	v, ok := o.values[key]
	if !ok {
		if required {
			o.p.at(o.node.Line, "%s: field %q is required", o.what, key)
		}
		return nil
	}
	if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		return []string{v.Value}
	}
	if v.Kind != yaml.SequenceNode {
		o.p.at(v.Line, "%s: field %q: want a list, got %s", o.what, key, describe(v))
		return nil
	}
	out := make([]string, 0, len(v.Content))
	for _, e := range v.Content {
		if e.Kind != yaml.ScalarNode {
			o.p.at(e.Line, "%s: field %q: want text, got %s", o.what, key, describe(e))
			continue
		}
		out = append(out, e.Value)
	}
	if required && len(out) == 0 {
		o.p.at(v.Line, "%s: field %q must not be empty", o.what, key)
	}
	return out
}

// point returns a [lon, lat] pair at key.
func (o *object) point(key string) ([2]float64, bool) {
	v, ok := o.values[key]
	if !ok {
		o.p.at(o.node.Line, "%s: field %q is required", o.what, key)
		return [2]float64{}, false
	}
	if v.Kind != yaml.SequenceNode || len(v.Content) != 2 {
		o.p.at(v.Line, "%s: field %q: want [lon, lat], got %s", o.what, key, describe(v))
		return [2]float64{}, false
	}
	var pt [2]float64
	for i, e := range v.Content {
		f, err := strconv.ParseFloat(e.Value, 64)
		if e.Kind != yaml.ScalarNode || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			o.p.at(e.Line, "%s: field %q: %s is not a number", o.what, key, describe(e))
			return pt, false
		}
		pt[i] = f
	}
	if pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
		o.p.at(v.Line, "%s: field %q: [%v, %v] is not a [lon, lat] on Earth", o.what, key, pt[0], pt[1])
		return pt, false
	}
	return pt, true
}

// time returns the RFC 3339 time at key.
func (o *object) time(key string, required bool) time.Time {
	s := o.str(key, required)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		o.p.at(o.values[key].Line, "%s: field %q: %q is not an RFC 3339 time such as 2026-05-01T06:00:00Z", o.what, key, s)
	}
	return t
}

// list returns the elements of the sequence at key.
func (o *object) list(key string) []*yaml.Node {
	v, ok := o.values[key]
	if !ok || v.Tag == "!!null" {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		o.p.at(v.Line, "%s: field %q: want a list, got %s", o.what, key, describe(v))
		return nil
	}
	return v.Content
}
