package schema

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// maxInstances bounds one block's count, so a typo cannot allocate the machine away.
const maxInstances = 1_000_000

// expand evaluates every asset's count or for_each, once, and makes its instances.
func (c *Config) expand() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, a := range c.Assets {
		var ds hcl.Diagnostics
		switch {
		case a.Count != nil:
			ds = c.expandCount(a)
		case a.ForEach != nil:
			ds = c.expandForEach(a)
		default:
			a.Instances = []*Instance{{Asset: a, Key: cty.NilVal, Each: cty.NilVal, Addr: a.Addr()}}
		}
		diags = append(diags, ds...)
	}
	n := 0
	for _, a := range c.Assets {
		n += len(a.Instances)
	}
	c.Instances = make([]*Instance, 0, n)
	for _, a := range c.Assets {
		c.Instances = append(c.Instances, a.Instances...)
	}
	return diags
}

// expansionValue evaluates count or for_each, which may use variables, locals and functions
// but nothing that is known only once assets are generated.
func (c *Config) expansionValue(expr hcl.Expression, what string) (cty.Value, hcl.Diagnostics) {
	_, diags := c.walkExpr(expr, scope{what: what, locals: true,
		assetsWhy: fmt.Sprintf("%s must be known when genform plans, so it may use variables, locals and functions, "+
			"but not assets, whose values are known only once they are generated.", what)})
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return expr.Value(c.base)
}

func (c *Config) expandCount(a *Asset) hcl.Diagnostics {
	v, diags := c.expansionValue(a.Count, "count")
	if diags.HasErrors() {
		return diags
	}
	bad := func(detail string) hcl.Diagnostics {
		return append(diags, errorAt(a.Count.Range(), "Invalid count argument", detail))
	}
	v, err := convert.Convert(v, cty.Number)
	switch {
	case err != nil:
		return bad(fmt.Sprintf("count must be a whole number: %s.", err))
	case v.IsNull():
		return bad("count must be a whole number, not null.")
	case !v.IsKnown() && c.unsetUnknown:
		a.unknownKeys = true // validate without values: no instances to check
		return diags
	case !v.IsKnown():
		return bad("count must be known when genform plans.")
	}
	n, acc := v.AsBigFloat().Int64()
	if !v.AsBigFloat().IsInt() || acc != 0 || n < 0 || n > maxInstances {
		return bad(fmt.Sprintf("count must be a whole number from 0 to %d.", maxInstances))
	}
	a.count = int(n)
	insts := make([]Instance, n)
	a.Instances = make([]*Instance, n)
	for i := range insts {
		key := cty.NumberIntVal(int64(i))
		insts[i] = Instance{Asset: a, Key: key, Each: cty.NilVal, Addr: instanceAddr(a.Kind, a.Name, key)}
		a.Instances[i] = &insts[i]
	}
	return diags
}

func (c *Config) expandForEach(a *Asset) hcl.Diagnostics {
	v, diags := c.expansionValue(a.ForEach, "for_each")
	if diags.HasErrors() {
		return diags
	}
	bad := func(detail string) hcl.Diagnostics {
		return append(diags, errorAt(a.ForEach.Range(), "Invalid for_each argument", detail))
	}
	ty := v.Type()
	switch {
	case v.IsNull():
		return bad("for_each takes a map or a set of strings, not null.")
	case !v.IsWhollyKnown() && c.unsetUnknown:
		a.unknownKeys = true
		return diags
	case !v.IsWhollyKnown():
		return bad("for_each must be known when genform plans.")
	case ty.IsListType() || ty.IsTupleType():
		return bad(fmt.Sprintf("for_each takes a map or a set of strings, not a %s. "+
			"Convert a list of strings with toset(): for_each = toset([...]).", ty.FriendlyName()))
	case ty.IsSetType():
		if !ty.ElementType().Equals(cty.String) && v.LengthInt() > 0 {
			return bad(fmt.Sprintf("for_each over a set needs a set of strings, and this is a %s.", ty.FriendlyName()))
		}
	case !ty.IsMapType() && !ty.IsObjectType():
		return bad(fmt.Sprintf("for_each takes a map or a set of strings, not a %s.", ty.FriendlyName()))
	}
	n := v.LengthInt()
	if n > maxInstances {
		return bad(fmt.Sprintf("for_each may have at most %d elements.", maxInstances))
	}
	insts := make([]Instance, 0, n)
	a.keys = make(map[string]bool, n)
	isSet := ty.IsSetType()
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		if isSet {
			if ev.IsNull() {
				return bad("for_each's set holds a null; every element must be a string.")
			}
			k = ev
		}
		key := k.AsString()
		a.keys[key] = true
		insts = append(insts, Instance{Asset: a, Key: k, Each: ev, Addr: instanceAddr(a.Kind, a.Name, k)})
	}
	a.Instances = make([]*Instance, len(insts))
	for i := range insts {
		a.Instances[i] = &insts[i]
	}
	return diags
}
