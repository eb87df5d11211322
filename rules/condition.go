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
	// Limit cost so that a pathological condition cannot stall the pipeline.
	return conditionEnv.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(10_000))
}

// activation exposes an observation to CEL without building a map per evaluation.
type activation struct {
	o     *truce.Observation
	attrs map[string]any
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
