package schema

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Backend is the genform block's backend block: where the state, the lock and runs live when
// a team shares them. It takes literals and env() only, is read before anything else, and
// never enters an input hash, a plan or the state: ConnStr may hold a password.
type Backend struct {
	Type      string // "pg"
	ConnStr   string // "" means libpq's PG* environment variables
	Schema    string // default "genform"
	Workspace string // default "default"
	DeclRange hcl.Range
}

// BackendTypes are the backend types genform knows.
var BackendTypes = []string{"pg"}

var backendSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "conn_str"}, {Name: "schema"}, {Name: "workspace"},
}}

// evalBackend decodes the backend blocks of the genform block (at most one).
func (c *Config) evalBackend(blocks hcl.Blocks) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i, b := range blocks {
		if !contains(BackendTypes, b.Labels[0]) {
			diags = append(diags, errorAt(b.LabelRanges[0], "Unknown backend type",
				fmt.Sprintf("genform has no backend %q; the backend types are %s.%s", b.Labels[0],
					joinAnd(quoteAll(BackendTypes)), suggest(b.Labels[0], BackendTypes))))
			continue
		}
		if i > 0 {
			diags = append(diags, errorAt(b.DefRange, "Duplicate backend block",
				fmt.Sprintf("The genform block already has a backend block at %s; a project keeps its state in one place.", at(blocks[0].DefRange))))
			continue
		}
		be := &Backend{Type: b.Labels[0], Schema: "genform", Workspace: "default", DeclRange: b.DefRange}
		content, ds := b.Body.Content(backendSchema)
		diags = append(diags, ds...)
		// literals and env() only: no variables, locals or other functions
		ctx := &hcl.EvalContext{Functions: map[string]function.Function{"env": c.envFunc()}}
		for _, f := range []struct {
			name     string
			dst      *string
			nonEmpty bool
		}{{"conn_str", &be.ConnStr, false}, {"schema", &be.Schema, true}, {"workspace", &be.Workspace, true}} {
			a, ok := content.Attributes[f.name]
			if !ok {
				continue
			}
			v, ds := a.Expr.Value(ctx)
			if ds.HasErrors() {
				for _, d := range ds {
					if d.Detail != "" && d.Severity == hcl.DiagError {
						d.Detail += " The backend block is read before anything else: it takes literals and env() only."
					}
				}
				diags = append(diags, ds...)
				continue
			}
			if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
				diags = append(diags, errorAt(a.Expr.Range(), "Incorrect attribute value type",
					fmt.Sprintf("%s must be a string: a literal or env(\"NAME\").", f.name)))
				continue
			}
			s := v.AsString()
			if f.nonEmpty && s == "" {
				diags = append(diags, errorAt(a.Expr.Range(), "Empty "+f.name,
					fmt.Sprintf("%s names a place in the database; leave it out for the default %q.", f.name, *f.dst)))
				continue
			}
			*f.dst = s
		}
		c.Settings.Backend = be
	}
	return diags
}
