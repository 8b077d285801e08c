package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/genform/genform/backend"
	"github.com/genform/genform/engine"
	"github.com/genform/genform/planfile"
	"github.com/genform/genform/providers"
	"github.com/genform/genform/providers/offline"
	"github.com/genform/genform/providers/wisdomgate"
	"github.com/genform/genform/remote"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
)

// registry lists every provider genform has. It is the only place that names them.
func registry() providers.Registry {
	return providers.Registry{
		"wisdomgate": wisdomgate.New,
		"offline":    offline.New,
	}
}

// providerTypes lists the provider types in name order, so the messages that list them read
// the same on every run.
func providerTypes() []string { return slices.Sorted(maps.Keys(registry())) }

// project is a loaded project folder: its configuration, state and working data.
type project struct {
	dir       string // absolute
	cfg       *schema.Config
	statePath string
	st        *state.File
	stExists  bool // the state file exists (a fresh project has none yet)
	noConfig  bool // the folder has no configuration files (state commands only)
	journal   int  // entries folded in from an interrupted apply's journal
	backend   backend.Backend
	lock      backend.Lock // held by a state-changing command
	providers map[string]providers.Provider
	stat      *state.StatCache
	cache     *state.Cache
	shared    *remote.Cache // the shared output cache; nil when none is declared
	upload    bool          // apply and push write to shared
	// stateBefore is the sha256 of the state file before it was read ("" when absent or
	// unreadable): a no-op record is kept only when the file did not change while planning.
	stateBefore string
}

// The working data under .genform/.
func (p *project) work(name string) string { return filepath.Join(p.dir, ".genform", name) }

// loadConfig loads and checks the configuration, rendering diagnostics. ok is false when
// there were errors.
func (c *cli) loadConfig(vars []schema.VarValue) (*project, bool) {
	dir, err := filepath.Abs(c.dir)
	if err != nil {
		c.ui().Error(err)
		return nil, false
	}
	cfg, diags := schema.Load(dir, schema.LoadOptions{Vars: vars, Env: os.Environ(), ProviderTypes: providerTypes()})
	if cfg == nil || diags.HasErrors() {
		c.ui().Diagnostics(diags, filesOf(cfg))
		return nil, false
	}
	provs, pdiags := engine.NewProviders(cfg, registry(), c.env.getenv)
	diags = append(diags, pdiags...)
	if c.ui().Diagnostics(diags, cfg.Files) {
		return nil, false
	}
	return &project{dir: dir, cfg: cfg, providers: provs, statePath: filepath.Join(dir, cfg.Settings.StatePath)}, true
}

func filesOf(cfg *schema.Config) map[string]*hcl.File {
	if cfg == nil {
		return nil
	}
	return cfg.Files
}

// readState reads the state from the backend, with what an interrupted apply recorded folded
// in, so every instance that finished is known. It writes nothing.
func (c *cli) readState(p *project) bool {
	if !c.openBackend(p) {
		return false
	}
	st, status, err := p.backend.Read(context.Background())
	if err != nil {
		c.ui().Error(err)
		return false
	}
	for _, w := range status.Warnings {
		c.ui().Warnf("%s", w)
	}
	p.st, p.stExists, p.journal = st, status.Exists, status.Pending
	return true
}

// openCaches opens the output cache and the stat cache under .genform/.
func (c *cli) openCaches(p *project) bool {
	var err error
	if p.stat = c.stat; p.stat != nil && p.stat.Path() == p.work("stat.cache") {
		// opened already, by the check of the no-op record
	} else if p.stat, err = state.OpenStatCache(p.work("stat.cache")); err != nil {
		c.ui().Error(err)
		return false
	}
	if p.cache, err = state.OpenCache(p.work("cache")); err != nil {
		c.ui().Error(err)
		return false
	}
	return c.openShared(p)
}

// writeState writes the state through the held lock, folding in what was recorded.
func (c *cli) writeState(p *project) error {
	return p.lock.Write(context.Background(), p.st)
}

