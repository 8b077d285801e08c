package schema

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/genform/genform/asset"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// attrSpec is the declared type of one request attribute.
type attrSpec struct {
	Type     cty.Type // cty.DynamicPseudoType for options (any object or map)
	Whole    bool     // a whole number
	Required bool
}

// attrSpecs holds every request attribute of each kind, from asset's table.
var attrSpecs = func() map[string]map[string]attrSpec {
	out := map[string]map[string]attrSpec{}
	for _, k := range asset.Kinds() {
		m := map[string]attrSpec{}
		for _, a := range asset.AttrsOf(k) {
			m[a.Name] = attrSpec{Type: a.Type, Whole: a.Whole, Required: a.Kinds[k] == asset.Required}
		}
		out[string(k)] = m
	}
	return out
}()

// AttrType returns the declared type of a request attribute of kind (cty.DynamicPseudoType
// for options), and whether the attribute exists.
func AttrType(kind, name string) (cty.Type, bool) {
	s, ok := attrSpecs[kind][name]
	return s.Type, ok
}

// metaArgs are the arguments every asset takes besides its request attributes.
var metaArgs = []string{"count", "for_each", "depends_on", "provider"}

// assetSchemas are the body schemas of chat, image and video blocks.
var assetSchemas = func() map[string]*hcl.BodySchema {
	out := map[string]*hcl.BodySchema{}
	for kind, specs := range attrSpecs {
		s := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "lifecycle"}}}
		for _, name := range slices.Sorted(maps.Keys(specs)) {
			s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: name, Required: specs[name].Required})
		}
		for _, name := range metaArgs {
			s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: name})
		}
		if spec, _ := asset.Lookup(kind); spec.Shots {
			s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: "shot"})
		}
		out[kind] = s
	}
	return out
}()

var shotSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "duration", Required: true}, {Name: "scene", Required: true},
}}

var lifecycleSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "ignore_changes"}}}

func (d *decoder) decodeAsset(b *hcl.Block) hcl.Diagnostics {
	diags := validName(b)
	content, ds := b.Body.Content(assetSchemas[b.Type])
	diags = append(diags, ds...)
	a := &Asset{Kind: b.Type, Name: b.Labels[0], Attrs: map[string]*hcl.Attribute{}, DeclRange: b.DefRange}
	for name, attr := range content.Attributes {
		switch name {
		case "count":
			a.Count = attr.Expr
		case "for_each":
			a.ForEach = attr.Expr
		case "provider":
			diags = append(diags, d.decodeProviderRef(a, attr)...)
		case "depends_on":
			a.dependsOn = attr.Expr
		default:
			a.Attrs[name] = attr
			a.attrOrder = append(a.attrOrder, name)
		}
	}
	sort.Slice(a.attrOrder, func(i, j int) bool {
		return a.Attrs[a.attrOrder[i]].Range.Start.Byte < a.Attrs[a.attrOrder[j]].Range.Start.Byte
	})
	if a.Count != nil && a.ForEach != nil {
		diags = append(diags, errorAt(content.Attributes["for_each"].NameRange, "Invalid combination of count and for_each",
			"An asset takes count or for_each, not both: keep the one that fits."))
	}
	var lifecycle *hcl.Block
	shots := 0
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "shot":
			shots++
			sc, ds := blk.Body.Content(shotSchema)
			diags = append(diags, ds...)
			if !ds.HasErrors() {
				a.Shots = append(a.Shots, &Shot{
					Duration:  sc.Attributes["duration"].Expr,
					Scene:     sc.Attributes["scene"].Expr,
					DeclRange: blk.DefRange,
				})
			}
		case "lifecycle":
			if lifecycle != nil {
				diags = append(diags, errorAt(blk.DefRange, "Duplicate lifecycle block",
					fmt.Sprintf("%s already has a lifecycle block at %s; merge them into one.", a.Addr(), at(lifecycle.DefRange))))
				continue
			}
			lifecycle = blk
			diags = append(diags, d.decodeLifecycle(a, blk)...)
		}
	}
	if spec, _ := asset.Lookup(a.Kind); spec.Shots && a.Attrs["prompt"] == nil && shots == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing prompt",
			Detail:   fmt.Sprintf("%s needs a prompt or at least one shot { duration = 4, scene = \"...\" } block.", a.Addr()),
			Subject:  b.Body.MissingItemRange().Ptr(),
		})
	}
	diags = append(diags, d.unique(a.Addr(), b.Type, b.DefRange,
		fmt.Sprintf("Each %s block needs its own name.", b.Type))...)
	if d.c.assets[a.Addr()] == nil {
		d.c.assets[a.Addr()] = a
		d.c.Assets = append(d.c.Assets, a)
	}
	return diags
}

// decodeProviderRef reads `provider = wisdomgate` or `provider = wisdomgate.fast`.
func (d *decoder) decodeProviderRef(a *Asset, attr *hcl.Attribute) hcl.Diagnostics {
	a.ProviderRange = attr.Expr.Range()
	tr, diags := hcl.AbsTraversalForExpr(attr.Expr)
	bad := diags.HasErrors() || len(tr) > 2
	if !bad && len(tr) == 2 {
		_, ok := tr[1].(hcl.TraverseAttr)
		bad = !ok
	}
	if bad {
		return hcl.Diagnostics{errorAt(attr.Expr.Range(), "Invalid provider reference",
			"provider takes a bare provider address, without quotes: provider = wisdomgate, or provider = wisdomgate.fast for an aliased one.")}
	}
	a.Provider = tr.RootName()
	if len(tr) == 2 {
		a.Provider += "." + tr[1].(hcl.TraverseAttr).Name
	}
	return nil
}

func (d *decoder) decodeLifecycle(a *Asset, blk *hcl.Block) hcl.Diagnostics {
	content, diags := blk.Body.Content(lifecycleSchema)
	attr, ok := content.Attributes["ignore_changes"]
	if !ok {
		return diags
	}
	if hcl.ExprAsKeyword(attr.Expr) == "all" {
		a.IgnoreAll = true
		return diags
	}
	exprs, ds := hcl.ExprList(attr.Expr)
	if ds.HasErrors() {
		return append(diags, errorAt(attr.Expr.Range(), "Invalid ignore_changes",
			"ignore_changes takes a list of attribute names, such as [prompt, model], or the keyword all."))
	}
	names := slices.Sorted(maps.Keys(attrSpecs[a.Kind]))
	if spec, _ := asset.Lookup(a.Kind); spec.Shots {
		names = append(names, "shot")
	}
	for _, e := range exprs {
		kw := hcl.ExprAsKeyword(e)
		switch {
		case kw == "":
			diags = append(diags, errorAt(e.Range(), "Invalid ignore_changes",
				"ignore_changes names attributes bare, without quotes: ignore_changes = [prompt]."))
		case !contains(names, kw):
			diags = append(diags, errorAt(e.Range(), "Unsupported attribute in ignore_changes",
				fmt.Sprintf("%s assets have no attribute %q.%s", a.Kind, kw, suggest(kw, names))))
		default:
			a.IgnoreChanges = append(a.IgnoreChanges, kw)
		}
	}
	return diags
}
