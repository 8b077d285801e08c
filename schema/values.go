package schema

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// EnvVarPrefix is the prefix of environment variables that set variables: GENFORM_VAR_brand.
const EnvVarPrefix = "GENFORM_VAR_"

// buildContexts makes the evaluation contexts every expression starts from.
func (c *Config) buildContexts() {
	c.base = &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":   cty.EmptyObjectVal,
			"local": cty.EmptyObjectVal,
			"path":  cty.ObjectVal(map[string]cty.Value{"root": cty.StringVal(".")}),
		},
		Functions: c.functions(nil, true),
	}
	c.tmplBase = &hcl.EvalContext{Functions: c.functions(nil, false)}
}

// resolveVariables gives every variable its value, by Terraform's precedence: the default,
// then GENFORM_VAR_name, then -var-file and -var in command-line order (the last one wins).
func (c *Config) resolveVariables(args []VarValue) hcl.Diagnostics {
	var diags hcl.Diagnostics
	set := map[string]cty.Value{}
	for _, k := range slices.Sorted(maps.Keys(c.env)) {
		name, ok := strings.CutPrefix(k, EnvVarPrefix)
		v := c.Variables[name]
		if !ok || v == nil {
			continue // as in Terraform, the environment may hold values for other projects
		}
		val, ds := parseVarString(v, c.env[k], "the environment variable "+k)
		diags = append(diags, ds...)
		set[name] = val
	}
	for _, arg := range args {
		if arg.File != "" {
			diags = append(diags, c.readVarFile(arg.File, set)...)
			continue
		}
		v := c.Variables[arg.Name]
		if v == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail: fmt.Sprintf("-var sets %q, but no variable block declares it.%s",
					arg.Name, suggest(arg.Name, slices.Sorted(maps.Keys(c.Variables)))),
			})
			continue
		}
		val, ds := parseVarString(v, arg.Value, "-var "+arg.Name)
		diags = append(diags, ds...)
		set[arg.Name] = val
	}
	for _, name := range slices.Sorted(maps.Keys(c.Variables)) {
		v := c.Variables[name]
		val, ok := set[name]
		switch {
		case ok:
		case v.Default != cty.NilVal:
			val = v.Default
		case c.unsetUnknown:
			val = cty.UnknownVal(v.Type) // validate without values: unknown, as in Terraform
		default:
			diags = append(diags, errorAt(v.DeclRange, "No value for required variable",
				fmt.Sprintf("Variable %q has no default, so it needs a value: -var %s=VALUE, a -var-file, "+
					"or the environment variable %s%s.", name, name, EnvVarPrefix, name)))
			val = cty.UnknownVal(v.Type)
		}
		c.Vars[name] = val
	}
	c.base.Variables["var"] = cty.ObjectVal(c.Vars)
	return diags
}

// parseVarString turns a value given as text into the variable's type: taken literally for a
// primitive or untyped variable, parsed as an HCL expression otherwise (as Terraform does).
func parseVarString(v *Variable, raw, source string) (cty.Value, hcl.Diagnostics) {
	val := cty.StringVal(raw)
	if !v.Type.IsPrimitiveType() && v.Type != cty.DynamicPseudoType {
		expr, diags := hclsyntax.ParseExpression([]byte(raw), fmt.Sprintf("<value for var.%s>", v.Name), hcl.InitialPos)
		if diags.HasErrors() {
			return cty.UnknownVal(v.Type), diags
		}
		if val, diags = expr.Value(nil); diags.HasErrors() {
			return cty.UnknownVal(v.Type), diags
		}
	}
	out, err := convertVar(v, val)
	if err != nil {
		return out, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail: fmt.Sprintf("The value %s gives variable %q does not fit its type %s: %s.",
				source, v.Name, typeString(v.Type), err),
		}}
	}
	return out, nil
}

// readVarFile reads a -var-file (HCL, or HCL JSON for *.json), relative to the project folder.
func (c *Config) readVarFile(name string, set map[string]cty.Value) hcl.Diagnostics {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.Dir, name)
	}
	f, diags := parseFile(path, name)
	if f != nil {
		c.Files[name] = f
		if abs, err := filepath.Abs(path); err == nil {
			logValue(c.reads, c.reads.r.VarFiles, abs, sha256Hex(f.Bytes))
		}
	}
	if f == nil || diags.HasErrors() {
		return diags
	}
	attrs, ds := f.Body.JustAttributes()
	diags = append(diags, ds...)
	for _, attrName := range slices.Sorted(maps.Keys(attrs)) {
		attr := attrs[attrName]
		v := c.Variables[attrName]
		if v == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Value for undeclared variable",
				Detail: fmt.Sprintf("%s sets %q, but no variable block declares it, so the value is ignored.%s",
					name, attrName, suggest(attrName, slices.Sorted(maps.Keys(c.Variables)))),
				Subject: attr.NameRange.Ptr(),
			})
			continue
		}
		val, ds := attr.Expr.Value(nil)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		out, err := convertVar(v, val)
		if err != nil {
			diags = append(diags, errorAt(attr.Expr.Range(), "Invalid value for variable",
				fmt.Sprintf("The value for variable %q does not fit its type %s: %s.", attrName, typeString(v.Type), err)))
		}
		set[attrName] = out
	}
	return diags
}

