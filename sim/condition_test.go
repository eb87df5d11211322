package sim

import (
	"reflect"
	"testing"
)

func TestConditionHintsProposeValuesOnBothSidesOfEachBound(t *testing.T) {
	tests := []struct {
		name string
		when string
		want []attrHint
	}{
		{"empty", "", nil},
		{"does not parse", "attrs.x >=", nil},
		{"equality and bound", "attrs.category == 'artillery' && attrs.caliber_mm >= 100",
			[]attrHint{{"category", []any{"artillery"}}, {"caliber_mm", []any{100.0, 151.0, 49.0}}}},
		{"literal on the left flips the bound", "300 < attrs.range_km",
			[]attrHint{{"range_km", []any{301.0, 299.0, 451.0, 149.0}}}},
		{"membership", "attrs.category in ['long_range', 'tactical_missile']",
			[]attrHint{{"category", []any{"long_range", "tactical_missile"}}}},
		{"index syntax and bool", "has(attrs.military) && attrs['military'] == true",
			[]attrHint{{"military", []any{true}}}},
		{"inequality proposes nothing", "!has(attrs.operator) || attrs.operator != 'mission'", nil},
		{"same key gathers values", "attrs.n == 1 || attrs.n == 2",
			[]attrHint{{"n", []any{1.0, 2.5, -0.5, 2.0, 4.0, 0.0}}}},
		{"inside a macro", "attrs.crews.exists(c, c == 'x') && attrs.size > 2",
			[]attrHint{{"size", []any{3.0, 1.0, 4.0, 0.0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := conditionHints(tt.when); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("conditionHints(%q) = %v, want %v", tt.when, got, tt.want)
			}
		})
	}
}