// stateOnly reads the state of the project. Inspecting state must work while the
// configuration is broken (a syntax error, a variable without a value): then it warns and
// reads the state file where the configuration put it, as far as it got, else the default.
func (c *cli) stateOnly() (*project, bool) {
	p, ok := c.stateProject()
	return p, ok && c.readState(p)
}

// lockedState opens the state for a command that writes it (who, as the lock names it):
// the state path from the configuration, the lock (waiting up to timeout), held until unlock,
// and the state with any journal an interrupted apply left.
func (c *cli) lockedState(who string, timeout time.Duration) (p *project, unlock func(), ok bool) {
	if p, ok = c.stateProject(); !ok {
		return nil, nil, false
	}
	if p.noConfig && !exists(p.statePath) && !exists(p.work("journal.jsonl")) {
		// no project: say so before the lock makes .genform/ in a folder that is none
		c.sayNoProject("to change")
		return nil, nil, false
	}
	if !c.lockProject(p, who, timeout) {
		p.closeBackend()
		return nil, nil, false
	}
	unlock = func() {
		p.lock.Unlock()
		p.closeBackend()
	}
	if !c.readState(p) {
		unlock()
		return nil, nil, false
	}
	return p, unlock, true
}

// stateProject loads what the state commands need of the configuration: the state path.
func (c *cli) stateProject() (*project, bool) {
	dir, err := filepath.Abs(c.dir)
	if err != nil {
		c.ui().Error(err)
		return nil, false
	}
	cfg, diags := schema.Load(dir, schema.LoadOptions{Env: os.Environ(), ProviderTypes: providerTypes()})
	if cfg == nil || cfg.Dir == "" {
		c.ui().Diagnostics(diags, filesOf(cfg))
		return nil, false
	}
	if names, _ := configFiles(dir); len(names) == 0 {
		// no configuration at all is not a broken one: the state path is the default
		return &project{dir: dir, cfg: cfg, statePath: filepath.Join(dir, cfg.Settings.StatePath), noConfig: true}, true
	}
	if diags.HasErrors() {
		c.ui().Warnf("the configuration has errors (genform validate shows them); reading %s anyway.\n", cfg.Settings.StatePath)
	}
	return &project{dir: dir, cfg: cfg, statePath: filepath.Join(dir, cfg.Settings.StatePath)}, true
}

// projectPath resolves a path the user typed: relative paths are in the project folder
// (-chdir), as plan -out writes them.
func projectPath(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// noProject says, and reports, that the folder is no project (no configuration, no state):
// a command run in the wrong folder writes nothing there (no .genform/).
func (c *cli) noProject(p *project, what string) bool {
	if !p.noConfig || p.stExists || len(p.st.Records) > 0 {
		return false
	}
	c.sayNoProject(what)
	return true
}

func (c *cli) sayNoProject(what string) {
	c.ui().Errorf("this folder has no configuration and no state, so there is nothing %s. Run genform in a project folder (or use -chdir=DIR); genform init starts a project.", what)
}

// readSavedPlan reads the saved plan a command names (relative to the project folder dir),
// saying in the user's words when there is none.
func readSavedPlan(dir, name string) (*planfile.File, error) {
	pl, err := planfile.Read(projectPath(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("there is no saved plan %s in the project folder; save one with genform plan -out %s", name, name)
	}
	return pl, err
}

// displayPath shortens an absolute path to one relative to the working folder when it is
// inside it.
func displayPath(abs string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, abs); err == nil && filepath.IsLocal(rel) {
			return rel
		}
	}
	return abs
}

// writeFileAtomic replaces path with data through state.WriteFileAtomic (temporary file,
// fsync, rename), keeping an existing file's permissions; a new one gets 0644.
func writeFileAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := state.WriteFileAtomic(path, data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// exists says whether something is at path (an error other than "not there" counts as there,
// so the command goes on and reports it).
func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
