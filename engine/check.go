package engine

import (
	"github.com/genform/genform/providers"
	"github.com/genform/genform/schema"
	"github.com/hashicorp/hcl/v2"
)

// Check asks each instance's provider about its request, with every asset value unknown (as
// validate sees them): unsupported values, models of the wrong kind, misspellings. It reads
// no state and no network.
func Check(cfg *schema.Config, provs map[string]providers.Provider) hcl.Diagnostics {
	p := &planner{cfg: cfg, opts: Options{Providers: provs}, files: newFileHasher(cfg.Dir, nil), blocks: newBlocks(), outputs: map[string]string{}}
	for _, si := range cfg.Instances {
		p.blocks.add(&instance{si: si})
	}
	for _, a := range cfg.Assets {
		p.blocks.declare(a)
	}
	var diags hcl.Diagnostics
	for _, a := range cfg.Assets {
		_, prov, d := p.provider(a)
		diags = append(diags, d...)
		if prov == nil {
			continue
		}
		scope := p.blocks.scope(a.Refs) // every value unknown
		for _, si := range a.Instances {
			res, d := cfg.Eval(si, scope)
			if d.HasErrors() {
				continue // Validate reports evaluation errors
			}
			in := &instance{si: si, provider: prov, req: newRequest(a.Kind, res)}
			in.report(infiniteDiags(si, in.req.infinite))
			p.check(in, in.req)
			diags = append(diags, in.diags...)
		}
	}
	return dedupe(diags)
}

// dedupe drops repeats of the same diagnostic at the same place: a misspelt value in a block
// with 10,000 instances is one mistake.
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	seen := map[string]bool{}
	out := diags[:0:0]
	for _, d := range diags {
		key := d.Summary
		if d.Subject != nil {
			key += d.Subject.String()
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, d)
	}
	return out
}
