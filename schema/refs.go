package schema

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/genform/genform/asset"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// scope says which references an expression may make.
type scope struct {
	what        string // where the expression is, for messages: "a local value", "count"
	assets      bool   // chat., image., video.
	assetsWhy   string // the detail when assets are not allowed
	each, count bool
	locals      bool
}

// walked is what walkExpr found.
type walked struct {
	refs   []Ref
	locals []string // local names referenced, de-duplicated
	vars   []string // variable names referenced
}

var roots = append([]string{"var", "local", "path", "each", "count"}, asset.Names()...)

// walkExpr checks every reference of expr against what sc allows and what is declared, and
// returns the asset references and local names it makes.
func (c *Config) walkExpr(expr hcl.Expression, sc scope) (walked, hcl.Diagnostics) {
	var w walked
	var diags hcl.Diagnostics
	for _, tr := range expr.Variables() {
		rng := tr.SourceRange()
		root := tr.RootName()
		name, hasName := attrAt(tr, 1)
		what := root
		if asset.Known(root) {
			what = "asset"
		}
		switch what {
		case "var":
			switch {
			case !hasName:
				diags = append(diags, errorAt(rng, "Invalid reference", "A variable is referenced as var.NAME."))
			case c.Variables[name] == nil:
				diags = append(diags, errorAt(rng, "Reference to undeclared input variable",
					fmt.Sprintf("There is no variable named %q; declare it with variable %q {}.%s",
						name, name, suggest(name, slices.Sorted(maps.Keys(c.Variables))))))
			default:
				w.vars = append(w.vars, name)
			}
		case "local":
			switch {
			case !hasName:
				diags = append(diags, errorAt(rng, "Invalid reference", "A local value is referenced as local.NAME."))
			case !c.localNames[name]:
				diags = append(diags, errorAt(rng, "Reference to undeclared local value",
					fmt.Sprintf("There is no local value named %q; define it in a locals block.%s",
						name, suggest(name, slices.Sorted(maps.Keys(c.localNames))))))
			case !contains(w.locals, name):
				w.locals = append(w.locals, name)
			}
		case "path":
			if name != "root" {
				diags = append(diags, errorAt(rng, "Unsupported attribute",
					"path has one attribute, path.root: the project folder."))
			}
		case "each":
			if !sc.each {
				diags = append(diags, errorAt(rng, `Reference to "each" outside for_each`,
					fmt.Sprintf("each.key and each.value exist only in an asset that has for_each, not in %s.", sc.what)))
			} else if name != "key" && name != "value" {
				diags = append(diags, errorAt(rng, "Invalid each reference", "each has two attributes: each.key and each.value."))
			}
		case "count":
			if !sc.count {
				diags = append(diags, errorAt(rng, `Reference to "count" outside count`,
					fmt.Sprintf("count.index exists only in an asset that has count, not in %s.", sc.what)))
			} else if name != "index" {
				diags = append(diags, errorAt(rng, "Invalid count reference", "count has one attribute: count.index."))
			}
		case "asset":
			if !sc.assets {
				diags = append(diags, errorAt(rng, "Invalid reference to an asset", sc.assetsWhy))
				continue
			}
			r, ds := c.checkRef(tr)
			diags = append(diags, ds...)
			if !ds.HasErrors() {
				w.refs = append(w.refs, r)
			}
		default:
			diags = append(diags, errorAt(rng, "Reference to unknown name",
				fmt.Sprintf("There is no %q here. References start with var., local., path., chat., image. or video. "+
					"(and each. or count. in an asset with for_each or count).%s", root, suggest(root, roots))))
		}
	}
	return w, diags
}

// attrAt returns the attribute name at step i of tr, if there is one.
func attrAt(tr hcl.Traversal, i int) (string, bool) {
	if len(tr) <= i {
		return "", false
	}
	a, ok := tr[i].(hcl.TraverseAttr)
	return a.Name, ok
}

