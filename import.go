package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/zclconf/go-cty/cty"
)

// cmdImport adopts an existing file as the output of an instance's current input, without
// calling a provider: genform import ADDR FILE.
func cmdImport(c *cli, args []string) int {
	fs := newFlags(c, "import", "[-var NAME=VALUE]... [-var-file FILE]... [-lock-timeout=DURATION] ADDR FILE")
	vars := addVarFlags(fs)
	lockTimeout := lockTimeoutFlag(fs)
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 2 {
		return c.usageError(fs, "import takes an instance address and a file: genform import image.hero out/hero.png")
	}
	addrArg, fileArg := fs.Arg(0), fs.Arg(1)
	ref, diags := schema.ParseRef(addrArg)
	if diags.HasErrors() {
		c.ui().Errorf("%s", diags[0].Detail)
		return 1
	}
	file := projectPath(c.dir, fileArg)
	if fi, err := os.Stat(file); err != nil || !fi.Mode().IsRegular() {
		c.ui().Errorf("%s is not a file genform can read.", fileArg)
		return 1
	}
	p, ok := c.loadConfig(vars.values())
	if !ok {
		return 1
	}
	addr := ref.Addr()
	if msg := undeclared(p.cfg, ref); msg != "" {
		c.ui().Errorf("%s; nothing was imported.", msg)
		return 1
	}
	defer p.closeBackend()
	if !c.lockProject(p, "import", *lockTimeout) {
		return 1
	}
	defer p.lock.Unlock()
	plan, ok := c.planProject(p, &planFlags{vars: vars, targets: stringsFlag{addr}, quietTargets: true})
	if !ok {
		return 1
	}
	if p.st.Records[addr] != nil {
		c.ui().Errorf("%s is already in the state; nothing was imported. Run 'genform state rm %s' first to adopt another file for it.", addr, addr)
		return 1
	}
	var ch *engine.Change
	var pending []string // what it reads that apply would still make (the plan has only those)
	for _, x := range plan.Changes {
		switch {
		case x.Addr == addr:
			ch = x
		case x.Action != engine.NoOp && x.Action != engine.Delete:
			pending = append(pending, x.Addr+" will be "+string(x.Action)+"d")
		}
	}
	rec, err := engine.ImportRecord(ch, file, time.Now())
	if errors.Is(err, engine.ErrInputUnknown) {
		c.ui().Errorf("cannot import %s: %v (%s). Apply or import what it reads first, then import it.", addr, err, strings.Join(pending, ", "))
		return 1
	}
	if err != nil {
		c.ui().Errorf("cannot import %s: %v.", addr, err)
		return 1
	}
	if err := c.placeImported(p, rec, file); err != nil {
		c.ui().Errorf("cannot import %s: %v; nothing was imported.", addr, err)
		return 1
	}
	p.st.Records[addr] = rec
	if err := c.writeState(p); err != nil {
		c.ui().Error(err)
		return 1
	}
	where := ""
	if rec.Output != nil {
		where = " as " + rec.Output.Path
	}
	fmt.Fprintf(c.stdout, "Imported %s%s, for its current input. Nothing was generated or paid for.\n", addr, where)
	return 0
}

// undeclared says why ref names no declared instance, or "".
func undeclared(cfg *schema.Config, ref schema.Ref) string {
	a := cfg.Asset(ref.Kind + "." + ref.Name)
	if a == nil {
		return fmt.Sprintf("the configuration declares no %s block named %q", ref.Kind, ref.Name)
	}
	for _, in := range a.Instances {
		if in.Addr == ref.Addr() {
			return ""
		}
	}
	if ref.Key == cty.NilVal && len(a.Instances) > 0 {
		return fmt.Sprintf("%s has count or for_each: import one instance at a time, such as %s", a.Addr(), a.Instances[0].Addr)
	}
	return fmt.Sprintf("%s has no instance %s", a.Addr(), ref.Addr())
}

// placeImported puts the imported file where the record's path says (unless it is already
// there) and keeps a copy in the cache, as apply does for what it generates.
func (c *cli) placeImported(p *project, rec *state.Record, file string) error {
	if rec.Output == nil {
		return nil
	}
	dst, err := engine.InsideProject(p.dir, rec.Output.Path)
	if err != nil {
		return err
	}
	if err := p.cache.PutKnown(file, rec.Output.SHA256); err != nil {
		return err
	}
	if rec.Kind == "chat" {
		return state.WriteFileAtomic(dst, []byte(rec.Text), 0o644)
	}
	if same, _ := sameFile(file, dst); same {
		return nil
	}
	return p.cache.Restore(rec.Output.SHA256, dst)
}

func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}
