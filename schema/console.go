package schema

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// EvalString parses and evaluates one expression the way genform console reads it: with the
// variables, locals, path and functions of the configuration, and the asset values given
// (kind -> name -> value). A reference to an undeclared asset is an unknown variable.
func (c *Config) EvalString(src, filename string, assets map[string]map[string]cty.Value) (cty.Value, hcl.Diagnostics) {
	expr, diags := hclsyntax.ParseExpression([]byte(src), filename, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	ctx := c.base.NewChild()
	ctx.Variables = make(map[string]cty.Value, len(assets))
	addAssets(ctx.Variables, assets)
	v, d := expr.Value(ctx)
	return v, append(diags, d...)
}
