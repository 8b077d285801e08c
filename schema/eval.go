package schema

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Eval evaluates every attribute of one instance. assets gives the values other blocks see,
// by kind then name: assets["image"]["hero"] is the block's whole value: for a block without
// count/for_each, the instance object; with count, a list of instance objects; with
// for_each, a map of instance objects by key. Values may be unknown. The caller passes (at
// least) the blocks in the asset's Refs.
//
// Eval is safe for concurrent use. Its cost does not depend on the size of the collections
// in assets: they are referenced, never copied.
func (c *Config) Eval(inst *Instance, assets map[string]map[string]cty.Value) (*Resolved, hcl.Diagnostics) {
	a := inst.Asset
	rec := &recorder{}
	ctx := c.instanceContext(inst, assets, rec)
	res := &Resolved{Attrs: make(map[string]cty.Value, len(a.Attrs))}
	var diags hcl.Diagnostics
	for _, name := range a.attrOrder {
		attr := a.Attrs[name]
		v, ds := attr.Expr.Value(ctx)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		v, ds = convertAttr(a.Kind, attr, v, ctx)
		diags = append(diags, ds...)
		if ds.HasErrors() || v.IsNull() {
			continue
		}
		if name == "path" && v.IsKnown() {
			p := v.AsString()
			if err := c.checkOutputPath(p); err != nil {
				detail := fmt.Sprintf("The %s %s.", inst.Addr, err)
				if fe := (*fixedError)(nil); !errors.As(err, &fe) {
					detail += " An asset's output is written inside the project folder: give a relative path such as \"out/hero.png\"."
				}
				diags = append(diags, exprError(attr.Expr, ctx, "Invalid output path", detail))
				continue
			}
			v = cty.StringVal(cleanRel(p))
		}
		res.Attrs[name] = v
	}
	for _, s := range a.Shots {
		d, ds := evalAs(s.Duration, ctx, cty.Number, "duration")
		diags = append(diags, ds...)
		if !ds.HasErrors() && d.IsKnown() && d.AsBigFloat().Sign() <= 0 {
			diags = append(diags, exprError(s.Duration, ctx, "Invalid shot duration",
				"A shot's duration is its length in seconds: a number above zero."))
		}
		sc, ds2 := evalAs(s.Scene, ctx, cty.String, "scene")
		diags = append(diags, ds2...)
		res.Shots = append(res.Shots, ResolvedShot{Duration: d, Scene: sc})
	}
	res.Files = rec.list()
	return res, c.Redact(diags)
}

// instanceContext is the evaluation context of one instance: each or count, the asset
// values given, and file functions that record what they read.
func (c *Config) instanceContext(inst *Instance, assets map[string]map[string]cty.Value, rec *recorder) *hcl.EvalContext {
	a := inst.Asset
	ctx := c.base.NewChild()
	vars := make(map[string]cty.Value, len(assets)+1)
	switch {
	case a.ForEach != nil:
		vars["each"] = cty.ObjectVal(map[string]cty.Value{"key": inst.Key, "value": inst.Each})
	case a.Count != nil:
		vars["count"] = cty.ObjectVal(map[string]cty.Value{"index": inst.Key})
	}
	addAssets(vars, assets)
	ctx.Variables = vars
	if rec != nil && a.readsFiles {
		ctx.Functions = c.fileFuncs(rec, true)
	}
	return ctx
}

func addAssets(vars map[string]cty.Value, assets map[string]map[string]cty.Value) {
	for kind, blocks := range assets {
		if len(blocks) > 0 {
			vars[kind] = cty.ObjectVal(blocks)
		}
	}
}

// EvalOutput evaluates an output block's value with the given asset values (same shape as
// in Eval).
func (c *Config) EvalOutput(o *Output, assets map[string]map[string]cty.Value) (cty.Value, hcl.Diagnostics) {
	ctx := c.base.NewChild()
	ctx.Variables = make(map[string]cty.Value, len(assets))
	addAssets(ctx.Variables, assets)
	v, diags := o.Value.Value(ctx)
	return v, c.Redact(diags)
}

// convertAttr converts an attribute's value to its declared type.
func convertAttr(kind string, attr *hcl.Attribute, v cty.Value, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	spec := attrSpecs[kind][attr.Name]
	if v.IsNull() {
		if spec.Required {
			return v, hcl.Diagnostics{exprError(attr.Expr, ctx, "Missing required argument",
				fmt.Sprintf("%s is required and must not be null.", attr.Name))}
		}
		return v, nil
	}
	if spec.Type == cty.DynamicPseudoType { // options
		ty := v.Type()
		if ty == cty.DynamicPseudoType || ty.IsObjectType() || ty.IsMapType() {
			return v, nil
		}
		return v, hcl.Diagnostics{exprError(attr.Expr, ctx, "Invalid options",
			fmt.Sprintf("options holds extra gateway fields as an object, such as options = { n = 1 }, not a %s.", ty.FriendlyName()))}
	}
	out, err := convert.Convert(v, spec.Type)
	if err != nil {
		return v, hcl.Diagnostics{exprError(attr.Expr, ctx, "Incorrect attribute value type",
			fmt.Sprintf("Inappropriate value for attribute %q: %s.", attr.Name, err))}
	}
	if spec.Whole && out.IsKnown() && !out.AsBigFloat().IsInt() {
		return out, hcl.Diagnostics{exprError(attr.Expr, ctx, "Invalid value",
			fmt.Sprintf("%s must be a whole number.", attr.Name))}
	}
	return out, nil
}

// evalAs evaluates a required expression of a given type.
func evalAs(expr hcl.Expression, ctx *hcl.EvalContext, ty cty.Type, name string) (cty.Value, hcl.Diagnostics) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return cty.UnknownVal(ty), diags
	}
	out, err := convert.Convert(v, ty)
	switch {
	case err != nil:
		return cty.UnknownVal(ty), hcl.Diagnostics{exprError(expr, ctx, "Incorrect attribute value type",
			fmt.Sprintf("Inappropriate value for attribute %q: %s.", name, err))}
	case out.IsNull():
		return cty.UnknownVal(ty), hcl.Diagnostics{exprError(expr, ctx, "Missing required argument",
			fmt.Sprintf("%s is required and must not be null.", name))}
	}
	return out, nil
}

func exprError(expr hcl.Expression, ctx *hcl.EvalContext, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity:    hcl.DiagError,
		Summary:     summary,
		Detail:      detail,
		Subject:     expr.Range().Ptr(),
		Expression:  expr,
		EvalContext: ctx,
	}
}
