package rules

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	truce "github.com/truce-project/truce"
)

// conditionEnv is the CEL environment a rule's `when` is compiled in. It sees the
// observation's kind, party and source as strings, its attributes as a map, and its time as a
// timestamp. A condition that reads an attribute the observation does not have is false (the
// evaluation error is counted, not raised): "attrs.caliber_mm >= 100" does not hold for a
// weapon of unknown calibre. Write has(attrs.x) to test for presence explicitly.
var conditionEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		cel.Variable("kind", cel.StringType),
		cel.Variable("party", cel.StringType),
		cel.Variable("source", cel.StringType),
		cel.Variable("attrs", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("time", cel.TimestampType),
	)
	if err != nil {
		panic(err) // the declarations above are fixed; failing here is a programming error
	}
	return env
}()

// compileCondition compiles expr, which must yield a bool.
func compileCondition(expr string) (cel.Program, error) {
	ast, iss := conditionEnv.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%s", strings.ReplaceAll(iss.Err().Error(), "\n", "\n    "))
	}
	if !ast.OutputType().IsExactType(types.BoolType) {
		return nil, fmt.Errorf("the condition yields %s, want a bool", ast.OutputType())
	}
	// Only a comprehension (the macros all, exists, exists_one, map, filter) can make a
	// condition's cost grow with the size of an observation's attributes, which come from
	// outside: such conditions get a cost limit, so that a pathological input cannot stall the
	// pipeline. The others run without one, since tracking cost costs more allocations than
	// the rest of the evaluation.
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if hasComprehension(expr) {
		opts = append(opts, cel.CostLimit(100_000))
	}
	return conditionEnv.Program(ast, opts...)
}

// hasComprehension reports whether expr may use one of CEL's comprehension macros. It errs on
// the side of yes: a string literal that merely contains ".all(" also counts.
func hasComprehension(expr string) bool {
	for _, m := range []string{".all(", ".exists(", ".exists_one(", ".map(", ".filter("} {
		if strings.Contains(expr, m) {
			return true
		}
	}
	return false
}

// activation exposes an observation to CEL without building a map per evaluation.
type activation struct {
	o *truce.Observation
}

var emptyAttrs = map[string]any{}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "kind":
		return a.o.Kind, true
	case "party":
		return a.o.Party, true
	case "source":
		return a.o.Source, true
	case "attrs":
		if a.o.Attrs == nil {
			return emptyAttrs, true
		}
		return a.o.Attrs, true
	case "time":
		return a.o.Time, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// holds evaluates prog for o. An evaluation error (a missing attribute, a type mismatch) counts
// as the condition not holding.
func holds(prog cel.Program, o *truce.Observation) (bool, error) {
	out, _, err := prog.Eval(&activation{o: o})
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	return ok && b, nil
}
