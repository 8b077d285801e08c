package engine

import (
	"os"

	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
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

// pathDiff is the `~ path` line of a change that also moves its output.
func pathDiff(rec *state.Record, req *request) []AttrDiff {
	if rec == nil || rec.Output == nil || req.path == "" || rec.Output.Path == req.path {
		return nil
	}
	return []AttrDiff{{Name: "path", Before: rec.Output.Path, After: req.path}}
}

// moveOldOutput moves the file a regenerated instance wrote at its previous path into the
// cache, as a delete does, once the new output is in place: the path changed with the input.
// A path another instance of the plan writes is left to it.
func (e *executor) moveOldOutput(ch *Change) {
	b := ch.Before
	if b == nil || b.Output == nil || b.Output.Path == "" || b.Output.Path == ch.Path || e.opts.Cache == nil {
		return
	}
	if _, mine := e.p.output(b.Output.Path); mine {
		return
	}
	old, err := e.outputPath(b.Output.Path)
	if err != nil {
		return
	}
	if fi, err := os.Lstat(old); err != nil || !fi.Mode().IsRegular() {
		return
	}
	_, _ = e.opts.Cache.Stash(old) // best effort: the new output is in place and recorded
}
