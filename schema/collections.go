package schema

import (
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// fastCollection wraps tolist or toset with a fast path for the common case: a tuple whose
// elements all have one type (toset([for k in ... : "..."])). go-cty's general conversion
// unifies the element types by sorting them, which costs seconds for 10,000 elements; a tuple
// of one element type needs no unification at all. Everything else goes to the wrapped
// function unchanged.
func fastCollection(set bool, general function.Function) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{
			Name: "v", Type: cty.DynamicPseudoType,
			AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true,
		}},
		Type: func(args []cty.Value) (cty.Type, error) {
			if ety, ok := uniformTuple(args[0]); ok {
				if set {
					return cty.Set(ety), nil
				}
				return cty.List(ety), nil
			}
			return general.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			v := args[0]
			if _, ok := uniformTuple(v); ok && v.IsKnown() {
				elems := v.AsValueSlice()
				if set {
					return cty.SetVal(elems), nil
				}
				return cty.ListVal(elems), nil
			}
			return general.Call(args)
		},
	})
}

// uniformTuple reports whether v is a non-empty tuple whose elements share one type that
// needs no further conversion, and returns that type.
func uniformTuple(v cty.Value) (cty.Type, bool) {
	ty := v.Type()
	if v.IsMarked() || v.IsNull() || !ty.IsTupleType() {
		return cty.NilType, false
	}
	elems := ty.TupleElementTypes()
	if len(elems) == 0 {
		return cty.NilType, false
	}
	first := elems[0]
	if !first.IsPrimitiveType() {
		return cty.NilType, false
	}
	for _, t := range elems[1:] {
		if t != first {
			return cty.NilType, false
		}
	}
	return first, true
}
