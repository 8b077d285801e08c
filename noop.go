package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/genform/genform/backend"
	"github.com/genform/genform/engine"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
)

// The no-op record (.genform/noop.json) lets plan say "No changes" after a stat of every
// file a no-op plan rested on, instead of loading and planning again (engine.NoopRecord
// says what it covers). Plan writes it after a plan that found nothing to do and printed
// no diagnostic; it is working data, and deleting it changes nothing but the time taken.

// noopPath is where the no-op record of the project folder dir lives.
func noopPath(dir string) string { return filepath.Join(dir, ".genform", "noop.json") }

// noopKey is the part of the record's key the command line and the process give: the
// command, genform's version and build (the executable's size and time, so a rebuilt
// genform never trusts a record of another build), the folder, every -var and -var-file
// argument in order, and every GENFORM_VAR_ variable. "" means no record may be used.
func noopKey(command, dir string, vars []schema.VarValue) string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%q %d %d\n%q\n", command, version, exe, fi.Size(), fi.ModTime().UnixNano(), dir)
	for _, v := range vars {
		fmt.Fprintf(h, "var %q %q %q\n", v.Name, v.Value, v.File)
	}
	env := os.Environ()
	slices.Sort(env)
	for _, kv := range env {
		if strings.HasPrefix(kv, schema.EnvVarPrefix) {
			fmt.Fprintf(h, "env %q\n", kv)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// noopPlan reports whether the project's no-op record still holds: then the plan has no
// changes.
func (c *cli) noopPlan(pf *planFlags) bool {
	dir, err := filepath.Abs(c.dir)
	if err != nil {
		return false
	}
	rec := engine.ReadNoopRecord(noopPath(dir))
	if rec == nil {
		return false
	}
	key := noopKey("plan", dir, pf.vars.values())
	if key == "" {
		return false
	}
	stat, err := state.OpenStatCache(filepath.Join(dir, ".genform", "stat.cache"))
	if err != nil {
		return false
	}
	c.stat = stat // the whole plan, if it comes to that, uses it too
	holds := rec.Holds(dir, key, filepath.Join(dir, ".genform", "journal.jsonl"), stat, os.LookupEnv)
	if !holds {
		return false // the whole plan uses the stat cache and saves it
	}
	if err := stat.Save(); err != nil {
		c.ui().Warnf("saving the stat cache: %v", err)
	}
	return true
}

// recordNoop keeps the record of a plan that found nothing to do, printed no diagnostic,
// and read a state file that did not change meanwhile, and the partial record of such a
// plan whatever its changes. A failure to write it is only
// warned about: the next plan does the whole work.
func (c *cli) recordNoop(p *project, plan *engine.Plan, pf *planFlags) {
	if c.ui().Rendered > 0 || p.journal > 0 || p.stat == nil {
		return
	}
	if _, local := p.backend.(*backend.File); !local || p.cfg.Settings.Backend != nil {
		return // the record covers a state file; a shared backend's state is elsewhere
	}
	after := ""
	if p.stExists {
		sha, _, err := p.stat.Hash(p.statePath)
		if err != nil {
			return
		}
		after = sha
	}
	if after != p.stateBefore {
		return
	}
	c.recordPartial(p, plan, pf, after)
	if plan.HasChanges() {
		if err := p.stat.Save(); err != nil {
			c.ui().Warnf("saving the stat cache: %v", err)
		}
		return
	}
	key := noopKey("plan", p.dir, pf.vars.values())
	if key == "" {
		return
	}
	rec, ok := engine.NewNoopRecord(key, p.cfg, plan, after, c.env.names(), os.LookupEnv)
	if !ok {
		return
	}
	if err := engine.WriteNoopRecord(noopPath(p.dir), rec); err != nil {
		c.ui().Warnf("saving the no-op record: %v", err)
	}
	if err := p.stat.Save(); err != nil {
		c.ui().Warnf("saving the stat cache: %v", err)
	}
}

// validPath is where the record of a configuration found valid lives.
func validPath(dir string) string { return filepath.Join(dir, ".genform", "valid.json") }

// validCached reports whether the configuration's valid record still holds: then validate
// has nothing to report.
func (c *cli) validCached(vars []schema.VarValue) bool {
	dir, err := filepath.Abs(c.dir)
	if err != nil {
		return false
	}
	rec := engine.ReadNoopRecord(validPath(dir))
	if rec == nil {
		return false
	}
	key := noopKey("validate", dir, vars)
	// no stat cache: a project's is mostly outputs, which validate does not read, and
	// reading it would cost more than hashing the few files validate read
	return key != "" && rec.Holds(dir, key, "", nil, os.LookupEnv)
}

// recordValid keeps the record of a configuration validate found valid with no
// diagnostic at all, in a project that has its .genform/ folder already (validate creates
// none). It is only a shortcut: a failure to write it is not reported.
func (c *cli) recordValid(cfg *schema.Config, vars []schema.VarValue) {
	if fi, err := os.Stat(filepath.Join(cfg.Dir, ".genform")); err != nil || !fi.IsDir() {
		return
	}
	key := noopKey("validate", cfg.Dir, vars)
	if key == "" {
		return
	}
	if rec, ok := engine.NewValidRecord(key, cfg, c.env.names(), os.LookupEnv); ok {
		_ = engine.WriteNoopRecord(validPath(cfg.Dir), rec)
	}
}

// fileSum is the sha256 of the file at path, "" when it cannot be read.
func fileSum(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// envLog is the getenv the providers are given: it remembers the names asked for, which
// the no-op record covers.
type envLog struct {
	mu   sync.Mutex
	read map[string]bool
}

func (l *envLog) getenv(name string) string {
	l.mu.Lock()
	if l.read == nil {
		l.read = map[string]bool{}
	}
	l.read[name] = true
	l.mu.Unlock()
	return os.Getenv(name)
}

func (l *envLog) names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.read))
	for n := range l.read {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