// checkRef checks a traversal that starts with chat, image or video against the declared
// assets, their instance keys and attributes, and returns the reference it makes.
func (c *Config) checkRef(tr hcl.Traversal) (Ref, hcl.Diagnostics) {
	kind := tr.RootName()
	rng := tr.SourceRange()
	name, ok := attrAt(tr, 1)
	if !ok {
		return Ref{}, hcl.Diagnostics{errorAt(rng, "Invalid reference",
			fmt.Sprintf("An asset is referenced as %s.NAME.", kind))}
	}
	r := Ref{Kind: kind, Name: name, Range: rng}
	t := c.assets[kind+"."+name]
	if t == nil {
		var same, other []string
		for _, a := range c.Assets {
			if a.Kind == kind {
				same = append(same, a.Name)
			} else if a.Name == name {
				other = append(other, a.Addr())
			}
		}
		hint := suggest(name, same)
		if hint == "" && len(other) > 0 {
			hint = fmt.Sprintf(" Did you mean %s?", other[0])
		}
		return r, hcl.Diagnostics{errorAt(rng, "Reference to undeclared asset",
			fmt.Sprintf("There is no %s block named %q.%s", kind, name, hint))}
	}
	rest := tr[2:]
	if len(rest) > 0 {
		if idx, ok := rest[0].(hcl.TraverseIndex); ok {
			key, diags := checkKey(t, idx.Key, rng)
			if diags.HasErrors() {
				return r, diags
			}
			r.Key = key
			rest = rest[1:]
		} else if t.Count != nil || t.ForEach != nil {
			example, by := `["KEY"]`, "for_each"
			if t.Count != nil {
				example, by = "[0]", "count"
			}
			attr, _ := attrAt(rest, 0)
			return r, hcl.Diagnostics{errorAt(rng, "Missing instance key",
				fmt.Sprintf("%s has %s, so each of its instances has its own %s: use %s%s.%s, or a for expression such as [for x in %s : x.%s].",
					t.Addr(), by, attr, t.Addr(), example, attr, t.Addr(), attr))}
		}
	}
	if attr, ok := attrAt(rest, 0); ok {
		ty := InstanceType(kind)
		if !ty.HasAttribute(attr) {
			names := slices.Sorted(maps.Keys(ty.AttributeTypes()))
			return r, hcl.Diagnostics{errorAt(rng, "Unsupported attribute",
				fmt.Sprintf("%s assets have no attribute %q; they have %s.%s", kind, attr, joinAnd(names), suggest(attr, names)))}
		}
	}
	return r, nil
}

// checkKey checks a static instance key against the target's count or for_each.
func checkKey(t *Asset, key cty.Value, rng hcl.Range) (cty.Value, hcl.Diagnostics) {
	switch {
	case t.unknownKeys:
		return cty.NilVal, nil // its keys depend on a variable without a value (validate)
	case t.Count == nil && t.ForEach == nil:
		return cty.NilVal, hcl.Diagnostics{errorAt(rng, "Unexpected instance key",
			fmt.Sprintf("%s has no count or for_each, so it has one instance: reference it as %s, without a key.", t.Addr(), t.Addr()))}
	case t.Count != nil:
		if key.Type() == cty.Number && !key.IsNull() {
			n, acc := key.AsBigFloat().Int64()
			if key.AsBigFloat().IsInt() && acc == 0 && n >= 0 && n < int64(t.count) {
				return key, nil
			}
		}
		detail := fmt.Sprintf("%s has count = %d, so its keys are the numbers 0 to %d.", t.Addr(), t.count, t.count-1)
		if t.count == 0 {
			detail = fmt.Sprintf("%s has count = 0, so it has no instances.", t.Addr())
		}
		return cty.NilVal, hcl.Diagnostics{errorAt(rng, "Invalid instance key", detail)}
	default:
		s, err := convert.Convert(key, cty.String)
		if err != nil || key.Type() != cty.String || s.IsNull() {
			return cty.NilVal, hcl.Diagnostics{errorAt(rng, "Invalid instance key",
				fmt.Sprintf("%s has for_each, so its keys are strings: %s[\"KEY\"].", t.Addr(), t.Addr()))}
		}
		if !t.keys[s.AsString()] {
			return cty.NilVal, hcl.Diagnostics{errorAt(rng, "Reference to undeclared instance key",
				fmt.Sprintf("%s has no instance %s.%s", t.Addr(), quoteString(s.AsString()), suggest(s.AsString(), slices.Sorted(maps.Keys(t.keys)))))}
		}
		return s, nil
	}
}

