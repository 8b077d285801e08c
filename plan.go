package main

// This file holds genform plan, and planning a project for plan and apply.

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/planfile"
	"github.com/genform/genform/view"
)

func cmdPlan(c *cli, args []string) int {
	fs := newFlags(c, "plan", "[-out FILE] [-json] [-detailed-exitcode] [-target ADDR]... [-replace ADDR]... [-var NAME=VALUE]... [-var-file FILE]...")
	pf := addPlanFlags(fs)
	out := fs.String("out", "", "save the plan to `FILE` for apply")
	detailed := fs.Bool("detailed-exitcode", false, "exit 0 with no changes, 1 on error, 2 with changes")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "plan takes no arguments")
	}
	v := view.NewPlan(c.ui(), pf.json)
	fast := !pf.json && *out == "" && len(pf.targets) == 0 && len(pf.replace) == 0
	if fast && c.noopPlan(pf) {
		v.Plan(nil) // no changes
		return 0
	}
	if fast {
		if changes, ok := c.partialPlan(pf); ok {
			v.Plan(changes)
			if *detailed && changes.HasChanges() {
				return 2
			}
			return 0
		}
	}
	p, plan, ok := c.plan(pf)
	if !ok {
		return 1
	}
	if fast {
		c.recordNoop(p, plan, pf)
	}
	v.Plan(plan.Changes)
	if *out != "" {
		saved := planfile.New(plan)
		saved.Genform, saved.Vars = genformVersion(), planfile.PublicVars(p.cfg, pf.vars.values())
		if err := planfile.Write(projectPath(p.dir, *out), saved); err != nil {
			c.ui().Errorf("saving the plan: %v", err)
			return 1
		}
		v.Saved(*out)
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
		Shared:    p.sharedCache(),
	})
	if err := p.stat.Save(); err != nil {
		c.ui().Warnf("saving the stat cache: %v", err)
	}
	if len(pf.targets) > 0 && !pf.quietTargets && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Targeting is in effect",
			Detail: fmt.Sprintf("This plan covers only %s and what they depend on: other changes of the configuration are left out, "+
				"so the state may not match it afterwards. Use -target for exceptional cases (an instance that failed, a budget in steps), "+
				"then run plan without it.", strings.Join(pf.targets, ", ")),
		})
	}
	if c.ui().Diagnostics(diags, p.cfg.Files) || plan == nil {
		return nil, false
	}
	if !p.stExists {
		plan.Lineage = ""
	}
	return plan, true
}
