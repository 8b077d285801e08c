package schema

import (
	"fmt"

	"github.com/genform/genform/asset"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Moved is a moved block: the recorded instances at From now belong to To, so a rename costs
// nothing. Both are asset addresses of the same kind; a block address (image.hero) moves
// every instance and keeps its key, an instance address (image.hero[0]) moves that one.
type Moved struct {
	From, To  Ref
	DeclRange hcl.Range
}

var movedSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "from", Required: true}, {Name: "to", Required: true},
}}

// decodeMoved decodes one moved block; the checks that need every block wait for checkMoved.
func (d *decoder) decodeMoved(b *hcl.Block) hcl.Diagnostics {
	content, diags := b.Body.Content(movedSchema)
	if diags.HasErrors() {
		return diags
	}
	m := &Moved{DeclRange: b.DefRange}
	for _, side := range []struct {
		name string
		ref  *Ref
	}{{"from", &m.From}, {"to", &m.To}} {
		attr := content.Attributes[side.name]
		tr, tdiags := hcl.AbsTraversalForExpr(attr.Expr)
		var r Ref
		ok := !tdiags.HasErrors()
		if ok {
			r, ok = refFromTraversal(tr)
		}
		if !ok {
			diags = append(diags, errorAt(attr.Expr.Range(), "Invalid moved address",
				fmt.Sprintf("moved.%s is an asset address written without quotes: image.hero, image.hero[0] or image.hero[\"dawn\"].", side.name)))
			continue
		}
		r.Range = attr.Expr.Range()
		*side.ref = r
	}
	if diags.HasErrors() {
		return diags
	}
	if m.From.Kind != m.To.Kind {
		return append(diags, errorAt(m.To.Range, "Cannot move between kinds",
			fmt.Sprintf("%s is %s and %s %s: a moved block renames within one kind. To make a new %s, declare it; the old one is deleted (its file kept in the cache).",
				m.From.Addr(), asset.WithArticle(m.From.Kind), m.To.Addr(), asset.WithArticle(m.To.Kind), m.To.Kind)))
	}
	if m.From.Addr() == m.To.Addr() {
		return append(diags, errorAt(m.DeclRange, "Move to the same address",
			fmt.Sprintf("This block moves %s to itself; remove it.", m.From.Addr())))
	}
	d.c.Moved = append(d.c.Moved, m)
	return diags
}

// checkMoved checks the moved blocks against the declared instances and each other: a from
// address still declared, two blocks moving the same address or to the same address, and
// cycles. Chains (a to b, b to c) are allowed: what was recorded at a ends at c.
func (c *Config) checkMoved() hcl.Diagnostics {
	var diags hcl.Diagnostics
	from := map[string]*Moved{}
	to := map[string]*Moved{}
	for _, m := range c.Moved {
		f, t := m.From.Addr(), m.To.Addr()
		if c.declared(m.From) {
			diags = append(diags, errorAt(m.From.Range, "Moved object still declared",
				fmt.Sprintf("%s is still declared, so nothing moves from it. Rename the block itself to %s (or remove this moved block).", f, t)))
		}
		if prev := from[f]; prev != nil {
			diags = append(diags, errorAt(m.From.Range, "Ambiguous move statements",
				fmt.Sprintf("%s is also moved to %s at %s: an address moves to one place. Keep one of the two blocks.", f, prev.To.Addr(), at(prev.DeclRange))))
			continue
		}
		if prev := to[t]; prev != nil {
			diags = append(diags, errorAt(m.To.Range, "Ambiguous move statements",
				fmt.Sprintf("%s also receives %s at %s: two addresses cannot move to one. Keep one of the two blocks.", t, prev.From.Addr(), at(prev.DeclRange))))
			continue
		}
		from[f], to[t] = m, m
	}
	if diags.HasErrors() {
		return diags
	}
	for _, m := range c.Moved {
		seen := map[string]bool{m.From.Addr(): true}
		for next := from[m.To.Addr()]; next != nil; next = from[next.To.Addr()] {
			if seen[next.To.Addr()] {
				diags = append(diags, errorAt(m.DeclRange, "Cyclic move statements",
					fmt.Sprintf("The moved blocks starting at %s lead back to it (%s moves to %s). Remove the block that closes the circle.", m.From.Addr(), next.From.Addr(), next.To.Addr())))
				return diags
			}
			seen[next.To.Addr()] = true
		}
	}
	return diags
}

// declared reports whether the configuration still declares what r names.
func (c *Config) declared(r Ref) bool {
	a := c.assets[r.Kind+"."+r.Name]
	if a == nil {
		return false
	}
	if r.Key == cty.NilVal {
		return true
	}
	addr := r.Addr()
	for _, in := range a.Instances {
		if in.Addr == addr {
			return true
		}
	}
	return false
}

// ParseRef parses an asset or instance address as a command line gives it: image.hero,
// image.hero[0] or image.hero["dawn"]. It does not check that the asset exists; see
// Config.Asset.
func ParseRef(addr string) (Ref, hcl.Diagnostics) {
	bad := hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid address",
		Detail:   fmt.Sprintf("%q is not an asset address: write it as image.hero, image.hero[0] or image.hero[\"dawn\"].", addr),
	}}
	tr, diags := hclsyntax.ParseTraversalAbs([]byte(addr), "<address>", hcl.InitialPos)
	if diags.HasErrors() {
		return Ref{}, bad
	}
	r, ok := refFromTraversal(tr)
	if !ok {
		return Ref{}, bad
	}
	return r, nil
}

// refFromTraversal reads an asset or instance address from a traversal: kind.name with an
// optional literal key.
func refFromTraversal(tr hcl.Traversal) (Ref, bool) {
	if !isKind(tr.RootName()) || len(tr) < 2 || len(tr) > 3 {
		return Ref{}, false
	}
	name, ok := attrAt(tr, 1)
	if !ok {
		return Ref{}, false
	}
	r := Ref{Kind: tr.RootName(), Name: name}
	if len(tr) == 3 {
		idx, ok := tr[2].(hcl.TraverseIndex)
		if !ok {
			return Ref{}, false
		}
		switch k := idx.Key; {
		case k.Type() == cty.String:
			r.Key = k
		case k.Type() == cty.Number && k.AsBigFloat().IsInt() && k.AsBigFloat().Sign() >= 0:
			r.Key = k
		default:
			return Ref{}, false
		}
	}
	return r, true
}
