package schema

import (
	"fmt"
	"sort"

	"github.com/genform/genform/asset"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// fileSchema is the top level of a configuration file: settings, variables, locals, providers,
// outputs and a block type per asset kind.
var fileSchema = func() *hcl.BodySchema {
	s := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "genform"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "provider", LabelNames: []string{"type"}},
		{Type: "output", LabelNames: []string{"name"}},
		{Type: "moved"},
	}}
	for _, k := range asset.Names() {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: k, LabelNames: []string{"name"}})
	}
	return s
}()

var settingsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "state"}, {Name: "parallelism"}, {Name: "budget"}},
	Blocks:     append([]hcl.BlockHeaderSchema{{Type: "backend", LabelNames: []string{"type"}}}, cacheBlockSchema.Blocks...),
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "condition", Required: true}, {Name: "error_message", Required: true},
}}

var providerSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "alias"}}}

var outputSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "value", Required: true}, {Name: "description"}, {Name: "sensitive"},
}}

// decoder decodes the top-level blocks of every file into the Config.
type decoder struct {
	c        *Config
	seen     map[string]hcl.Range // "image.hero", "variable.x", "provider.wisdomgate.fast", "genform"
	locals   []*hcl.Attribute
	settings *hcl.Block
}

func (d *decoder) decodeFile(f *hcl.File) hcl.Diagnostics {
	content, diags := f.Body.Content(fileSchema)
	for _, b := range content.Blocks {
		what := b.Type
		if asset.Known(what) {
			what = "asset"
		}
		switch what {
		case "genform":
			diags = append(diags, d.unique("genform", "genform", b.DefRange,
				"A project has at most one genform block; merge their arguments into one.")...)
			if d.settings == nil {
				d.settings = b
			}
			diags = append(diags, d.decodeCache(b)...)
		case "locals":
			attrs, ds := b.Body.JustAttributes()
			diags = append(diags, ds...)
			list := make([]*hcl.Attribute, 0, len(attrs))
			for _, a := range attrs {
				list = append(list, a)
			}
			sort.Slice(list, func(i, j int) bool { return list[i].Range.Start.Byte < list[j].Range.Start.Byte })
			d.locals = append(d.locals, list...)
		case "variable":
			diags = append(diags, d.decodeVariable(b)...)
		case "provider":
			diags = append(diags, d.decodeProvider(b)...)
		case "asset":
			diags = append(diags, d.decodeAsset(b)...)
		case "output":
			diags = append(diags, d.decodeOutput(b)...)
		case "moved":
			diags = append(diags, d.decodeMoved(b)...)
		}
	}
	return diags
}

// unique reports a second declaration of key.
func (d *decoder) unique(key, what string, rng hcl.Range, detail string) hcl.Diagnostics {
	if prev, ok := d.seen[key]; ok {
		return hcl.Diagnostics{errorAt(rng, "Duplicate "+what+" block",
			fmt.Sprintf("%s was already declared at %s. %s", what, at(prev), detail))}
	}
	d.seen[key] = rng
	return nil
}

// validName checks a block label that is used in references.
func validName(b *hcl.Block) hcl.Diagnostics {
	if len(b.Labels) == 0 || hclsyntax.ValidIdentifier(b.Labels[0]) {
		return nil
	}
	return hcl.Diagnostics{errorAt(b.LabelRanges[0], "Invalid name",
		fmt.Sprintf("%q is not a valid %s name: a name starts with a letter or underscore and "+
			"holds only letters, digits, underscores and dashes.", b.Labels[0], b.Type))}
}

func (d *decoder) decodeVariable(b *hcl.Block) hcl.Diagnostics {
	diags := validName(b)
	content, ds := b.Body.Content(variableSchema)
	diags = append(diags, ds...)
	name := b.Labels[0]
	v := &Variable{Name: name, Type: cty.DynamicPseudoType, DeclRange: b.DefRange}
	if a, ok := content.Attributes["type"]; ok {
		ty, defaults, ds := typeexpr.TypeConstraintWithDefaults(a.Expr)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			v.Type, v.defaults = ty, defaults
		}
	}
	diags = append(diags, describe(content, &v.Description, &v.Sensitive)...)
	if a, ok := content.Attributes["default"]; ok {
		val, ds := a.Expr.Value(nil)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			val, err := convertVar(v, val)
			if err != nil {
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid default value for variable",
					fmt.Sprintf("The default of variable %q does not fit its type: %s.", name, err)))
			}
			v.Default = val
		}
	}
	for _, vb := range content.Blocks {
		vc, ds := vb.Body.Content(validationSchema)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		v.validations = append(v.validations, &validation{
			Condition:    vc.Attributes["condition"].Expr,
			ErrorMessage: vc.Attributes["error_message"].Expr,
			DeclRange:    vb.DefRange,
		})
	}
	diags = append(diags, d.unique("variable."+name, "variable", b.DefRange, "Variable names must be unique.")...)
	if _, dup := d.c.Variables[name]; !dup {
		d.c.Variables[name] = v
	}
	return diags
}

