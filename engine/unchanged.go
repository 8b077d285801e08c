package engine

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/state"
)

// unchanged reports whether rec still answers the request: the same input hash, or a hash
// that differs only in attributes lifecycle.ignore_changes names.
func (p *planner) unchanged(in *instance, rec *state.Record, hash string, files map[string]string) bool {
	a := in.si.Asset
	if rec.InputHash == hash || a.IgnoreAll {
		return true
	}
	if len(a.IgnoreChanges) == 0 {
		return false
	}
	fields := make(map[string]any, len(in.req.fields))
	for k, v := range in.req.fields {
		fields[k] = v
	}
	model := in.req.req.Model
	for _, name := range a.IgnoreChanges {
		switch name {
		case "model":
			model = rec.Model
			continue
		case "shot":
			name = "shots" // the blocks are written shot, recorded as the list shots
		}
		if old, ok := rec.Request[name]; ok {
			fields[name] = old
		} else {
			delete(fields, name)
		}
	}
	return inputHash(p.hashInput(in, model, fields, files)) == rec.InputHash
}

// checkOutput decides between no-op and restore or regenerate for an instance whose input
// is unchanged, by looking at its output file (stat first, content only when stat differs).
func (p *planner) checkOutput(in *instance, rec *state.Record) {
	ch := in.change
	ch.Action = NoOp
	want := in.req.path
	if want == "" && rec.Output == nil {
		p.known(in, rec)
		return
	}
	reason := ""
	switch {
	case rec.Output == nil || rec.Output.Path != want:
		reason = "output path changed"
		if rec.Output != nil && want != "" {
			reason = fmt.Sprintf("output path changed from %s", rec.Output.Path)
		}
		if want == "" {
			p.known(in, rec) // chat whose path was removed: the text stays in state
			return
		}
	default:
		switch p.outputStatus(rec.Output) {
		case outputMissing:
			reason = "output file missing"
		case outputModified:
			reason = "output file changed on disk"
		}
	}
	if reason == "" {
		p.known(in, rec)
		return
	}
	ch.Reasons = append(ch.Reasons, reason)
	if p.restorable(rec) {
		ch.Action = Restore
		ch.From = rec
		p.known(in, rec)
		return
	}
	ch.Action = Regenerate
	ch.Reasons = append(ch.Reasons, noCopyReason)
	p.willGenerate(in)
}

type outputStatus int

const (
	outputOK outputStatus = iota
	outputMissing
	outputModified
)

func (p *planner) outputStatus(o *state.Output) outputStatus {
	abs := filepath.Join(p.cfg.Dir, filepath.FromSlash(o.Path))
	if p.opts.Stat != nil {
		// one stat: the stat cache knows the hash of a file that did not change since
		size, unchanged, sha, err := p.opts.Stat.Stat(abs)
		switch {
		case err != nil:
			return outputMissing
		case size != o.Size:
			return outputModified
		case unchanged && sha == o.SHA256:
			return outputOK
		case unchanged:
			return outputModified
		}
	} else if fi, err := os.Stat(abs); err != nil || !fi.Mode().IsRegular() {
		return outputMissing
	} else if fi.Size() != o.Size {
		return outputModified
	}
	// Hashed through the stat cache, not p.files: an output is no file the plan read (the
	// records list those, and a partial plan that finds a changed instance's output among
	// them falls back to a whole plan).
	var sha string
	var err error
	if p.opts.Stat != nil {
		sha, _, err = p.opts.Stat.Hash(abs)
	} else {
		sha, err = hashFile(abs)
	}
	if err != nil {
		return outputMissing
	}
	if sha != o.SHA256 {
		return outputModified
	}
	return outputOK
}

// restorable reports whether rec's output can be brought back without generating.
func (p *planner) restorable(rec *state.Record) bool {
	if asset.IsText(rec.Kind) {
		return true // the text is in the record
	}
	if rec.Output == nil {
		return false
	}
	// the recorded file still in place (a moved block that also changed the path) is copied
	// into the cache by the restore
	return p.cache != nil && (p.cache.Has(rec.Output.SHA256) || p.outputStatus(rec.Output) == outputOK)
}
