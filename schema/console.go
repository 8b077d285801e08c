package schema

import (
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// sensitiveMark marks, in genform console, a value that comes from a sensitive variable or a
// credential in the environment; cty's functions and HCL's templates carry it into whatever
// is computed from the value.
type sensitiveMark struct{}

// credentialEnv matches the names of environment variables that hold credentials: console's
// env() of them is sensitive.
var credentialEnv = regexp.MustCompile(`(?i)(KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL)|^GENFORM_PG$`)

// EvalString parses and evaluates one expression the way genform console reads it: with the
// variables, locals, path and functions of the configuration, and the asset values given
// (kind -> name -> value). A reference to an undeclared asset is an unknown variable. A value
// that holds anything of a sensitive variable, or of env() of a credential, is marked: the
// console shows it as (sensitive value), as Terraform's does.
func (c *Config) EvalString(src, filename string, assets map[string]map[string]cty.Value) (cty.Value, hcl.Diagnostics) {
	expr, diags := hclsyntax.ParseExpression([]byte(src), filename, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	// the references are checked as the configuration's are: an undeclared asset, variable or
	// local is named, with a suggestion, instead of HCL's "This object does not have an
	// attribute"
	if _, ds := c.walkExpr(expr, scope{what: "the console", assets: true, locals: true}); ds.HasErrors() {
		return cty.NilVal, append(diags, ds...)
	}
	ctx := c.base.NewChild()
	ctx.Variables = make(map[string]cty.Value, len(assets)+1)
	addAssets(ctx.Variables, assets)
	vars := make(map[string]cty.Value, len(c.Vars))
	for name, v := range c.Vars {
		if d := c.Variables[name]; d != nil && d.Sensitive {
			v = v.Mark(sensitiveMark{})
		}
		vars[name] = v
	}
	ctx.Variables["var"] = cty.ObjectVal(vars)
	locals := make(map[string]cty.Value, len(c.Locals))
	for name, v := range c.Locals {
		if c.secretLocals[name] {
			v = v.Mark(sensitiveMark{})
		}
		locals[name] = v
	}
	ctx.Variables["local"] = cty.ObjectVal(locals)
	env := c.envFunc()
	ctx.Functions = map[string]function.Function{"env": function.New(&function.Spec{
		Params: []function.Parameter{{Name: "name", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, err := env.Call(args)
			if err == nil && credentialEnv.MatchString(args[0].AsString()) {
				v = v.Mark(sensitiveMark{})
			}
			return v, err
		},
	})}
	v, d := expr.Value(ctx)
	return v, c.Redact(append(diags, d...))
}

// isSecret tells whether a local's expression, whose references are w, reads a sensitive
// variable, a local read from one, or env() of a credential named by a literal.
func (c *Config) isSecret(expr hcl.Expression, w walked) bool {
	for _, name := range w.vars {
		if d := c.Variables[name]; d != nil && d.Sensitive {
			return true
		}
	}
	for _, name := range w.locals {
		if c.secretLocals[name] {
			return true
		}
	}
	syn, ok := expr.(hclsyntax.Node)
	if !ok {
		return false
	}
	found := false
	_ = hclsyntax.VisitAll(syn, func(n hclsyntax.Node) hcl.Diagnostics {
		call, ok := n.(*hclsyntax.FunctionCallExpr)
		if !ok || call.Name != "env" || len(call.Args) != 1 {
			return nil
		}
		name, ds := call.Args[0].Value(nil)
		if ds.HasErrors() || !name.IsKnown() || name.IsNull() || name.Type() != cty.String ||
			credentialEnv.MatchString(name.AsString()) {
			found = true // a credential, or a name only known at run time: kept secret
		}
		return nil
	})
	return found
}

// IsSensitive reports whether v, from EvalString, holds anything sensitive.
func IsSensitive(v cty.Value) bool { return v.ContainsMarked() }
