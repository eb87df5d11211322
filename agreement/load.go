// Package agreement loads a ceasefire agreement from a folder: agreement.yaml, which names the
// parties, lines, zones, rules and windows, plus the GeoJSON files it refers to. Loading
// validates everything it can without building the spatial index (package geo checks the
// geometry itself, and package rules the CEL conditions) and reports every problem with its
// file, line and field. The agreement's content hash covers every file it was loaded from.
package agreement

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	truce "github.com/truce-project/truce"
)

// FileName is the name of the agreement's main file inside its folder.
const FileName = "agreement.yaml"

// maxFileSize bounds what the loader reads of any one file, so a wrong path to a huge file
// fails clearly instead of exhausting memory.
const maxFileSize = 64 << 20

const nauticalMileKm = 1.852

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Load reads and validates the agreement folder dir. On failure the error is an Errors listing
// every problem found.
func Load(dir string) (*truce.Agreement, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, Errors{{File: dir, Message: "cannot read the agreement folder: " + errors.Unwrap(err).Error()}}
	} else if !st.IsDir() {
		return nil, Errors{{File: dir, Message: "is not a folder; an agreement is a folder holding " + FileName}}
	}
	return LoadFS(os.DirFS(dir))
}

// LoadFS is Load on a file system whose root is the agreement folder.
func LoadFS(fsys fs.FS) (*truce.Agreement, error) {
	l := &loader{fsys: fsys, files: map[string][]byte{}, geo: map[string]*geoFile{}}
	a := l.load()
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	a.Hash = l.hash()
	return a, nil
}

type loader struct {
	fsys  fs.FS
	errs  Errors
	files map[string][]byte   // every file read, by clean path, for the content hash
	geo   map[string]*geoFile // parsed GeoJSON by clean path; nil entry when it failed
	// ids of each namespace, with the line that defined them.
	parties, lines, zones, rules map[string]int
}

func (l *loader) problems(file string) problems { return problems{list: &l.errs, file: file} }

func (l *loader) read(name string) ([]byte, error) {
	f, err := l.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errors.New("is a folder, not a file")
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("is %d bytes, more than the %d an agreement file may have", st.Size(), maxFileSize)
	}
	data := make([]byte, st.Size())
	n, err := readFull(f, data)
	if err != nil {
		return nil, err
	}
	l.files[name] = data[:n]
	return data[:n], nil
}

func readFull(f fs.File, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			if n == len(buf) || err.Error() == "EOF" {
				return n, nil
			}
			return n, err
		}
	}
	return n, nil
}

func (l *loader) load() *truce.Agreement {
	p := l.problems(FileName)
	data, err := l.read(FileName)
	if err != nil {
		p.at(0, "cannot read: %v", pathErrorText(err))
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlErrorLine(err)
		p.at(line, "not valid YAML: %s", msg)
		return nil
	}
	if len(doc.Content) == 0 {
		p.at(1, "the file is empty")
		return nil
	}
	top := newObject(p, doc.Content[0], "agreement", "id", "title", "description", "timezone", "parties", "lines", "zones", "rules", "windows")
	if top == nil {
		return nil
	}
	a := &truce.Agreement{
		ID:       top.str("id", true),
		Title:    top.str("title", true),
		Timezone: top.str("timezone", false),
	}
	if a.ID != "" && !idPattern.MatchString(a.ID) {
		p.at(top.line("id"), "agreement: id %q: use letters, digits, '.', '_' and '-'", a.ID)
	}
	if a.Timezone != "" {
		if _, err := time.LoadLocation(a.Timezone); err != nil {
			p.at(top.line("timezone"), "agreement: timezone %q is not a known IANA time zone", a.Timezone)
		}
	}
	l.parties, l.lines, l.zones, l.rules = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, n := range top.list("parties") {
		if pt, ok := l.party(p, n); ok {
			a.Parties = append(a.Parties, pt)
		}
	}
	if len(a.Parties) < 2 {
		p.at(top.line("parties"), "agreement: at least two parties are required")
	}
	for _, n := range top.list("lines") {
		if ln, ok := l.line(p, n); ok {
			a.Lines = append(a.Lines, ln)
		}
	}
	for _, n := range top.list("zones") {
		if z, ok := l.zone(p, n); ok {
			a.Zones = append(a.Zones, z)
		}
	}
	for _, n := range top.list("rules") {
		if r, ok := l.rule(p, n); ok {
			a.Rules = append(a.Rules, r)
		}
	}
	if len(a.Rules) == 0 {
		p.at(top.line("rules"), "agreement: no rules; an agreement needs at least one rule to judge observations against")
	}
	windowIDs := map[string]int{}
	for _, n := range top.list("windows") {
		if w, ok := l.window(p, n, windowIDs); ok {
			a.Windows = append(a.Windows, w)
		}
	}
	l.checkReferences(p, a)
	return a
}

