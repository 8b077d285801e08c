package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/genform/genform/schema"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// blockOrder sorts the assets so every block comes after the blocks it references, keeping
// declaration order among independent ones. schema reports cycles with their members; a cycle
// here is reported again rather than looping.
func blockOrder(cfg *schema.Config) ([]*schema.Asset, hcl.Diagnostics) {
	decl := make([]declared, len(cfg.Assets))
	for i, a := range cfg.Assets {
		decl[i] = declared{addr: a.Addr(), refs: assetRefs(a)}
	}
	var diags hcl.Diagnostics
	at := dependencyOrder(decl, func(i int) {
		a := cfg.Assets[i]
		r := a.DeclRange
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Dependency cycle",
			Detail:   a.Addr() + " depends on itself through its references.",
			Subject:  &r,
		})
	})
	order := make([]*schema.Asset, len(at))
	for i, j := range at {
		order[i] = cfg.Assets[j]
	}
	return order, diags
}

// declared is one block in declaration order, with the blocks it references.
type declared struct {
	addr  string
	refs  []string
	isNew bool // (partial plans) declared in a piece the record does not know
}

// dependencyOrder orders blocks (their indexes in decl) so every block comes after the
// blocks it references, keeping declaration order among independent ones: a depth-first
// walk in declaration order. cycle is told of each block met again while it is being
// walked.
func dependencyOrder(decl []declared, cycle func(i int)) []int {
	byAddr := make(map[string]int, len(decl))
	for i, d := range decl {
		byAddr[d.addr] = i
	}
	const (
		unvisited = iota
		visiting
		done
	)
	mark := make([]int, len(decl))
	order := make([]int, 0, len(decl))
	var visit func(i int)
	visit = func(i int) {
		switch mark[i] {
		case done:
			return
		case visiting:
			cycle(i)
			return
		}
		mark[i] = visiting
		for _, r := range decl[i].refs {
			if up, ok := byAddr[r]; ok && up != i {
				visit(up)
			}
		}
		mark[i] = done
		order = append(order, i)
	}
	for i := range decl {
		visit(i)
	}
	return order
}

// blockLevels groups blocks in dependency order into levels: a block's level is one more
// than the highest level of the blocks it references, so the blocks of one level are
// independent of each other and can be planned at once. Each level keeps order's order.
func blockLevels(order []*schema.Asset) [][]*schema.Asset {
	level := make(map[string]int, len(order))
	var levels [][]*schema.Asset
	for _, a := range order {
		l := 0
		for _, r := range a.Refs {
			if up, ok := level[r.Kind+"."+r.Name]; ok && r.Kind+"."+r.Name != a.Addr() {
				l = max(l, up+1)
			}
		}
		level[a.Addr()] = l
		if l == len(levels) {
			levels = append(levels, nil)
		}
		levels[l] = append(levels[l], a)
	}
	return levels
}

// refMatches reports whether a parsed address (schema.ParseRef) names an instance or its block.
func refMatches(r schema.Ref, si *schema.Instance) bool {
	if si.Asset.Kind != r.Kind || si.Asset.Name != r.Name {
		return false
	}
	if r.Key == cty.NilVal {
		return true
	}
	return keyEqual(si.Key, r.Key)
}

func keyEqual(k, want cty.Value) bool {
	if k == cty.NilVal {
		return false
	}
	if k.Type() == want.Type() {
		return k.Equals(want).True()
	}
	// image.hero["0"] on a count block, or image.hero[0] on a for_each: compare as text
	return keyString(k) == keyString(want)
}

func keyString(k cty.Value) string {
	switch k.Type() {
	case cty.String:
		return k.AsString()
	case cty.Number:
		return k.AsBigFloat().Text('f', -1)
	}
	return ""
}

// matcher parses addresses given on the command line and returns a predicate over instances.
func (p *planner) matcher(addrs []string, flag string) (func(*schema.Instance) bool, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var parsed []schema.Ref
	for _, addr := range addrs {
		a, d := schema.ParseRef(addr)
		if d.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + flag + " address", Detail: d[0].Detail})
			continue
		}
		found := false
		for _, si := range p.cfg.Instances {
			if refMatches(a, si) {
				found = true
				break
			}
		}
		if !found && p.records[a.Addr()] == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No such instance",
				Detail:   fmt.Sprintf("%s %s matches no declared or recorded instance. Run 'genform state list' to see the addresses.", flag, addr),
			})
			continue
		}
		parsed = append(parsed, a)
	}
	return func(si *schema.Instance) bool {
		for _, a := range parsed {
			if refMatches(a, si) {
				return true
			}
		}
		return false
	}, diags
}

