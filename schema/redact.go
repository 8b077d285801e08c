package schema

// This file keeps sensitive values out of diagnostics: a cty function's error quotes the value
// it was given ("cannot convert \"hunter2\" to number"), and HCL's text writer shows the values
// of the variables an expression refers to.

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// redacted replaces a sensitive value in a diagnostic.
const redacted = "(sensitive value)"

// secrets are the texts of the sensitive variables' values and of the credentials in the
// environment, longest first so that a secret holding another is replaced whole.
func (c *Config) secrets() []string {
	var out []string
	add := func(s string) {
		if len(s) >= 3 { // shorter texts would blank out ordinary words
			out = append(out, s)
		}
	}
	for name, v := range c.Vars {
		if d := c.Variables[name]; d != nil && d.Sensitive {
			v, _ = v.UnmarkDeep()
			_ = cty.Walk(v, func(_ cty.Path, x cty.Value) (bool, error) {
				if x.IsKnown() && !x.IsNull() && x.Type().IsPrimitiveType() {
					if s, err := ctyString(x); err == nil {
						add(s)
					}
				}
				return true, nil
			})
		}
	}
	for name, v := range c.env {
		if credentialEnv.MatchString(name) {
			add(v)
		}
	}
	for i := 1; i < len(out); i++ { // few secrets: insertion sort, longest first
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func ctyString(v cty.Value) (string, error) {
	switch v.Type() {
	case cty.String:
		return v.AsString(), nil
	case cty.Number:
		return v.AsBigFloat().Text('f', -1), nil
	}
	return "", nil
}

// Redact removes the sensitive values from diagnostics' Summary and Detail, and drops the
// expression context (whose variables HCL's writer would print) of a diagnostic that shows one.
func (c *Config) Redact(diags hcl.Diagnostics) hcl.Diagnostics {
	if len(diags) == 0 { // the common case: no secrets gathered, for every instance evaluated
		return diags
	}
	secrets := c.secrets()
	if len(secrets) == 0 {
		return diags
	}
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		x := *d
		for _, s := range secrets {
			x.Summary = strings.ReplaceAll(x.Summary, s, redacted)
			x.Detail = strings.ReplaceAll(x.Detail, s, redacted)
		}
		if x.Expression != nil && x.EvalContext != nil && refersToSecret(&x, secrets) {
			x.Expression, x.EvalContext = nil, nil
		}
		out[i] = &x
	}
	return out
}

// refersToSecret tells whether a variable of d's expression holds a secret.
func refersToSecret(d *hcl.Diagnostic, secrets []string) bool {
	for _, t := range d.Expression.Variables() {
		v, ds := t.TraverseAbs(d.EvalContext)
		if ds.HasErrors() {
			continue
		}
		found := false
		v, _ = v.UnmarkDeep()
		_ = cty.Walk(v, func(_ cty.Path, x cty.Value) (bool, error) {
			if !x.IsKnown() || x.IsNull() || !x.Type().IsPrimitiveType() {
				return true, nil
			}
			if s, err := ctyString(x); err == nil && s != "" {
				for _, sec := range secrets {
					if strings.Contains(s, sec) {
						found = true
					}
				}
			}
			return !found, nil
		})
		if found {
			return true
		}
	}
	return false
}