// analyzeRefs finds and checks every reference of the assets and outputs, and reports the
// cycles between assets.
func (c *Config) analyzeRefs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, a := range c.Assets {
		sc := scope{what: a.Addr(), assets: true, each: a.ForEach != nil, count: a.Count != nil, locals: true}
		var refs []Ref
		add := func(expr hcl.Expression) {
			w, ds := c.walkExpr(expr, sc)
			diags = append(diags, ds...)
			refs = append(refs, w.refs...)
			a.readsFiles = a.readsFiles || callsFileFunc(expr)
		}
		for _, name := range a.attrOrder {
			add(a.Attrs[name].Expr)
		}
		for _, s := range a.Shots {
			add(s.Duration)
			add(s.Scene)
		}
		if a.dependsOn != nil {
			r, ds := c.dependsOn(a.dependsOn)
			diags = append(diags, ds...)
			refs = append(refs, r...)
		}
		a.Refs = dedupRefs(refs)
	}
	for _, o := range c.Outputs {
		w, ds := c.walkExpr(o.Value, scope{what: "an output", assets: true, locals: true})
		diags = append(diags, ds...)
		o.Refs = dedupRefs(w.refs)
	}
	if diags.HasErrors() {
		return diags
	}
	return c.checkCycles()
}

// fileFuncNames are the functions whose reads Eval records.
var fileFuncNames = map[string]bool{"file": true, "fileexists": true, "filesha256": true, "templatefile": true}

// callsFileFunc tells whether expr may call a function that reads a file. An expression of
// the JSON syntax cannot be inspected, so it may.
func callsFileFunc(expr hcl.Expression) bool {
	native, ok := expr.(hclsyntax.Expression)
	if !ok {
		return true
	}
	found := false
	hclsyntax.VisitAll(native, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok && fileFuncNames[call.Name] {
			found = true
		}
		return nil
	})
	return found
}

// dependsOn reads a depends_on list of asset references.
func (c *Config) dependsOn(expr hcl.Expression) ([]Ref, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(expr)
	if diags.HasErrors() {
		return nil, diags
	}
	var refs []Ref
	for _, e := range exprs {
		tr, ds := hcl.AbsTraversalForExpr(e)
		if ds.HasErrors() || !isKind(tr.RootName()) {
			diags = append(diags, errorAt(e.Range(), "Invalid depends_on reference",
				"depends_on lists assets, bare: depends_on = [image.hero, chat.tagline]."))
			continue
		}
		r, ds := c.checkRef(tr)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			refs = append(refs, r)
		}
	}
	return refs, diags
}

func dedupRefs(refs []Ref) []Ref {
	if len(refs) < 2 {
		return refs
	}
	seen := make(map[string]bool, len(refs))
	out := refs[:0]
	for _, r := range refs {
		k := r.Kind + "." + r.Name + keyString(r.Key)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// checkCycles reports each set of assets that depend on each other as one diagnostic.
func (c *Config) checkCycles() hcl.Diagnostics {
	index := make(map[*Asset]int, len(c.Assets))
	for i, a := range c.Assets {
		index[a] = i
	}
	deps := make([][]int, len(c.Assets))
	for i, a := range c.Assets {
		for _, r := range a.Refs {
			deps[i] = append(deps[i], index[c.assets[r.Kind+"."+r.Name]])
		}
	}
	var diags hcl.Diagnostics
	for _, comp := range components(len(c.Assets), func(i int) []int { return deps[i] }) {
		if !isCycle(comp, deps) {
			continue
		}
		sort.Ints(comp)
		members := map[string]bool{}
		names := make([]string, len(comp))
		for j, i := range comp {
			names[j] = c.Assets[i].Addr()
			members[names[j]] = true
		}
		first := c.Assets[comp[0]]
		rng := first.DeclRange
		for _, r := range first.Refs {
			if members[r.Kind+"."+r.Name] {
				rng = r.Range
				break
			}
		}
		detail := fmt.Sprintf("%s depend on each other, so none of them can be generated first. "+
			"Break the cycle by removing one of the references.", joinAnd(names))
		if len(comp) == 1 {
			detail = fmt.Sprintf("%s refers to itself, so it cannot be generated. Remove the reference.", names[0])
		}
		diags = append(diags, errorAt(rng, "Dependency cycle", detail))
	}
	return diags
}

// components returns the strongly connected components of a graph of n nodes (Tarjan's
// algorithm), each component after every component it reaches: dependencies first.
func components(n int, edges func(int) []int) [][]int {
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	var visit func(v int)
	visit = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range edges(v) {
			if index[w] < 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			out = append(out, comp)
		}
	}
	for v := 0; v < n; v++ {
		if index[v] < 0 {
			visit(v)
		}
	}
	return out
}

// isCycle tells whether a component is a cycle: more than one node, or a node on itself.
func isCycle(comp []int, deps [][]int) bool {
	if len(comp) > 1 {
		return true
	}
	for _, d := range deps[comp[0]] {
		if d == comp[0] {
			return true
		}
	}
	return false
}
