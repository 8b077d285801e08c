package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/planfile"
)

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ", ") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// planFlags are the flags plan and apply share.
type planFlags struct {
	vars    *varFlags
	targets stringsFlag
	replace stringsFlag
	json    bool
}

func addPlanFlags(fs *flag.FlagSet) *planFlags {
	f := &planFlags{vars: addVarFlags(fs)}
	fs.Var(&f.targets, "target", "plan only this `ADDR` and what it depends on (repeatable)")
	fs.Var(&f.replace, "replace", "generate this `ADDR` again even if nothing changed (repeatable)")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of text")
	return f
}

func cmdPlan(c *cli, args []string) int {
	fs := newFlags(c, "plan", "[-out FILE] [-json] [-detailed-exitcode] [-target ADDR]... [-replace ADDR]... [-var k=v]... [-var-file F]")
	pf := addPlanFlags(fs)
	out := fs.String("out", "", "save the plan to `FILE` for apply")
	detailed := fs.Bool("detailed-exitcode", false, "exit 0 with no changes, 1 on error, 2 with changes")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "plan takes no arguments")
	}
	fast := !pf.json && *out == "" && len(pf.targets) == 0 && len(pf.replace) == 0
	if fast && c.noopPlan(pf) {
		return 0
	}
	p, plan, ok := c.plan(pf)
	if !ok {
		return 1
	}
	if fast {
		c.recordNoop(p, plan, pf)
	}
	if pf.json {
		c.writeJSON(planJSON(plan))
	} else {
		renderPlan(c.stdout, plan, c.color())
	}
	if *out != "" {
		saved := planfile.New(plan)
		saved.Genform, saved.Vars = version, planfile.PublicVars(p.cfg, pf.vars.values())
		if err := planfile.Write(projectPath(p.dir, *out), saved); err != nil {
			fmt.Fprintf(c.stderr, "Error: saving the plan: %v\n", err)
			return 1
		}
		if !pf.json {
			fmt.Fprintf(c.stdout, "\nSaved the plan to %s. Apply exactly this plan with: genform apply %s\n", *out, *out)
		}
	}
	if *detailed && plan.HasChanges() {
		return 2
	}
	return 0
}

// plan loads the project and plans it; diagnostics are rendered on the way.
func (c *cli) plan(pf *planFlags) (*project, *engine.Plan, bool) {
	p, ok := c.loadConfig(pf.vars.values())
	if !ok {
		return nil, nil, false
	}
	p.stateBefore = fileSum(p.statePath)
	plan, ok := c.planProject(p, pf)
	return p, plan, ok
}

// planProject reads the state (with any journal an interrupted apply left) and plans.
func (c *cli) planProject(p *project, pf *planFlags) (*engine.Plan, bool) {
	if !c.readState(p) || !c.openCaches(p) {
		return nil, false
	}
	plan, diags := engine.NewPlan(p.cfg, p.st, p.cache, engine.Options{
		Providers: p.providers,
		Stat:      p.stat,
		Targets:   pf.targets,
		Replace:   pf.replace,
	})
	if err := p.stat.Save(); err != nil {
		fmt.Fprintf(c.stderr, "Warning: saving the stat cache: %v\n", err)
	}
	if c.diags(diags, p.cfg.Files) || plan == nil {
		return nil, false
	}
	if !p.stExists {
		plan.Lineage = ""
	}
	return plan, true
}

func (c *cli) usageError(fs *flag.FlagSet, msg string) int {
	fmt.Fprintf(c.stderr, "Error: %s\n\n", msg)
	fs.Usage()
	return 1
}

func (c *cli) writeJSON(v any) {
	if err := jsonEncoder(c.stdout).Encode(v); err != nil {
		fmt.Fprintf(c.stderr, "Error: writing JSON: %v\n", err)
	}
}

// jsonEncoder writes indented JSON that keeps <, > and & as they are.
func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc
}
