package engine

import (
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Outputs evaluates the configuration's output blocks with the values recorded in the state.
// An instance that has no record yet is unknown, and so is an output that uses it.
func Outputs(cfg *schema.Config, st *state.File) (map[string]cty.Value, hcl.Diagnostics) {
	scope := StateScope(cfg, st)
	out := make(map[string]cty.Value, len(cfg.Outputs))
	var diags hcl.Diagnostics
	for _, o := range cfg.Outputs {
		v, d := cfg.EvalOutput(o, scope)
		diags = append(diags, d...)
		if !d.HasErrors() {
			out[o.Name] = v
		}
	}
	return out, diags
}

// JSONValue converts a cty value to a JSON value (string, int64, float64, bool, nil, []any,
// map[string]any); ok is false when part of it is not known.
func JSONValue(v cty.Value) (any, bool) { return jsonValue(v) }

// StateScope is every asset's value as the state records it, by kind and name, for
// evaluating expressions against configuration and state (genform console). An instance
// with no record is unknown.
func StateScope(cfg *schema.Config, st *state.File) map[string]map[string]cty.Value {
	b := newBlocks()
	refs := make([]schema.Ref, 0, len(cfg.Assets))
	for _, a := range cfg.Assets {
		b.declare(a)
		refs = append(refs, schema.Ref{Kind: a.Kind, Name: a.Name})
	}
	for _, si := range cfg.Instances {
		in := &instance{si: si}
		b.add(in)
		if rec := st.Records[si.Addr]; rec != nil {
			in.value = recordValue(si.Asset.Kind, recordPath(rec), rec)
		}
	}
	return b.scope(refs)
}
