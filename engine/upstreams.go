package engine

import "github.com/zclconf/go-cty/cty"

// Upstreams returns, for every change of the plan, the addresses of the plan's changes it
// waits for: the instances it references (each instance of a block it references whole) and a
// delete that frees its output path. It is the graph apply walks, without its barriers, for a
// scheduler outside this process (the pg backend's runs).
func (p *Plan) Upstreams() map[string][]string {
	inPlan := map[string]*Change{}
	byBlock := map[string][]string{}
	freed := map[string]string{}
	for _, ch := range p.Changes {
		inPlan[ch.Addr] = ch
		if ch.Action == Delete {
			if ch.Path != "" {
				freed[ch.Path] = ch.Addr
			}
			continue
		}
		if in := p.planner.insts[ch.Addr]; in != nil {
			block := in.si.Asset.Addr()
			byBlock[block] = append(byBlock[block], ch.Addr)
		}
	}
	ups := make(map[string][]string, len(p.Changes))
	for _, ch := range p.Changes {
		in := p.planner.insts[ch.Addr]
		if ch.Action == Delete || in == nil {
			ups[ch.Addr] = nil
			continue
		}
		seen := map[string]bool{ch.Addr: true}
		add := func(a string) {
			if !seen[a] && inPlan[a] != nil {
				seen[a] = true
				ups[ch.Addr] = append(ups[ch.Addr], a)
			}
		}
		if d, ok := freed[ch.Path]; ok && ch.Path != "" {
			add(d)
		}
		for _, r := range in.si.Asset.Refs {
			if r.Key == cty.NilVal {
				for _, a := range byBlock[r.Kind+"."+r.Name] {
					add(a)
				}
				continue
			}
			add(r.Addr())
		}
		if ups[ch.Addr] == nil {
			ups[ch.Addr] = []string{}
		}
	}
	return ups
}
