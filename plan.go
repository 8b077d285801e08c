package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
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
	p, plan, ok := c.plan(pf)
	if !ok {
		return 1
	}
	if pf.json {
		c.writeJSON(planJSON(plan))
	} else {
		renderPlan(c.stdout, plan, c.color())
	}
	if *out != "" {
		if err := writePlanFile(*out, p, plan, pf); err != nil {
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

// planFile is a saved plan: what it was made from and what it decided. apply re-plans from the
// same inputs and refuses the saved plan when anything differs.
type planFile struct {
	Version    int               `json:"version"`
	Genform    string            `json:"genform_version"`
	ConfigHash string            `json:"config_hash"`
	Lineage    string            `json:"lineage"`
	Serial     uint64            `json:"serial"`
	Vars       []schema.VarValue `json:"vars,omitempty"`
	Targets    []string          `json:"targets,omitempty"`
	Replace    []string          `json:"replace,omitempty"`
	Changes    []changeJSON      `json:"changes"`
}

func writePlanFile(path string, p *project, plan *engine.Plan, pf *planFlags) error {
	pl := planFile{
		Version: 1, Genform: genformVersion(),
		ConfigHash: plan.ConfigHash, Lineage: plan.Lineage, Serial: plan.Serial,
		Vars: publicVars(p.cfg, pf.vars.values()), Targets: pf.targets, Replace: pf.replace,
	}
	for _, ch := range plan.Changes {
		pl.Changes = append(pl.Changes, changeToJSON(ch))
	}
	b, err := json.MarshalIndent(pl, "", "  ")
	if err != nil {
		return err
	}
	return state.WriteFileAtomic(projectPath(p.dir, path), append(b, '\n'), 0o644)
}

// publicVars drops the -var values a saved plan must not hold: sensitive variables and any
// variable a provider block reads (an api_key = var.key). The plan's config hash still
// covers their values, so apply takes them again (-var, -var-file, GENFORM_VAR_) and refuses
// the plan if they differ.
func publicVars(cfg *schema.Config, vals []schema.VarValue) []schema.VarValue {
	secret := map[string]bool{}
	for name, v := range cfg.Variables {
		if v.Sensitive {
			secret[name] = true
		}
	}
	for _, pc := range cfg.Providers {
		attrs, _ := pc.Body.JustAttributes()
		for _, a := range attrs {
			for _, tr := range a.Expr.Variables() {
				if tr.RootName() != "var" || len(tr) < 2 {
					continue
				}
				if at, ok := tr[1].(hcl.TraverseAttr); ok {
					secret[at.Name] = true
				}
			}
		}
	}
	var out []schema.VarValue
	for _, v := range vals {
		if v.File != "" || !secret[v.Name] {
			out = append(out, v)
		}
	}
	return out
}

func readPlanFile(path string) (*planFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pl planFile
	if err := json.Unmarshal(b, &pl); err != nil {
		return nil, fmt.Errorf("%s is not a saved plan: %v", path, err)
	}
	if pl.Version != 1 || pl.ConfigHash == "" {
		return nil, fmt.Errorf("%s is not a saved plan of this genform version", path)
	}
	return &pl, nil
}

// inputHash is the input hash a saved change was planned with: the new one, or for a delete
// the recorded one.
func (j changeJSON) inputHash() string {
	switch {
	case j.After != nil:
		return j.After.InputHash
	case j.Before != nil:
		return j.Before.InputHash
	}
	return ""
}

// errStale is the refusal of a saved plan that no longer matches.
var errStale = errors.New("saved plan is stale")

// checkSaved compares a fresh plan with a saved one.
func checkSaved(saved *planFile, plan *engine.Plan) error {
	switch {
	case saved.ConfigHash != plan.ConfigHash:
		return fmt.Errorf("%w: the configuration changed since it was made; run genform plan again", errStale)
	case saved.Lineage != plan.Lineage || saved.Serial != plan.Serial:
		return fmt.Errorf("%w: the state changed since it was made (serial %d, now %d); run genform plan again", errStale, saved.Serial, plan.Serial)
	}
	if len(saved.Changes) != len(plan.Changes) {
		return fmt.Errorf("%w: the plan is different now; run genform plan again", errStale)
	}
	for i, ch := range plan.Changes {
		s := saved.Changes[i]
		if s.Address != ch.Addr || s.Action != string(ch.Action) || s.inputHash() != ch.InputHash {
			return fmt.Errorf("%w: %s would be planned differently now (input files changed?); run genform plan again", errStale, ch.Addr)
		}
	}
	return nil
}
