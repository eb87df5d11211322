package sim

import (
	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
)

// attrHint is an attribute a rule's `when` condition reads, with values that may make the
// condition hold.
type attrHint struct {
	key    string
	values []any
}

// parseEnv only parses conditions; the judge compiles and type-checks them.
var parseEnv, _ = cel.NewEnv()

// conditionHints reads a rule's `when` expression for the attributes it compares with
// literals (attrs.x == 'v', attrs.x >= 100, 100 < attrs.x, attrs.x in ['a', 'b']) and
// proposes values on both sides of every bound, so that the injector can meet conditions its
// own repertoire of attributes does not. The proposals are only candidates: the judge decides
// whether the condition holds. Inequalities and has() propose nothing, since the value that
// would meet them (anything but 'mission', any value at all) would be invented and read oddly
// in the output. An expression that does not parse gives no hints.
func conditionHints(expr string) []attrHint {
	if expr == "" {
		return nil
	}
	ast, iss := parseEnv.Parse(expr)
	if iss.Err() != nil {
		return nil
	}
	var hints []attrHint
	add := func(key string, values ...any) {
		for i := range hints {
			if hints[i].key == key {
				hints[i].values = append(hints[i].values, values...)
				return
			}
		}
		hints = append(hints, attrHint{key: key, values: values})
	}
	var walk func(e celast.Expr)
	walk = func(e celast.Expr) {
		switch e.Kind() {
		case celast.SelectKind:
			walk(e.AsSelect().Operand())
		case celast.CallKind:
			call := e.AsCall()
			args := call.Args()
			if len(args) == 2 {
				proposeFromCall(call.FunctionName(), args[0], args[1], add)
			}
			if call.IsMemberFunction() {
				walk(call.Target())
			}
			for _, a := range args {
				walk(a)
			}
		case celast.ListKind:
			for _, el := range e.AsList().Elements() {
				walk(el)
			}
		case celast.ComprehensionKind:
			c := e.AsComprehension()
			walk(c.IterRange())
			walk(c.LoopStep())
			walk(c.Result())
		}
	}
	walk(ast.NativeRep().Expr())
	return hints
}

// proposeFromCall adds values for a comparison of an attribute with a literal, either way
// round, or for membership of an attribute in a list of literals.
func proposeFromCall(fn string, a, b celast.Expr, add func(string, ...any)) {
	if fn == "@in" {
		if key, ok := attrKey(a); ok && b.Kind() == celast.ListKind {
			for _, el := range b.AsList().Elements() {
				if v, ok := literal(el); ok {
					add(key, v)
				}
			}
		}
		return
	}
	key, ok := attrKey(a)
	lit, litOK := literal(b)
	if !ok {
		// literal OP attrs.x: flip the comparison so the attribute is on the left.
		key, ok = attrKey(b)
		lit, litOK = literal(a)
		fn = map[string]string{"_<_": "_>_", "_>_": "_<_", "_<=_": "_>=_", "_>=_": "_<=_"}[fn]
	}
	if !ok || !litOK {
		return
	}
	switch v := lit.(type) {
	case float64:
		switch fn {
		case "_==_", "_<=_", "_>=_":
			add(key, v, v*1.5+1, v/2-1)
		case "_<_", "_>_":
			add(key, v+1, v-1, v*1.5+1, v/2-1)
		}
	case string, bool:
		if fn == "_==_" {
			add(key, v)
		}
	}
}

// attrKey recognises attrs.x and attrs['x'].
func attrKey(e celast.Expr) (string, bool) {
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		if op := sel.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == "attrs" {
			return sel.FieldName(), true
		}
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() == "_[_]" && len(call.Args()) == 2 {
			op, idx := call.Args()[0], call.Args()[1]
			if op.Kind() == celast.IdentKind && op.AsIdent() == "attrs" {
				if k, ok := literal(idx); ok {
					if s, ok := k.(string); ok {
						return s, true
					}
				}
			}
		}
	}
	return "", false
}

// literal returns the value of a literal as the JSON value an attribute would hold: numbers
// as float64, strings and bools as themselves.
func literal(e celast.Expr) (any, bool) {
	if e.Kind() != celast.LiteralKind {
		return nil, false
	}
	switch v := e.AsLiteral().(type) {
	case types.String:
		return string(v), true
	case types.Int:
		return float64(v), true
	case types.Uint:
		return float64(v), true
	case types.Double:
		return float64(v), true
	case types.Bool:
		return bool(v), true
	}
	return nil, false
}
