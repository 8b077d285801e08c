package engine

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
)

// NewProviders builds every provider the configuration declares or its assets need, with the
// factories of reg. It touches no network.
func NewProviders(cfg *schema.Config, reg providers.Registry, getenv func(string) string) (map[string]providers.Provider, hcl.Diagnostics) {
	out := map[string]providers.Provider{}
	var diags hcl.Diagnostics
	for _, pc := range cfg.Providers {
		factory := reg[pc.Type]
		if factory == nil {
			r := pc.DeclRange
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown provider type",
				Detail:   fmt.Sprintf("There is no provider %q. The providers are: %s.", pc.Type, strings.Join(slices.Sorted(maps.Keys(reg)), ", ")),
				Subject:  &r,
			})
			continue
		}
		p, d := factory(providers.Config{
			Type: pc.Type, Alias: pc.Alias, Body: pc.Body,
			EvalContext: cfg.EvalContext(), Dir: cfg.Dir, Getenv: getenv,
		})
		diags = append(diags, d...)
		if p != nil {
			out[pc.Addr()] = p
		}
	}
	// an asset may name an unaliased provider type that has no block: it runs with defaults
	for _, a := range cfg.Assets {
		addr := cfg.ProviderFor(a)
		if addr == "" || out[addr] != nil || strings.Contains(addr, ".") {
			continue
		}
		if factory := reg[addr]; factory != nil {
			p, d := factory(providers.Config{
				Type: addr, Body: hcl.EmptyBody(),
				EvalContext: cfg.EvalContext(), Dir: cfg.Dir, Getenv: getenv,
			})
			diags = append(diags, d...)
			if p != nil {
				out[addr] = p
			}
		}
	}
	return out, diags
}

// provider finds the provider of an asset among the configured ones.
func (p *planner) provider(a *schema.Asset) (string, providers.Provider, hcl.Diagnostics) {
	addr := p.cfg.ProviderFor(a)
	subject := a.DeclRange
	if a.Provider != "" {
		subject = a.ProviderRange
	}
	if addr == "" {
		var names []string
		for _, pc := range p.cfg.Providers {
			names = append(names, pc.Addr())
		}
		return "", nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Which provider?",
			Detail:   fmt.Sprintf("%s does not say its provider, and several are declared (%s). Add provider = one of them.", a.Addr(), strings.Join(names, ", ")),
			Subject:  &subject,
		}}
	}
	prov := p.opts.Providers[addr]
	if prov == nil {
		return addr, nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Provider not configured",
			Detail:   fmt.Sprintf("%s uses provider %s, which is not declared. Add a provider %q block.", a.Addr(), addr, strings.SplitN(addr, ".", 2)[0]),
			Subject:  &subject,
		}}
	}
	return addr, prov, nil
}

// diffRequest lists the attributes whose values differ between the record and the request.
func diffRequest(rec *state.Record, req *request, provType string) []AttrDiff {
	var before map[string]any
	if rec != nil {
		before = rec.Request
	}
	names := map[string]bool{}
	for k := range before {
		names[k] = true
	}
	for k := range req.fields {
		names[k] = true
	}
	unknown := map[string]bool{}
	for _, k := range req.unknown {
		names[k] = true
		unknown[k] = true
	}
	var out []AttrDiff
	if rec != nil && provType != "" && rec.Provider != provType {
		out = append(out, AttrDiff{Name: "provider", Before: rec.Provider, After: provType})
	}
	if rec != nil && req.req.Model != "" && rec.Model != req.req.Model {
		out = append(out, AttrDiff{Name: "model", Before: rec.Model, After: req.req.Model})
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "model" {
			continue
		}
		b, hadB := before[k]
		a, hasA := req.fields[k]
		switch {
		case unknown[k]:
			out = append(out, AttrDiff{Name: k, Before: b, Unknown: true})
		case hadB && hasA && sameJSON(b, a):
		case !hadB && !hasA:
		default:
			out = append(out, AttrDiff{Name: k, Before: b, After: a})
		}
	}
	return out
}

func diffNames(d []AttrDiff) string {
	names := make([]string, len(d))
	for i, x := range d {
		names[i] = x.Name
	}
	return strings.Join(names, ", ")
}

// knownDiffNames names the changed attributes whose new value is known.
func knownDiffNames(d []AttrDiff) string {
	var names []string
	for _, x := range d {
		if !x.Unknown {
			names = append(names, x.Name)
		}
	}
	return strings.Join(names, ", ")
}
