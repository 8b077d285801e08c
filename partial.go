package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/genform/genform/backend"
	"github.com/genform/genform/engine"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
)

// The partial record (.genform/partial.gob) lets plan load, evaluate and plan only the
// blocks whose pieces of the configuration changed since the last whole plan, the blocks
// that read them and what those read, and know every other instance unchanged
// (engine.PartialRecord says what it covers). Plan writes it after a whole plan that printed
// no diagnostic; when anything it cannot vouch for changed, or the plan of the pieces
// shows anything but a clean plan, plan does the whole work, so deleting it changes nothing
// but the time taken.

// partialPath is where the partial record of the project folder dir lives.
func partialPath(dir string) string { return filepath.Join(dir, ".genform", "partial.gob") }

// partialPlan plans from the partial record: ok is false when it cannot, and nothing was
// printed then.
func (c *cli) partialPlan(pf *planFlags) (engine.Changes, bool) {
	dir, err := filepath.Abs(c.dir)
	if err != nil {
		return nil, false
	}
	rec := engine.ReadPartialRecord(partialPath(dir))
	if rec == nil {
		return nil, false
	}
	key := noopKey("plan", dir, pf.vars.values())
	if key == "" {
		return nil, false
	}
	stat := c.stat
	if stat == nil {
		if stat, err = state.OpenStatCache(filepath.Join(dir, ".genform", "stat.cache")); err != nil {
			return nil, false
		}
		c.stat = stat // the whole plan, if it comes to that, uses it too
	}
	sources, ok := configSources(dir)
	if !ok {
		return nil, false
	}
	sel, ok := rec.Select(dir, key, filepath.Join(dir, ".genform", "journal.jsonl"), sources, stat, os.LookupEnv)
	if !ok {
		return nil, false
	}
	cfg, diags := schema.Load(dir, schema.LoadOptions{Vars: pf.vars.values(), Env: os.Environ(), ProviderTypes: providerTypes(), Select: sel.Files})
	if cfg == nil || len(diags) > 0 || cfg.Cache != nil || cfg.Settings.Backend != nil {
		return nil, false
	}
	provs, pdiags := engine.NewProviders(cfg, registry(), c.env.getenv)
	if len(pdiags) > 0 {
		return nil, false
	}
	// the records of the instances known unchanged are not read: the plan of the pieces
	// would only find them no longer declared, which Merge leaves out
	st, err := state.ReadExcept(filepath.Join(dir, cfg.Settings.StatePath), sel.Vouched)
	if errors.Is(err, fs.ErrNotExist) {
		st = state.New()
	} else if err != nil {
		return nil, false
	}
	cache, err := state.OpenCache(filepath.Join(dir, ".genform", "cache"))
	if err != nil {
		return nil, false
	}
	defer cache.Close()
	plan, diags := engine.NewPlan(cfg, st, cache, engine.Options{Providers: provs, Stat: stat})
	if plan == nil || len(diags) > 0 {
		return nil, false
	}
	changes, ok := sel.Merge(cfg, plan)
	if !ok || !rec.StateHolds(dir, stat) { // the state read is the one the record vouched for
		return nil, false
	}
	if stat.Changed() {
		_ = stat.Save() // only a cache: the next plan hashes again what it could not keep
	}
	return changes, true
}

// configSources reads the folder's configuration files by name; false when one cannot be
// read.
func configSources(dir string) (map[string][]byte, bool) {
	names, err := configFiles(dir)
	if err != nil {
		return nil, false
	}
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, false
		}
		out[n] = b
	}
	return out, true
}

// recordPartial keeps the partial record of a whole plan, under the no-op record's
// conditions but whatever the plan's changes. A failure to write it is only warned about.
func (c *cli) recordPartial(p *project, plan *engine.Plan, pf *planFlags, stateSHA string) {
	key := noopKey("plan", p.dir, pf.vars.values())
	if key == "" {
		return
	}
	rec, ok := engine.NewPartialRecord(key, p.cfg, plan, stateSHA, c.env.names(), os.LookupEnv)
	if !ok {
		_ = os.Remove(partialPath(p.dir))
		return
	}
	if err := engine.WritePartialRecord(partialPath(p.dir), rec); err != nil {
		c.ui().Warnf("saving the partial plan record: %v", err)
	}
}

// recordApplied keeps the partial record of the state an apply just wrote (on the local
// state file), so that the plan after it plans only what the apply left to do and what
// changed since: it vouches for the blocks whose every instance is now done
// (engine.NewAppliedPartialRecord), and only when the plan printed no diagnostic (clean)
// and the files the plan read are still as it read them; and when the apply left nothing to
// do, the no-op record too. Otherwise the record of the state before, which no longer
// holds, is removed. A failure to write them is only warned about.
func (c *cli) recordApplied(p *project, plan *engine.Plan, watch *engine.ApplyWatch, clean bool, vars []schema.VarValue) {
	path := partialPath(p.dir)
	rec, ok := c.appliedRecord(p, plan, watch, clean, vars)
	if !ok {
		_ = os.Remove(path)
		return
	}
	if err := engine.WritePartialRecord(path, rec); err != nil {
		c.ui().Warnf("saving the partial plan record: %v", err)
		return
	}
	// nothing left to do: the next plan says so after a stat of each file
	if noop, ok := rec.AppliedNoop(p.st); ok {
		if err := engine.WriteNoopRecord(noopPath(p.dir), noop); err != nil {
			c.ui().Warnf("saving the no-op record: %v", err)
		}
	}
}

// appliedRecord makes recordApplied's record; false when there is none to keep.
func (c *cli) appliedRecord(p *project, plan *engine.Plan, watch *engine.ApplyWatch, clean bool, vars []schema.VarValue) (*engine.PartialRecord, bool) {
	if !clean || p.stat == nil || c.ui().Rendered > 0 {
		return nil, false
	}
	if _, local := p.backend.(*backend.File); !local || p.cfg.Settings.Backend != nil {
		return nil, false // the record covers a state file; a shared backend's state is elsewhere
	}
	key := noopKey("plan", p.dir, vars)
	if key == "" {
		return nil, false
	}
	sha, _, err := p.stat.Hash(p.statePath)
	if err != nil {
		return nil, false
	}
	rec, ok := engine.NewAppliedPartialRecord(key, p.cfg, plan, watch, p.st, sha, c.env.names(), os.LookupEnv)
	if !ok || !rec.ReadsHold(p.dir, p.stat) {
		return nil, false
	}
	return rec, true
}