// define records id in namespace ns, reporting a bad or repeated id.
func define(p problems, ns map[string]int, what, id string, line int) bool {
	if id == "" {
		return false
	}
	if !idPattern.MatchString(id) {
		p.at(line, "%s %q: the id may hold only letters, digits, '.', '_' and '-'", what, id)
		return false
	}
	if first, dup := ns[id]; dup {
		p.at(line, "%s %q is defined twice (first at line %d)", what, id, first)
		return false
	}
	ns[id] = line
	return true
}

func (l *loader) party(p problems, n *yaml.Node) (truce.Party, bool) {
	o := newObject(p, n, "party", "id", "name")
	if o == nil {
		return truce.Party{}, false
	}
	pt := truce.Party{ID: o.str("id", true), Name: o.str("name", false)}
	o.what = fmt.Sprintf("party %q", pt.ID)
	if pt.Name == "" {
		pt.Name = pt.ID
	}
	if pt.ID == truce.PartyUndetermined || pt.ID == "mission" {
		p.at(o.line("id"), "party %q: the id %q is reserved", pt.ID, pt.ID)
		return pt, false
	}
	return pt, define(p, l.parties, "party", pt.ID, o.line("id"))
}

func (l *loader) line(p problems, n *yaml.Node) (truce.Line, bool) {
	o := newObject(p, n, "line", "id", "name", "file", "feature", "left", "right")
	if o == nil {
		return truce.Line{}, false
	}
	ln := truce.Line{ID: o.str("id", true), Name: o.str("name", false), File: o.str("file", true),
		Left: o.str("left", false), Right: o.str("right", false), Where: fmt.Sprintf("%s:%d", FileName, n.Line)}
	o.what = fmt.Sprintf("line %q", ln.ID)
	if ln.Name == "" {
		ln.Name = ln.ID
	}
	ok := define(p, l.lines, "line", ln.ID, o.line("id"))
	if ln.Left != "" && ln.Left == ln.Right {
		p.at(o.line("right"), "%s: left and right are both %q; a line separates two parties", o.what, ln.Left)
	}
	if ln.File == "" {
		return ln, false
	}
	features, err := l.features(p, o, ln.File, o.str("feature", false))
	if err != nil {
		return ln, false
	}
	path, err := lineString(features)
	if err != nil {
		p.at(o.line("file"), "%s: %s: %v", o.what, ln.File, err)
		return ln, false
	}
	ln.Path = path
	return ln, ok
}

// features reads the GeoJSON file named at o's "file" field and selects from it.
func (l *loader) features(p problems, o *object, file, selector string) ([]*geojsonFeature, error) {
	name := path.Clean(file)
	if path.IsAbs(file) || strings.HasPrefix(name, "../") || name == ".." {
		p.at(o.line("file"), "%s: file %q must be a relative path inside the agreement folder", o.what, file)
		return nil, errReported
	}
	g, seen := l.geo[name]
	if !seen {
		data, err := l.read(name)
		if err != nil {
			p.at(o.line("file"), "%s: file %q: %v", o.what, file, pathErrorText(err))
			l.geo[name] = nil
			return nil, errReported
		}
		g = parseGeoJSON(l.problems(name), data)
		l.geo[name] = g
	}
	if g == nil {
		return nil, errReported
	}
	selected, err := g.selectFeatures(selector)
	if err != nil {
		p.at(o.line("feature"), "%s: %s: %v", o.what, file, err)
		return nil, errReported
	}
	return selected, nil
}

