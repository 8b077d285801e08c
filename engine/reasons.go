package engine

import (
	"github.com/genform/genform/schema"
	"github.com/zclconf/go-cty/cty"
)

// upstreamReasons names what makes an instance's input unknown until apply: the changing
// instance a reference names, or its block when several of the instances it may mean change
// (image.hero[each.key] cannot say which one it reads, and listing them all would make
// every downstream instance's reasons as long as the upstream block).
func (p *planner) upstreamReasons(in *instance, files []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range in.si.Asset.Refs {
		what := ""
		for _, up := range p.refInstances(r) {
			if up.change == nil || p.blocks.known(up) {
				continue
			}
			if what != "" {
				what = r.Kind + "." + r.Name
				break
			}
			what = up.si.Addr
		}
		if what != "" && !seen[what] {
			seen[what] = true
			out = append(out, what+" changes")
		}
	}
	for _, f := range files {
		if !p.writtenBy(in, f, seen) {
			out = append(out, f+" will be generated")
		}
	}
	if len(out) == 0 {
		out = append(out, "an upstream value is known only after apply")
	}
	return out
}

// writtenBy reports whether f is the output of an upstream of in already named in seen.
func (p *planner) writtenBy(in *instance, f string, seen map[string]bool) bool {
	for _, r := range in.si.Asset.Refs {
		for _, up := range p.refInstances(r) {
			if up.req != nil && up.req.path == f && (seen[up.si.Addr] || seen[r.Kind+"."+r.Name]) {
				return true
			}
		}
	}
	return false
}

// refInstances lists the instances a reference names.
func (p *planner) refInstances(r schema.Ref) []*instance {
	bv := p.blocks.byAddr[r.Kind+"."+r.Name]
	if bv == nil {
		return nil
	}
	if r.Key == cty.NilVal {
		return bv.insts
	}
	if in := p.insts[r.Addr()]; in != nil {
		return []*instance{in}
	}
	return nil
}