// convertVar converts a variable value to the variable's type, applying optional attributes'
// defaults first.
func convertVar(v *Variable, val cty.Value) (cty.Value, error) {
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	out, err := convert.Convert(val, v.Type)
	if err != nil {
		return cty.UnknownVal(v.Type), err
	}
	return out, nil
}

func (d *decoder) decodeProvider(b *hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	content, remain, ds := b.Body.PartialContent(providerSchema)
	diags = append(diags, ds...)
	p := &Provider{Type: b.Labels[0], Body: remain, DeclRange: b.DefRange}
	if types := d.c.providerTypes; len(types) > 0 && !contains(types, p.Type) {
		diags = append(diags, errorAt(b.LabelRanges[0], "Unknown provider type",
			fmt.Sprintf("genform has no provider %q; the provider types are %s.%s",
				p.Type, joinAnd(quoteAll(types)), suggest(p.Type, types))))
	}
	if a, ok := content.Attributes["alias"]; ok {
		s, ds := literalString(a)
		diags = append(diags, ds...)
		if !ds.HasErrors() && !hclsyntax.ValidIdentifier(s) {
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid provider alias",
				fmt.Sprintf("%q is not a valid alias: an alias starts with a letter and holds only "+
					"letters, digits, underscores and dashes.", s)))
		}
		p.Alias = s
	}
	diags = append(diags, d.unique("provider."+p.Addr(), "provider", b.DefRange,
		"Give the second one an alias (alias = \"fast\") to use two configurations of one provider.")...)
	d.c.Providers = append(d.c.Providers, p)
	return diags
}

func (d *decoder) decodeOutput(b *hcl.Block) hcl.Diagnostics {
	diags := validName(b)
	content, ds := b.Body.Content(outputSchema)
	diags = append(diags, ds...)
	o := &Output{Name: b.Labels[0], DeclRange: b.DefRange}
	if a, ok := content.Attributes["value"]; ok {
		o.Value = a.Expr
	}
	diags = append(diags, describe(content, &o.Description, &o.Sensitive)...)
	diags = append(diags, d.unique("output."+o.Name, "output", b.DefRange, "Output names must be unique.")...)
	if o.Value != nil {
		d.c.Outputs = append(d.c.Outputs, o)
	}
	return diags
}

// describe decodes the description and sensitive arguments variables and outputs share; an
// argument not written leaves its field as it is.
func describe(content *hcl.BodyContent, description *string, sensitive *bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if a, ok := content.Attributes["description"]; ok {
		s, ds := literalString(a)
		*description = s
		diags = append(diags, ds...)
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		b, ds := literalBool(a)
		*sensitive = b
		diags = append(diags, ds...)
	}
	return diags
}

// literalString evaluates an argument that takes a constant string.
func literalString(a *hcl.Attribute) (string, hcl.Diagnostics) {
	v, diags := literal(a, cty.String)
	if diags.HasErrors() || v.IsNull() {
		return "", diags
	}
	return v.AsString(), diags
}

// literalBool evaluates an argument that takes a constant bool.
func literalBool(a *hcl.Attribute) (bool, hcl.Diagnostics) {
	v, diags := literal(a, cty.Bool)
	if diags.HasErrors() || v.IsNull() {
		return false, diags
	}
	return v.True(), diags
}

func literal(a *hcl.Attribute, ty cty.Type) (cty.Value, hcl.Diagnostics) {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return v, diags
	}
	out, err := convert.Convert(v, ty)
	if err != nil {
		return cty.NullVal(ty), hcl.Diagnostics{errorAt(a.Expr.Range(), "Incorrect attribute value type",
			fmt.Sprintf("%s must be a %s: %s.", a.Name, ty.FriendlyName(), err))}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
