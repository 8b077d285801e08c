package schema

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// inputFileAttrs are the attributes that name input files.
var inputFileAttrs = []string{"references", "mask", "reference"}

// Validate runs the checks that need evaluated values, by evaluating every instance and
// output with every asset value unknown: types, output paths (inside the project, one
// instance per path) and input files (they exist, or another asset writes them). Load does
// not call it. Identical diagnostics from many instances of one block are reported once.
func (c *Config) Validate() hcl.Diagnostics {
	unknown := make(map[*Asset]cty.Value, len(c.Assets))
	for _, a := range c.Assets {
		unknown[a] = unknownBlock(a)
	}
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	add := func(ds hcl.Diagnostics) {
		for _, d := range ds {
			k := fmt.Sprintf("%d|%s|%s|%v", d.Severity, d.Summary, d.Detail, d.Subject)
			if !seen[k] {
				seen[k] = true
				diags = append(diags, d)
			}
		}
	}

	outputs := map[string]written{} // cleaned path -> the first instance writing it
	resolved := make([]*Resolved, len(c.Instances))
	dupPairs := map[[2]*Asset]bool{}
	i := 0
	for _, a := range c.Assets {
		assets := c.scopeOf(a.Refs, unknown)
		for _, inst := range a.Instances {
			res, ds := c.Eval(inst, assets)
			add(ds)
			resolved[i] = res
			i++
			p, ok := res.Attrs["path"]
			if !ok || !p.IsKnown() {
				continue
			}
			rng := a.Attrs["path"].Expr.Range()
			prev, dup := outputs[p.AsString()]
			if !dup {
				outputs[p.AsString()] = written{inst, rng}
				continue
			}
			pair := [2]*Asset{prev.inst.Asset, a}
			if dupPairs[pair] {
				continue
			}
			dupPairs[pair] = true
			add(hcl.Diagnostics{DuplicateOutputPath(prev.inst, inst, p.AsString())})
		}
	}

	for i, inst := range c.Instances {
		res := resolved[i]
		for _, name := range inputFileAttrs {
			v, ok := res.Attrs[name]
			if !ok || !v.IsKnown() {
				continue
			}
			var paths []cty.Value
			if v.Type().IsListType() {
				paths = v.AsValueSlice()
			} else {
				paths = []cty.Value{v}
			}
			for _, p := range paths {
				if !p.IsKnown() || p.IsNull() {
					continue
				}
				add(c.checkInputFile(inst, name, p.AsString(), outputs))
			}
		}
	}

	for _, o := range c.Outputs {
		_, ds := c.EvalOutput(o, c.scopeOf(o.Refs, unknown))
		add(ds)
	}
	return diags
}

// DuplicateOutputPath is the error of two instances that write the same (cleaned) output
// path; validate, plan and apply all give this one.
func DuplicateOutputPath(first, second *Instance, path string) *hcl.Diagnostic {
	prev, rng := first.Asset.Attrs["path"].Expr.Range(), second.Asset.Attrs["path"].Expr.Range()
	return errorAt(rng, "Duplicate output path",
		fmt.Sprintf("%s (%s) and %s (%s) both write %q. Every instance needs a path of its own; "+
			"with count or for_each, put count.index or each.key in the path.",
			first.Addr, at(prev), second.Addr, at(rng), path))
}

// written is the first instance that writes an output path, and where its path is set.
type written struct {
	inst *Instance
	rng  hcl.Range
}

// checkInputFile checks one input file: inside the project, and present or written by an
// asset.
func (c *Config) checkInputFile(inst *Instance, attr, p string, outputs map[string]written) hcl.Diagnostics {
	rng := inst.Asset.Attrs[attr].Expr.Range()
	ok, _, err := c.fileExists(p)
	if err != nil {
		return hcl.Diagnostics{errorAt(rng, "Invalid input file",
			fmt.Sprintf("%s reads %s: %s. Input files are read from inside the project folder.", inst.Addr, attr, err))}
	}
	if ok {
		return nil
	}
	if _, ok := outputs[cleanRel(p)]; ok {
		return nil
	}
	return hcl.Diagnostics{errorAt(rng, "Missing input file",
		fmt.Sprintf("%s of %s is %q, which does not exist in the project folder and is not the path of any asset. "+
			"Add the file, or fix the path.", attr, inst.Addr, p))}
}

// unknownBlock is a block's value with every instance unknown, shaped as Eval expects.
func unknownBlock(a *Asset) cty.Value {
	ty := InstanceType(a.Kind)
	switch {
	case a.Count != nil:
		if len(a.Instances) == 0 {
			return cty.ListValEmpty(ty)
		}
		vals := make([]cty.Value, len(a.Instances))
		for i := range vals {
			vals[i] = cty.UnknownVal(ty)
		}
		return cty.ListVal(vals)
	case a.ForEach != nil:
		if len(a.Instances) == 0 {
			return cty.MapValEmpty(ty)
		}
		vals := make(map[string]cty.Value, len(a.Instances))
		for _, inst := range a.Instances {
			vals[inst.Key.AsString()] = cty.UnknownVal(ty)
		}
		return cty.MapVal(vals)
	}
	return cty.UnknownVal(ty)
}

// scopeOf builds the assets argument of Eval for the blocks refs name.
func (c *Config) scopeOf(refs []Ref, values map[*Asset]cty.Value) map[string]map[string]cty.Value {
	out := map[string]map[string]cty.Value{}
	for _, r := range refs {
		if out[r.Kind] == nil {
			out[r.Kind] = map[string]cty.Value{}
		}
		out[r.Kind][r.Name] = values[c.assets[r.Kind+"."+r.Name]]
	}
	return out
}
