package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"

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

// check asks the provider about the request and turns its problems into diagnostics at the
// attribute they concern.
func (p *planner) check(in *instance, req *request) {
	for _, pr := range in.provider.Check(req.req) {
		sev := hcl.DiagError
		if pr.Warning {
			sev = hcl.DiagWarning
		}
		subject := in.si.Asset.DeclRange
		if at := in.si.Asset.Attrs[pr.Field]; at != nil {
			subject = at.Expr.Range()
		}
		in.report(hcl.Diagnostics{{
			Severity: sev,
			Summary:  pr.Summary,
			Detail:   strings.TrimSpace(in.si.Addr + ": " + pr.Detail),
			Subject:  &subject,
		}})
	}
}

// checkOutputRefs reports file attributes that name another instance's output by its literal
// path instead of referencing it: genform would not know to generate that one first.
func (p *planner) checkOutputRefs() {
	byPath := map[string]*instance{}
	for _, in := range p.order {
		if in.req != nil && in.req.path != "" {
			byPath[in.req.path] = in
		}
	}
	for _, in := range p.order {
		if in.req == nil {
			continue
		}
		deps := map[string]bool{}
		for _, r := range in.si.Asset.Refs {
			deps[r.Kind+"."+r.Name] = true
		}
		for _, name := range in.req.files {
			up := byPath[name]
			if up == nil || up == in || deps[up.si.Asset.Addr()] {
				continue
			}
			p.diags = append(p.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Output used by its path, not by reference",
				Detail: fmt.Sprintf("%s reads %s, the output of %s. Write %s.path instead of the literal path, so genform knows to generate it first.",
					in.si.Addr, name, up.si.Addr, up.si.Addr),
				Subject: fileAttrRange(in.si.Asset),
			})
		}
	}
}

// budget refuses a plan whose paid changes are estimated above the genform block's budget.
func (p *planner) budget(plan *Plan) hcl.Diagnostics {
	b := p.cfg.Settings.Budget
	if b == nil {
		return nil
	}
	usd, unknown := plan.Cost()
	r := p.cfg.Settings.BudgetRange
	if unknown > 0 {
		return hcl.Diagnostics{unpricedDiag(plan, unknown, *b, r)}
	}
	if usd <= *b+1e-9 {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Plan exceeds the budget",
		Detail: fmt.Sprintf("The estimated cost of this plan is $%.2f, above the budget of $%.2f. Raise budget in the genform block, or generate less at once with -target.",
			usd, *b),
		Subject: &r,
	}}
}

// unpricedDiag refuses a plan whose paid changes include some of unknown cost while a budget
// is set: the budget cannot be checked, and "unknown" must not slip past it as $0.
func unpricedDiag(plan *Plan, unknown int, budget float64, r hcl.Range) *hcl.Diagnostic {
	models := map[string]string{} // model -> provider address
	for _, ch := range plan.Changes {
		if ch.Action.Paid() && !ch.Cost.Known {
			models[ch.Model] = ch.Provider
		}
	}
	var list []string
	for _, m := range slices.Sorted(maps.Keys(models)) {
		list = append(list, fmt.Sprintf("%s (provider %s)", m, models[m]))
	}
	example := slices.Sorted(maps.Keys(models))[0]
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Plan has changes of unknown cost",
		Detail: fmt.Sprintf("%d paid change(s) have no known price, so the budget of $%.2f cannot be checked: %s. "+
			"Give each model its price per request in its provider block, e.g. prices = { %q = 0.12 }, or remove budget from the genform block.",
			unknown, budget, strings.Join(list, ", "), example),
		Subject: &r,
	}
}
