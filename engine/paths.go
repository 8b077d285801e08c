package engine

import (
	"github.com/genform/genform/schema"
	"github.com/hashicorp/hcl/v2"
)

// duplicatePaths refuses two instances that write the same output path (paths are cleaned
// when evaluated, so out/./a.png is out/a.png), with validate's diagnostic: plan and apply
// would otherwise pay for both and swap the file between them on every apply. A path known
// only after apply is not compared.
func (p *planner) duplicatePaths() hcl.Diagnostics {
	var diags hcl.Diagnostics
	first := map[string]*instance{}
	pairs := map[[2]*schema.Asset]bool{}
	for _, in := range p.order {
		if in.req == nil || in.req.path == "" || in.invalid {
			continue
		}
		prev := first[in.req.path]
		if prev == nil {
			first[in.req.path] = in
			continue
		}
		pair := [2]*schema.Asset{prev.si.Asset, in.si.Asset}
		if pairs[pair] {
			continue
		}
		pairs[pair] = true
		diags = append(diags, schema.DuplicateOutputPath(prev.si, in.si, in.req.path))
	}
	return diags
}
