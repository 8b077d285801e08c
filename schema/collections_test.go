package schema

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

func TestFastCollection(t *testing.T) {
	toset := fastCollection(true, stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)))
	tolist := fastCollection(false, stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)))
	for _, tc := range []struct {
		name string
		in   cty.Value
	}{
		{"uniform strings", cty.TupleVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a"), cty.StringVal("b")})},
		{"mixed: string and number unify to string", cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1)})},
		{"with an unknown element", cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.UnknownVal(cty.String)})},
		{"empty tuple", cty.EmptyTupleVal},
		{"already a list", cty.ListVal([]cty.Value{cty.StringVal("x")})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, pair := range []struct{ fast, general string }{{"toset", "set"}, {"tolist", "list"}} {
				fn, ty := toset, cty.Set(cty.DynamicPseudoType)
				if pair.fast == "tolist" {
					fn, ty = tolist, cty.List(cty.DynamicPseudoType)
				}
				got, err := fn.Call([]cty.Value{tc.in})
				if err != nil {
					t.Fatalf("%s: %v", pair.fast, err)
				}
				want, err := stdlib.MakeToFunc(ty).Call([]cty.Value{tc.in})
				if err != nil {
					t.Fatalf("stdlib %s: %v", pair.general, err)
				}
				if !got.RawEquals(want) {
					t.Errorf("%s(%#v) = %#v, stdlib gives %#v", pair.fast, tc.in, got, want)
				}
			}
		})
	}
}

func BenchmarkTosetTenThousand(b *testing.B) {
	elems := make([]cty.Value, 10000)
	for i := range elems {
		elems[i] = cty.StringVal(string(rune('a'+i%26)) + cty.NumberIntVal(int64(i)).AsBigFloat().String())
	}
	in := cty.TupleVal(elems)
	toset := fastCollection(true, stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)))
	for i := 0; i < b.N; i++ {
		if _, err := toset.Call([]cty.Value{in}); err != nil {
			b.Fatal(err)
		}
	}
}