// errReported says a problem was already added to the list.
var errReported = errors.New("reported")

func (l *loader) zone(p problems, n *yaml.Node) (truce.Zone, bool) {
	o := newObject(p, n, "zone", "id", "name", "kind", "party", "file", "feature", "band", "circle")
	if o == nil {
		return truce.Zone{}, false
	}
	z := truce.Zone{ID: o.str("id", true), Name: o.str("name", false), Kind: o.str("kind", true),
		Party: o.str("party", false), Where: fmt.Sprintf("%s:%d", FileName, n.Line)}
	o.what = fmt.Sprintf("zone %q", z.ID)
	if z.Name == "" {
		z.Name = z.ID
	}
	ok := define(p, l.zones, "zone", z.ID, o.line("id"))
	if z.Kind != "" && !slices.Contains(truce.ZoneKinds, z.Kind) {
		p.at(o.line("kind"), "%s: kind %q is not one of %s", o.what, z.Kind, strings.Join(truce.ZoneKinds, ", "))
		ok = false
	}
	shapes := 0
	for _, k := range []string{"file", "band", "circle"} {
		if o.has(k) {
			shapes++
		}
	}
	if shapes != 1 {
		p.at(n.Line, "%s: give exactly one of file, band or circle (got %d)", o.what, shapes)
		return z, false
	}
	switch {
	case o.has("file"):
		z.File = o.str("file", true)
		features, err := l.features(p, o, z.File, o.str("feature", false))
		if err != nil {
			return z, false
		}
		mp, err := multiPolygon(features)
		if err != nil {
			p.at(o.line("file"), "%s: %s: %v", o.what, z.File, err)
			return z, false
		}
		z.Area = mp
	case o.has("band"):
		b := newObject(p, o.values["band"], o.what+": band", "line", "km", "nm", "side")
		if b == nil {
			return z, false
		}
		z.Band = &truce.Band{Line: b.str("line", true), Side: b.str("side", false)}
		if z.Band.Side == "" {
			z.Band.Side = truce.SideBoth
		}
		if !slices.Contains([]string{truce.SideLeft, truce.SideRight, truce.SideBoth}, z.Band.Side) {
			p.at(b.line("side"), "%s: side %q is not left, right or both", b.what, z.Band.Side)
			ok = false
		}
		km, okd := distance(b, "km", "nm")
		z.Band.Km = km
		ok = ok && okd
	case o.has("circle"):
		c, okc := circle(p, o.values["circle"], o.what+": circle")
		z.Circle = c
		ok = ok && okc
	}
	return z, ok
}

// distance reads a positive distance given in kilometres (kmKey) or nautical miles (nmKey),
// returned in kilometres.
func distance(o *object, kmKey, nmKey string) (float64, bool) {
	km, hasKm := o.num(kmKey)
	nm, hasNm := o.num(nmKey)
	switch {
	case o.has(kmKey) && o.has(nmKey):
		o.p.at(o.line(nmKey), "%s: give %s or %s, not both", o.what, kmKey, nmKey)
		return 0, false
	case hasNm:
		km = nm * nauticalMileKm
	case !hasKm:
		if !o.has(kmKey) && !o.has(nmKey) {
			o.p.at(o.node.Line, "%s: field %q (or %q) is required", o.what, kmKey, nmKey)
		}
		return 0, false
	}
	key := kmKey
	if hasNm {
		key = nmKey
	}
	if km <= 0 || km > 20000 {
		o.p.at(o.line(key), "%s: %s must be more than 0 and less than half the Earth's circumference", o.what, key)
		return 0, false
	}
	return km, true
}

