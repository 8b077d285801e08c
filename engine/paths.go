package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

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

// folderCheck is InsideProject for one apply, remembering the project folder's real path and
// the folders already found inside it: outputs share a few folders, and resolving every
// folder of the path again costs a stat per path element per output. An output that is
// itself a symbolic link is still refused every time.
type folderCheck struct {
	mu      sync.Mutex
	root    string
	folders map[string]bool // output folders (absolute, no link on the way) found inside root
}

func (f *folderCheck) inside(dir, rel string) (string, error) {
	if rel == "" {
		return "", nil
	}
	f.mu.Lock()
	root, known := f.root, false
	abs := ""
	if root != "" {
		abs = filepath.Join(root, filepath.FromSlash(rel))
		known = f.folders[filepath.Dir(abs)]
	}
	f.mu.Unlock()
	if !known || filepath.IsAbs(rel) {
		var err error
		if abs, err = InsideProject(dir, rel); err != nil {
			return "", err
		}
		if real, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil && real == filepath.Dir(abs) {
			f.mu.Lock()
			if f.folders == nil {
				f.folders = map[string]bool{}
			}
			if r, err := filepath.EvalSymlinks(dir); err == nil {
				f.root = r
			}
			f.folders[real] = true
			f.mu.Unlock()
		}
		return abs, nil
	}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return "", fmt.Errorf("output path %s is a symbolic link; genform writes only regular files", rel)
	}
	return abs, nil
}