// targetSet returns the addresses a -target plan covers: the targets and everything they
// depend on, transitively. nil means no -target: everything.
func (p *planner) targetSet(targets []string) (map[string]bool, hcl.Diagnostics) {
	if len(targets) == 0 {
		return nil, nil
	}
	match, diags := p.matcher(targets, "-target")
	if diags.HasErrors() {
		return nil, diags
	}
	set := map[string]bool{}
	var queue []*instance
	for _, si := range p.cfg.Instances {
		if match(si) {
			queue = append(queue, p.insts[si.Addr])
		}
	}
	doneBlocks := map[string]bool{}
	for len(queue) > 0 {
		in := queue[0]
		queue = queue[1:]
		if set[in.si.Addr] {
			continue
		}
		set[in.si.Addr] = true
		for _, r := range in.si.Asset.Refs {
			if r.Key == cty.NilVal {
				if doneBlocks[r.Kind+"."+r.Name] {
					continue
				}
				doneBlocks[r.Kind+"."+r.Name] = true
			}
			queue = append(queue, p.refInstances(r)...)
		}
	}
	return set, diags
}

// ConfigHash identifies a configuration: its files and resolved variable values. A saved plan
// carries it, and is refused when the configuration it was made from has changed.
func ConfigHash(cfg *schema.Config) string {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(cfg.Files)) {
		fmt.Fprintf(h, "file %s %d\n", name, len(cfg.Files[name].Bytes))
		h.Write(cfg.Files[name].Bytes)
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Vars)) {
		v, _ := jsonValue(cfg.Vars[name])
		b, _ := json.Marshal(v)
		fmt.Fprintf(h, "var %s %s\n", name, b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Graph renders the instance dependency graph in DOT: one node per instance, an edge from
// each instance to every instance it waits for.
func Graph(cfg *schema.Config) string {
	byBlock := map[string][]string{}
	for _, si := range cfg.Instances {
		byBlock[si.Asset.Addr()] = append(byBlock[si.Asset.Addr()], si.Addr)
	}
	var b strings.Builder
	b.WriteString("digraph genform {\n  rankdir = \"LR\";\n  node [shape = box];\n")
	for _, si := range cfg.Instances {
		fmt.Fprintf(&b, "  %s [label = %s];\n", dotID(si.Addr), dotID(si.Addr))
	}
	for _, si := range cfg.Instances {
		var ups []string
		for _, r := range si.Asset.Refs {
			block := r.Kind + "." + r.Name
			if r.Key != cty.NilVal {
				ups = append(ups, r.Addr())
			} else {
				ups = append(ups, byBlock[block]...)
			}
		}
		sort.Strings(ups)
		for i, up := range ups {
			if i > 0 && ups[i-1] == up {
				continue
			}
			fmt.Fprintf(&b, "  %s -> %s;\n", dotID(si.Addr), dotID(up))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func dotID(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Closure answers which instances a targeted plan covers, from the configuration alone (no
// state, no files read): a runner reads from the backend only the records of those.
type Closure struct{ p *planner }

// NewClosure indexes cfg's instances and their references.
func NewClosure(cfg *schema.Config) *Closure {
	p := &planner{cfg: cfg, blocks: newBlocks(), insts: make(map[string]*instance, len(cfg.Instances))}
	for _, si := range cfg.Instances {
		in := &instance{si: si}
		p.insts[si.Addr] = in
		p.blocks.add(in)
	}
	for _, a := range cfg.Assets {
		p.blocks.declare(a)
	}
	return &Closure{p: p}
}

// Covered returns, sorted, the addresses a plan with these targets covers: the targets and
// everything they depend on, transitively (what NewPlan's Options.Targets plans).
func (g *Closure) Covered(targets []string) ([]string, hcl.Diagnostics) {
	set, diags := g.p.targetSet(targets)
	return slices.Sorted(maps.Keys(set)), diags
}
