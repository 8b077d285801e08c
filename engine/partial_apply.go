package engine

import (
	"encoding/hex"
	"maps"
	"path/filepath"
	"sync"

	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
)

// ApplyWatch follows an apply for the partial record of the state it leaves: it is the
// apply's Hook (passing every call on to the hook it wraps), remembers how each instance's
// apply ended (Finished, and Settled for the no-ops that take no slot), and what the plan
// had read before anything ran.
type ApplyWatch struct {
	Hook
	planned map[string]string // the files the plan read, as it read them, before the apply

	mu       sync.Mutex
	outcomes map[string]instOutcome // by instance address
}

// instOutcome is how one instance's apply ended.
type instOutcome struct {
	status Status
	action Action
	path   string // the output path as the instance was carried out
	moved  bool
	out    string // the output path of the record it made, if any
}

// WatchApply starts following the apply of plan, whose progress goes to hook (nil: none).
// Call it after the plan, before Apply.
func WatchApply(plan *Plan, hook Hook) *ApplyWatch {
	if hook == nil {
		hook = NopHook{}
	}
	w := &ApplyWatch{Hook: hook, outcomes: map[string]instOutcome{}}
	if p := plan.planner; p != nil {
		p.files.mu.Lock()
		w.planned = maps.Clone(p.files.seen)
		p.files.mu.Unlock()
	}
	return w
}

// Finished remembers the outcome and passes it on.
func (w *ApplyWatch) Finished(ch *Change, o *Outcome) {
	a := instOutcome{status: o.Status, action: o.Action, path: ch.Path, moved: ch.MovedFrom != ""}
	if o.Record != nil && o.Record.Output != nil {
		a.out = o.Record.Output.Path
	}
	w.mu.Lock()
	w.outcomes[ch.Addr] = a
	w.mu.Unlock()
	w.Hook.Finished(ch, o)
}

// Settled remembers a no-op apply settled without a slot (the plan knew it unchanged).
func (w *ApplyWatch) Settled(ch *Change) {
	w.mu.Lock()
	w.outcomes[ch.Addr] = instOutcome{status: Done, action: NoOp, path: ch.Path, moved: ch.MovedFrom != ""}
	w.mu.Unlock()
}

// NewAppliedPartialRecord makes the partial record of the state an apply of plan (followed
// by w) left in st, whose file's sha256 is stateSHA; the other arguments are
// NewPartialRecord's. It vouches only for the blocks whose every instance finished done
// (unchanged, restored or generated) with a record of its output where the instance writes
// it. ok is false when NewPartialRecord would refuse the plan, when the plan printed a
// diagnostic (the caller knows), or when the apply wrote, moved away or replaced a file the
// configuration or the plan read (a read by literal path of another block's output): which
// content an instance used is not known then. The caller checks after writing the state that
// the files the record says were read are still as read (PartialRecord.ReadsHold).
func NewAppliedPartialRecord(key string, cfg *schema.Config, plan *Plan, w *ApplyWatch, st *state.File, stateSHA string, envNames []string, getenv func(string) (string, bool)) (*PartialRecord, bool) {
	p := plan.planner
	if p == nil || w == nil || len(plan.Targets) > 0 || len(plan.Replace) > 0 || len(plan.Moves) > 0 || len(cfg.Moved) > 0 ||
		cfg.Cache != nil || cfg.Settings.Backend != nil {
		return nil, false
	}
	inputs, ok := planInputs(key, cfg, plan, stateSHA, envNames, getenv)
	if !ok {
		return nil, false
	}
	for name, sha := range w.planned {
		if now, ok := inputs.Files[name]; ok && now != sha {
			return nil, false // read again during the apply, with other contents
		}
		inputs.Files[name] = sha
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	written := map[string]bool{}
	for _, ch := range plan.Changes {
		if ch.Action != NoOp && ch.Path != "" {
			written[ch.Path] = true
		}
	}
	for _, a := range w.outcomes {
		if a.action != NoOp && a.path != "" {
			written[a.path] = true
		}
		if a.out != "" {
			written[a.out] = true
		}
	}
	for f := range written {
		if _, read := inputs.Files[f]; read {
			return nil, false
		}
	}
	return newPartial(cfg, inputs, func(a *schema.Asset, addr string) (PartialInst, bool, bool) {
		o, ok := w.outcomes[addr]
		in := p.insts[addr]
		if !ok || o.status != Done || o.moved || in == nil || in.invalid {
			return PartialInst{}, false, true // failed, skipped, interrupted, not started
		}
		pi, ok := partialInst(addr, a, o.path, st.Records[addr])
		return pi, ok && st.Records[addr] != nil, true
	})
}

// ReadsHold reports whether the configuration files, the var files and every file the
// configuration and the plan read are still as the record says (hashed through stat when it
// is not nil): an apply checks it once its state is written, so that the record stands for
// nothing edited while it ran.
func (r *PartialRecord) ReadsHold(dir string, stat *state.StatCache) bool {
	in := r.Inputs
	if in == nil || !in.configHolds(dir, stat) {
		return false
	}
	same := func(abs, sha string) bool {
		got, err := hashThrough(stat, abs)
		return err == nil && got == sha
	}
	for path, sha := range in.VarFiles {
		if !same(path, sha) {
			return false
		}
	}
	for rel, sha := range in.Files {
		if !same(filepath.Join(dir, filepath.FromSlash(rel)), sha) {
			return false
		}
	}
	return true
}

// VouchedBlocks lists the asset blocks the record knows unchanged, in declaration order;
// false when the record cannot be read. It reads the record's body: call it at most once on a
// record read from a file, and do not use the record for a plan after.
func (r *PartialRecord) VouchedBlocks() ([]string, bool) {
	if !r.readRest() {
		return nil, false
	}
	var out []string
	for _, a := range r.Assets {
		if a.Vouched {
			out = append(out, a.Addr)
		}
	}
	return out, true
}

// AppliedNoop is the no-op record of the state st an apply left, made from the record of
// that apply (NewAppliedPartialRecord's): only when the record vouches for every block and
// st holds a record for each of their instances and nothing else (no record a plan would
// delete, no job left to resume), so that a whole plan would find nothing to do.
func (r *PartialRecord) AppliedNoop(st *state.File) (*NoopRecord, bool) {
	if r.Inputs == nil || len(st.Jobs) > 0 {
		return nil, false
	}
	n := *r.Inputs
	n.Outputs, n.OutputsSum, n.path = nil, "", ""
	count := 0
	for _, a := range r.Assets {
		if !a.Vouched {
			return nil, false
		}
		for _, in := range a.Insts {
			addr := in.Addr
			if addr == "" {
				addr = a.Addr
			}
			if st.Records[addr] == nil {
				return nil, false
			}
			count++
			if in.Path != "" {
				n.Outputs = append(n.Outputs, NoopOutput{Path: in.Path, Size: in.Size, SHA256: hex.EncodeToString(in.SHA256)})
			}
		}
	}
	if count != len(st.Records) {
		return nil, false // a record no block declares: the plan deletes it
	}
	return &n, true
}
