package cot

import "strings"

// Type is a CoT type code taken apart. A type is a list of fields joined by '-'. The first
// is the atom class: "a" (atoms: things that exist, such as units, vehicles, weapons), "b"
// (bits: data about things, such as detections, routes, chat), "t" (tasking), "u" (drawn
// shapes), and a few more. For atoms the second field is the affiliation (f friend, h
// hostile, n neutral, u unknown...), the third the battle dimension (G ground, A air, S sea
// surface...), and the rest the function, a path into the MIL-STD-2525 hierarchy: for
// a-h-G-U-C-I, U unit, C combat, I infantry.
type Type struct {
	Atom        string   // "a", "b", "t", "u"...
	Affiliation string   // atoms only: "f", "h", "n", "u", "a", "s", "j", "k", "p", "o"
	Dimension   string   // atoms only: "P", "A", "G", "S", "U", "F", "X"
	Function    []string // atoms: the fields after the dimension; others: the fields after the atom
}

// ParseType takes a type code apart. It does not judge whether the code is one that clients
// know; an empty code gives the zero Type.
func ParseType(code string) Type {
	if code == "" {
		return Type{}
	}
	f := strings.Split(code, "-")
	t := Type{Atom: f[0]}
	if t.Atom != "a" {
		t.Function = f[1:]
		return t
	}
	if len(f) > 1 {
		t.Affiliation = f[1]
	}
	if len(f) > 2 {
		t.Dimension = f[2]
	}
	if len(f) > 3 {
		t.Function = f[3:]
	}
	return t
}

// AtomName returns the name of the atom class, or "" if it is not one CoT defines.
func (t Type) AtomName() string { return atomNames[t.Atom] }

// AffiliationName returns the name of the affiliation, or "".
func (t Type) AffiliationName() string { return affiliationNames[t.Affiliation] }

// DimensionName returns the name of the battle dimension, or "".
func (t Type) DimensionName() string { return dimensionNames[t.Dimension] }

// FunctionNames names the fields of the function as far as the table of common ground,
// air and sea functions below knows them; the first unknown field ends the list.
func (t Type) FunctionNames() []string {
	var names []string
	path := t.Dimension
	for _, f := range t.Function {
		path += "-" + f
		n, ok := functionNames[path]
		if !ok {
			break
		}
		names = append(names, n)
	}
	return names
}

var atomNames = map[string]string{
	"a": "atom", "b": "bits", "c": "capability", "r": "reservation", "t": "tasking",
	"u": "drawing", "y": "reply",
}

var affiliationNames = map[string]string{
	"p": "pending", "u": "unknown", "a": "assumed friend", "f": "friend", "n": "neutral",
	"s": "suspect", "h": "hostile", "j": "joker", "k": "faker", "o": "none", ".": "any",
}

var dimensionNames = map[string]string{
	"P": "space", "A": "air", "G": "ground", "S": "sea surface", "U": "subsurface",
	"F": "special operations forces", "X": "other",
}

// functionNames holds the MIL-STD-2525B functions a monitor is likely to mark, keyed by
// dimension and path. It is deliberately small: an unknown function still parses, it only
// has no name.
var functionNames = map[string]string{
	"G-U": "unit", "G-U-C": "combat", "G-U-C-I": "infantry", "G-U-C-A": "armor",
	"G-U-C-F": "field artillery", "G-U-C-R": "reconnaissance", "G-U-C-E": "engineer",
	"G-U-C-D": "air defense", "G-U-C-V": "aviation", "G-U-S": "combat service support",
	"G-U-U": "combat support",
	"G-E":   "equipment", "G-E-V": "ground vehicle", "G-E-V-A": "armored vehicle",
	"G-E-V-A-T": "tank", "G-E-V-A-A": "armored personnel carrier", "G-E-V-C": "civilian vehicle",
	"G-E-V-U": "utility vehicle", "G-E-W": "weapon", "G-E-W-R": "rifle/automatic weapon",
	"G-E-W-H": "howitzer", "G-E-W-M": "missile launcher", "G-E-W-O": "mortar",
	"G-E-W-G": "grenade launcher", "G-E-W-A": "air defense gun", "G-E-W-D": "direct fire gun",
	"G-E-X": "special equipment", "G-E-X-M": "mine", "G-E-S": "sensor",
	"G-I": "installation", "G-I-M": "military infrastructure",
	"A-M": "military", "A-M-F": "fixed wing", "A-M-H": "rotary wing",
	"A-M-F-Q": "drone (UAV)", "A-M-H-Q": "drone (UAV)", "A-C": "civilian",
	"S-C": "combatant", "S-N": "non-combatant", "S-X": "non-military",
	"S-C-L": "line", "S-C-P": "patrol",
}

// MatchType reports whether code matches pattern in the way TAK filters types: fields are
// compared one by one, "." in the pattern matches any one field, and a pattern ending in
// "*" (as "a-h-G-E-V*" or "a-.-G-*") matches any code that begins with what comes before
// it. Otherwise the whole code must match.
func MatchType(pattern, code string) bool {
	prefix := strings.HasSuffix(pattern, "*")
	if prefix {
		pattern = strings.TrimRight(pattern[:len(pattern)-1], "-")
	}
	for pattern != "" {
		pf, prest, _ := strings.Cut(pattern, "-")
		if code == "" {
			return false
		}
		cf, crest, _ := strings.Cut(code, "-")
		if pf != "." && pf != cf {
			return false
		}
		pattern, code = prest, crest
	}
	return prefix || code == ""
}