// evalLocals evaluates the locals in dependency order. A cycle is one diagnostic naming
// every member.
func (c *Config) evalLocals(attrs []*hcl.Attribute) hcl.Diagnostics {
	var diags hcl.Diagnostics
	byName := map[string]*hcl.Attribute{}
	var list []*hcl.Attribute
	for _, a := range attrs {
		if prev, dup := byName[a.Name]; dup {
			diags = append(diags, errorAt(a.NameRange, "Duplicate local value",
				fmt.Sprintf("local.%s was already defined at %s. Local names must be unique across all locals blocks.", a.Name, at(prev.Range))))
			continue
		}
		byName[a.Name] = a
		list = append(list, a)
	}
	c.localNames = make(map[string]bool, len(list))
	c.secretLocals = map[string]bool{}
	for _, a := range list {
		c.localNames[a.Name] = true
	}
	index := make(map[string]int, len(list))
	for i, a := range list {
		index[a.Name] = i
	}
	deps := make([][]int, len(list))
	walks := make([]walked, len(list))
	sc := scope{what: "a local value", locals: true, assetsWhy: "Locals cannot reference assets: a local is evaluated once, " +
		"before anything is generated. Reference the asset directly in the asset or output that needs it."}
	for i, a := range list {
		res, ds := c.walkExpr(a.Expr, sc)
		walks[i] = res
		diags = append(diags, ds...)
		for _, name := range res.locals {
			deps[i] = append(deps[i], index[name])
		}
	}
	if diags.HasErrors() {
		return diags
	}
	for _, comp := range components(len(list), func(i int) []int { return deps[i] }) {
		if isCycle(comp, deps) {
			sort.Ints(comp)
			names := make([]string, len(comp))
			for j, i := range comp {
				names[j] = "local." + list[i].Name
			}
			detail := fmt.Sprintf("%s refer to each other, so none of them can be evaluated. "+
				"Break the cycle by removing one of the references.", joinAnd(names))
			if len(comp) == 1 {
				detail = fmt.Sprintf("%s refers to itself, so it cannot be evaluated. Remove the reference.", names[0])
			}
			diags = append(diags, errorAt(list[comp[0]].NameRange, "Cycle in local values", detail))
			for _, i := range comp {
				c.Locals[list[i].Name] = cty.DynamicVal
			}
			continue
		}
		a := list[comp[0]]
		ctx := c.base.NewChild()
		localVals := make(map[string]cty.Value, len(deps[comp[0]]))
		for _, j := range deps[comp[0]] {
			localVals[list[j].Name] = c.Locals[list[j].Name]
		}
		ctx.Variables = map[string]cty.Value{"local": cty.ObjectVal(localVals)}
		v, ds := a.Expr.Value(ctx)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			v = cty.DynamicVal
		}
		c.Locals[a.Name] = v
		if c.isSecret(a.Expr, walks[comp[0]]) {
			c.secretLocals[a.Name] = true
		}
	}
	c.base.Variables["local"] = cty.ObjectVal(c.Locals)
	return diags
}

// checkValidations runs every variable's validation blocks.
func (c *Config) checkValidations() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(c.Variables)) {
		for _, val := range c.Variables[name].validations {
			_, ds := c.walkExpr(val.Condition, scope{what: "a validation condition", locals: true,
				assetsWhy: "A validation condition checks a variable's value before anything is generated, so it cannot reference assets."})
			diags = append(diags, ds...)
			if ds.HasErrors() {
				continue
			}
			cond, ds := val.Condition.Value(c.base)
			diags = append(diags, ds...)
			if ds.HasErrors() {
				continue
			}
			cond, err := convert.Convert(cond, cty.Bool)
			if err == nil && !cond.IsKnown() {
				continue // a variable without a value (validate): checked once it has one
			}
			if err != nil || cond.IsNull() {
				diags = append(diags, errorAt(val.Condition.Range(), "Invalid validation condition",
					"A validation condition must give true or false, for example length(var.name) > 0."))
				continue
			}
			if cond.True() {
				continue
			}
			msg := "The value is not valid."
			if m, ds := val.ErrorMessage.Value(c.base); !ds.HasErrors() {
				if m, err := convert.Convert(m, cty.String); err == nil && m.IsKnown() && !m.IsNull() {
					msg = m.AsString()
				}
			}
			diags = append(diags, errorAt(val.Condition.Range(), "Invalid value for variable",
				fmt.Sprintf("%s\n\nThis was checked by the validation rule at %s.", msg, at(val.DeclRange))))
		}
	}
	return diags
}