func circle(p problems, n *yaml.Node, what string) (*truce.Circle, bool) {
	c := newObject(p, n, what, "center", "radius_km", "radius_nm")
	if c == nil {
		return nil, false
	}
	center, okc := c.point("center")
	r, okr := distance(c, "radius_km", "radius_nm")
	return &truce.Circle{Center: center, RadiusKm: r}, okc && okr
}

func (l *loader) rule(p problems, n *yaml.Node) (truce.Rule, bool) {
	o := newObject(p, n, "rule", "id", "article", "title", "kinds", "zones", "line", "when", "severity", "attribution")
	if o == nil {
		return truce.Rule{}, false
	}
	r := truce.Rule{ID: o.str("id", true), Article: o.str("article", true), Title: o.str("title", false),
		When: o.str("when", false), Severity: o.str("severity", false), Attribution: o.str("attribution", false),
		Where: fmt.Sprintf("%s:%d", FileName, n.Line)}
	o.what = fmt.Sprintf("rule %q", r.ID)
	ok := define(p, l.rules, "rule", r.ID, o.line("id"))
	r.Kinds = o.strs("kinds", true)
	for _, k := range r.Kinds {
		if !truce.IsKindPattern(k) {
			p.at(o.line("kinds"), "%s: kind %q is not in the taxonomy (%s, or a family such as fire.*)", o.what, k, strings.Join(truce.Kinds, ", "))
			ok = false
		}
	}
	r.Zones = o.strs("zones", false)
	if r.Severity == "" {
		r.Severity = "major"
	}
	if !slices.Contains(truce.Severities, r.Severity) {
		p.at(o.line("severity"), "%s: severity %q is not one of %s", o.what, r.Severity, strings.Join(truce.Severities, ", "))
		ok = false
	}
	if r.Attribution == "" {
		r.Attribution = truce.AttributeParty
	}
	if !slices.Contains([]string{truce.AttributeParty, truce.AttributeSide, truce.AttributeOrigin, truce.AttributeNone}, r.Attribution) {
		p.at(o.line("attribution"), "%s: attribution %q is not party, side, origin or none", o.what, r.Attribution)
		ok = false
	}
	if o.has("line") {
		lc := newObject(p, o.values["line"], o.what+": line", "line", "within_km", "within_nm", "beyond_km", "beyond_nm", "side")
		if lc == nil {
			return r, false
		}
		r.Line = &truce.LineCondition{Line: lc.str("line", true), Side: lc.str("side", false)}
		if lc.has("within_km") || lc.has("within_nm") {
			km, okd := distance(lc, "within_km", "within_nm")
			r.Line.WithinKm, ok = km, ok && okd
		}
		if lc.has("beyond_km") || lc.has("beyond_nm") {
			km, okd := distance(lc, "beyond_km", "beyond_nm")
			r.Line.BeyondKm, ok = km, ok && okd
		}
		if r.Line.Side != "" && r.Line.Side != truce.SideLeft && r.Line.Side != truce.SideRight {
			p.at(lc.line("side"), "%s: side %q is not left or right", lc.what, r.Line.Side)
			ok = false
		}
		if r.Line.WithinKm > 0 && r.Line.BeyondKm >= r.Line.WithinKm {
			p.at(lc.line("beyond_km"), "%s: beyond (%.3g km) must be less than within (%.3g km), or no point can match", lc.what, r.Line.BeyondKm, r.Line.WithinKm)
			ok = false
		}
	}
	return r, ok
}