// evalSettings decodes the genform block.
func (c *Config) evalSettings(b *hcl.Block) hcl.Diagnostics {
	if b == nil {
		return nil
	}
	c.Settings.DeclRange = b.DefRange
	content, diags := b.Body.Content(settingsSchema)
	diags = append(diags, c.evalBackend(content.Blocks.OfType("backend"))...)
	sc := scope{what: "the genform block", locals: true,
		assetsWhy: "The genform block's settings are read before anything is generated, so they cannot reference assets."}
	eval := func(name string, ty cty.Type) (cty.Value, *hcl.Attribute) {
		a, ok := content.Attributes[name]
		if !ok {
			return cty.NilVal, nil
		}
		if _, ds := c.walkExpr(a.Expr, sc); ds.HasErrors() {
			diags = append(diags, ds...)
			return cty.NilVal, nil
		}
		v, ds := a.Expr.Value(c.base)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			return cty.NilVal, nil
		}
		v, err := convert.Convert(v, ty)
		if err == nil && !v.IsKnown() && c.unsetUnknown {
			return cty.NilVal, nil // from a variable without a value (validate): the default stays
		}
		if err != nil || v.IsNull() || !v.IsKnown() {
			diags = append(diags, errorAt(a.Expr.Range(), "Incorrect attribute value type",
				fmt.Sprintf("%s must be a %s.", name, ty.FriendlyName())))
			return cty.NilVal, nil
		}
		return v, a
	}
	if v, a := eval("state", cty.String); a != nil {
		p := v.AsString()
		if _, _, err := c.resolve(p); err != nil { // relative, inside, and no symlink out
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid state path",
				fmt.Sprintf("The state file %s; give a path inside the project folder, such as \"genform.state.json\".", err)))
		} else {
			c.Settings.StatePath = filepath.ToSlash(filepath.Clean(p))
		}
	}
	if v, a := eval("parallelism", cty.Number); a != nil {
		n, acc := v.AsBigFloat().Int64()
		if !v.AsBigFloat().IsInt() || acc != 0 || n < 1 || n > 1024 {
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid parallelism",
				"parallelism is how many generations run at once: a whole number from 1 to 1024."))
		} else {
			c.Settings.Parallelism = int(n)
		}
	}
	if v, a := eval("budget", cty.Number); a != nil {
		f, _ := v.AsBigFloat().Float64()
		if f < 0 {
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid budget",
				"budget is the most a plan may cost, in US dollars: zero or more."))
		} else {
			c.Settings.Budget = &f
			c.Settings.BudgetRange = a.Expr.Range()
		}
	}
	return diags
}

// checkProviders checks each asset's provider reference.
func (c *Config) checkProviders() hcl.Diagnostics {
	var diags hcl.Diagnostics
	declared := map[string]bool{}
	var addrs []string
	for _, p := range c.Providers {
		declared[p.Addr()] = true
		addrs = append(addrs, p.Addr())
	}
	for _, a := range c.Assets {
		if a.Provider == "" {
			continue
		}
		if declared[a.Provider] {
			continue
		}
		typ, alias, _ := strings.Cut(a.Provider, ".")
		known := len(c.providerTypes) == 0 || contains(c.providerTypes, typ)
		if alias == "" && known {
			continue // an undeclared unaliased provider is used with its defaults
		}
		detail := fmt.Sprintf("No provider block declares %s.", a.Provider)
		if known {
			detail += fmt.Sprintf(" Declare it: provider %q { alias = %q }.", typ, alias)
		} else {
			detail += fmt.Sprintf(" The provider types are %s.", joinAnd(quoteAll(c.providerTypes)))
		}
		diags = append(diags, errorAt(a.ProviderRange, "Reference to undeclared provider",
			detail+suggest(a.Provider, append(addrs, c.providerTypes...))))
	}
	return diags
}

func typeString(ty cty.Type) string {
	if ty == cty.DynamicPseudoType {
		return "any"
	}
	return ty.FriendlyNameForConstraint()
}