func (l *loader) window(p problems, n *yaml.Node, ids map[string]int) (truce.Window, bool) {
	o := newObject(p, n, "window", "id", "title", "rules", "start", "end", "zones", "circle")
	if o == nil {
		return truce.Window{}, false
	}
	w := truce.Window{ID: o.str("id", true), Title: o.str("title", false), Where: fmt.Sprintf("%s:%d", FileName, n.Line)}
	o.what = fmt.Sprintf("window %q", w.ID)
	ok := define(p, ids, "window", w.ID, o.line("id"))
	w.Rules = o.strs("rules", false)
	w.Zones = o.strs("zones", false)
	w.Start = o.time("start", true)
	w.End = o.time("end", true)
	if !w.Start.IsZero() && !w.End.IsZero() && !w.End.After(w.Start) {
		p.at(o.line("end"), "%s: end %s is not after start %s", o.what, w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
		ok = false
	}
	if o.has("circle") {
		c, okc := circle(p, o.values["circle"], o.what+": circle")
		w.Circle, ok = c, ok && okc
	}
	return w, ok
}

// checkReferences reports ids that name no party, line, zone or rule. It runs after every
// element is read, so that order in the file does not matter.
func (l *loader) checkReferences(p problems, a *truce.Agreement) {
	ref := func(ns map[string]int, what, id, from string, where string) {
		if _, ok := ns[id]; !ok && id != "" {
			p.at(whereLine(where), "%s: %s %q is not defined", from, what, id)
		}
	}
	for _, ln := range a.Lines {
		ref(l.parties, "party", ln.Left, fmt.Sprintf("line %q: left", ln.ID), ln.Where)
		ref(l.parties, "party", ln.Right, fmt.Sprintf("line %q: right", ln.ID), ln.Where)
	}
	for _, z := range a.Zones {
		ref(l.parties, "party", z.Party, fmt.Sprintf("zone %q", z.ID), z.Where)
		if z.Band != nil {
			ref(l.lines, "line", z.Band.Line, fmt.Sprintf("zone %q: band", z.ID), z.Where)
		}
	}
	for _, r := range a.Rules {
		for _, z := range r.Zones {
			ref(l.zones, "zone", z, fmt.Sprintf("rule %q", r.ID), r.Where)
		}
		if r.Line != nil {
			ref(l.lines, "line", r.Line.Line, fmt.Sprintf("rule %q: line", r.ID), r.Where)
		}
		if r.Attribution == truce.AttributeSide || r.Attribution == truce.AttributeOrigin {
			if !l.sidesKnowable(a) {
				p.at(whereLine(r.Where), "rule %q: attribution %q needs a line with left and right parties, or territory zones with a party", r.ID, r.Attribution)
			}
		}
	}
	for _, w := range a.Windows {
		for _, r := range w.Rules {
			ref(l.rules, "rule", r, fmt.Sprintf("window %q", w.ID), w.Where)
		}
		for _, z := range w.Zones {
			ref(l.zones, "zone", z, fmt.Sprintf("window %q", w.ID), w.Where)
		}
	}
}

// whereLine is the line number of a "file:line" Where field.
func whereLine(where string) int {
	n, _ := strconv.Atoi(where[strings.LastIndexByte(where, ':')+1:])
	return n
}

// sidesKnowable reports whether the agreement gives any way to tell whose side a place is on.
func (l *loader) sidesKnowable(a *truce.Agreement) bool {
	for _, ln := range a.Lines {
		if ln.Left != "" && ln.Right != "" {
			return true
		}
	}
	for _, z := range a.Zones {
		if z.Kind == truce.ZoneTerritory && z.Party != "" {
			return true
		}
	}
	return false
}

// hash is the SHA-256 of every file read, in path order, each as its path, a NUL, its length
// in decimal, a NUL and its bytes: a change to any file, or to which files are used, changes it.
func (l *loader) hash() string {
	names := make([]string, 0, len(l.files))
	for n := range l.files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(l.files[n]))
		h.Write(l.files[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, m[2]
	}
	return 0, msg
}

func pathErrorText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(err, fs.ErrNotExist) {
			return "no such file"
		}
		return pe.Err.Error()
	}
	return err.Error()
}
