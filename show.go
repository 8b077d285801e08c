package main

import (
	"fmt"
	"github.com/genform/genform/schema"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/planfile"
	"github.com/genform/genform/state"
	"github.com/genform/genform/view"
)

func cmdShow(c *cli, args []string) int {
	fs := newFlags(c, "show", "[-json] [PLANFILE]")
	asJSON := fs.Bool("json", false, "print JSON")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	switch fs.NArg() {
	case 0:
	case 1:
		pl, err := planfile.Read(projectPath(c.dir, fs.Arg(0)))
		if err != nil {
			fmt.Fprintf(c.stderr, "Error: %v\n", err)
			return 1
		}
		plan := &engine.Plan{}
		for _, j := range pl.Changes {
			plan.Changes = append(plan.Changes, j.Engine())
		}
		if *asJSON {
			c.writeJSON(planJSON(plan))
		} else {
			renderPlan(c.stdout, plan, c.color())
		}
		return 0
	default:
		return c.usageError(fs, "show takes at most one argument, a saved plan")
	}
	p, ok := c.stateOnly()
	if !ok {
		return 1
	}
	if *asJSON {
		b, err := state.Marshal(p.st)
		if err != nil {
			fmt.Fprintf(c.stderr, "Error: %v\n", err)
			return 1
		}
		c.stdout.Write(b)
		return 0
	}
	if len(p.st.Records) == 0 {
		fmt.Fprintln(c.stdout, "The state is empty: nothing has been generated yet.")
		return 0
	}
	var total float64
	unknown := 0
	for _, addr := range sortedAddrs(p.st) {
		r := p.st.Records[addr]
		renderRecord(c, r)
		fmt.Fprintln(c.stdout)
		if r.Cost != nil {
			total += *r.Cost
		} else {
			unknown++
		}
	}
	fmt.Fprintf(c.stdout, "%d instances, recorded cost %s.\n", len(p.st.Records), view.CostText(total, unknown))
	return 0
}

func renderRecord(c *cli, r *state.Record) {
	w := c.stdout
	fmt.Fprintf(w, "# %s\n", r.Addr)
	row := func(k string, v any) { fmt.Fprintf(w, "  %-14s = %v\n", k, v) }
	row("kind", r.Kind)
	row("provider", r.Provider)
	row("model", r.Model)
	if o := r.Output; o != nil {
		row("path", o.Path)
		row("sha256", o.SHA256)
		row("size", view.ByteSize(o.Size))
		row("media_type", o.MediaType)
		if o.Width > 0 {
			row("dimensions", fmt.Sprintf("%dx%d", o.Width, o.Height))
		}
		if o.Seconds > 0 {
			row("seconds", o.Seconds)
		}
	}
	for _, k := range sortedKeysAny(r.Request) {
		row(k, view.ValueText(r.Request[k]))
	}
	if r.Text != "" {
		row("text", view.ValueText(r.Text))
	}
	if r.RevisedPrompt != "" {
		row("revised_prompt", view.ValueText(r.RevisedPrompt))
	}
	if r.Cost != nil {
		row("cost", fmt.Sprintf("$%.2f", *r.Cost))
	} else {
		row("cost", "unknown")
	}
	if r.JobID != "" {
		row("job_id", r.JobID)
	}
	row("input_hash", r.InputHash)
	row("generated_at", r.GeneratedAt.Format("2006-01-02 15:04:05 MST"))
}

func sortedKeysAny(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedAddrs(st *state.File) []string {
	addrs := make([]string, 0, len(st.Records))
	for a := range st.Records {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	return addrs
}

// stateOnly reads the state of the project. Inspecting state must work while the
// configuration is broken (a syntax error, a variable without a value): then it warns and
// reads the state file where the configuration put it, as far as it got, else the default.
func (c *cli) stateOnly() (*project, bool) {
	p, ok := c.stateProject()
	return p, ok && c.readState(p)
}

// stateProject loads what the state commands need of the configuration: the state path.
func (c *cli) stateProject() (*project, bool) {
	dir, err := filepath.Abs(c.dir)
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return nil, false
	}
	cfg, diags := schema.Load(dir, schema.LoadOptions{Env: os.Environ(), ProviderTypes: providerTypes()})
	if cfg == nil || cfg.Dir == "" {
		c.diags(diags, filesOf(cfg))
		return nil, false
	}
	if diags.HasErrors() {
		fmt.Fprintf(c.stderr, "Warning: the configuration has errors (genform validate shows them); reading %s anyway.\n\n", cfg.Settings.StatePath)
	}
	return &project{dir: dir, cfg: cfg, statePath: filepath.Join(dir, cfg.Settings.StatePath)}, true
}

func cmdState(c *cli, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			stateUsage(c.stdout)
			return 0
		}
		stateUsage(c.stderr)
		return 1
	}
	switch args[0] {
	case "list":
		return cmdStateList(c, args[1:])
	case "show":
		return cmdStateShow(c, args[1:])
	case "rm":
		return cmdStateRm(c, args[1:])
	}
	fmt.Fprintf(c.stderr, "Error: unknown state command %q\n\n", args[0])
	stateUsage(c.stderr)
	return 1
}

func stateUsage(w interface{ Write([]byte) (int, error) }) {
	fmt.Fprintln(w, "Usage: genform state list | state show ADDR | state rm ADDR...")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  list      list the addresses in the state")
	fmt.Fprintln(w, "  show      show one recorded instance")
	fmt.Fprintln(w, "  rm        forget instances (their files stay; the next apply generates them again)")
}

func cmdStateList(c *cli, args []string) int {
	fs := newFlags(c, "state list", "[ADDR...]")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	p, ok := c.stateOnly()
	if !ok {
		return 1
	}
	for _, addr := range sortedAddrs(p.st) {
		if fs.NArg() == 0 || matchesAny(addr, fs.Args()) {
			fmt.Fprintln(c.stdout, addr)
		}
	}
	return 0
}

func cmdStateShow(c *cli, args []string) int {
	fs := newFlags(c, "state show", "ADDR")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		return c.usageError(fs, "state show takes one address")
	}
	p, ok := c.stateOnly()
	if !ok {
		return 1
	}
	r := p.st.Records[canonicalAddr(fs.Arg(0))]
	if r == nil {
		fmt.Fprintf(c.stderr, "Error: %s is not in the state. Run 'genform state list' to see the addresses.\n", fs.Arg(0))
		return 1
	}
	renderRecord(c, r)
	return 0
}

func cmdStateRm(c *cli, args []string) int {
	fs := newFlags(c, "state rm", "ADDR...")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() == 0 {
		return c.usageError(fs, "state rm takes one or more addresses")
	}
	p, ok := c.stateProject()
	if !ok {
		return 1
	}
	lock, err := state.Lock(p.work("lock"), "state rm")
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return 1
	}
	defer lock.Unlock()
	if !c.readState(p) {
		return 1
	}
	var removed []string
	for _, addr := range sortedAddrs(p.st) {
		if matchesAny(addr, fs.Args()) {
			removed = append(removed, addr)
		}
	}
	for _, a := range fs.Args() {
		if !anyMatch(removed, a) {
			fmt.Fprintf(c.stderr, "Error: %s is not in the state; nothing was removed.\n", a)
			return 1
		}
	}
	for _, addr := range removed {
		delete(p.st.Records, addr)
		delete(p.st.Jobs, addr)
	}
	if err := c.writeState(p); err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return 1
	}
	for _, addr := range removed {
		fmt.Fprintf(c.stdout, "Removed %s\n", addr)
	}
	fmt.Fprintf(c.stdout, "Removed %d instance(s) from the state. Their files stay where they are.\n", len(removed))
	return 0
}

func anyMatch(addrs []string, pattern string) bool {
	for _, a := range addrs {
		if matchesAny(a, []string{pattern}) {
			return true
		}
	}
	return false
}

// matchesAny reports whether addr is one of the patterns, or an instance of a block named.
func matchesAny(addr string, patterns []string) bool {
	for _, p := range patterns {
		p = canonicalAddr(p)
		if addr == p || strings.HasPrefix(addr, p+"[") {
			return true
		}
	}
	return false
}

// canonicalAddr normalises an address typed by a user (image.hero[ "x" ] -> image.hero["x"]).
func canonicalAddr(s string) string {
	if r, diags := schema.ParseRef(s); !diags.HasErrors() {
		return r.Addr()
	}
	return s
}

func cmdOutput(c *cli, args []string) int {
	fs := newFlags(c, "output", "[-json] [NAME]")
	asJSON := fs.Bool("json", false, "print JSON")
	vars := addVarFlags(fs)
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 1 {
		return c.usageError(fs, "output takes at most one name")
	}
	p, ok := c.loadConfig(vars.values())
	if !ok || !c.readState(p) {
		return 1
	}
	values, diags := engine.Outputs(p.cfg, p.st)
	if c.diags(diags, p.cfg.Files) {
		return 1
	}
	type outJSON struct {
		Value     any  `json:"value"`
		Sensitive bool `json:"sensitive"`
		Known     bool `json:"known"`
	}
	all := map[string]outJSON{}
	var names []string
	for _, o := range p.cfg.Outputs {
		v, known := engine.JSONValue(values[o.Name])
		all[o.Name] = outJSON{Value: v, Sensitive: o.Sensitive, Known: known}
		names = append(names, o.Name)
	}
	sort.Strings(names)
	if fs.NArg() == 1 {
		name := fs.Arg(0)
		o, ok := all[name]
		if !ok {
			fmt.Fprintf(c.stderr, "Error: there is no output %q. The outputs are: %s.\n", name, strings.Join(names, ", "))
			return 1
		}
		switch {
		case *asJSON:
			c.writeJSON(o.Value)
		case !o.Known:
			fmt.Fprintln(c.stdout, "(known after apply)")
		default:
			if s, ok := o.Value.(string); ok {
				fmt.Fprintln(c.stdout, s)
			} else {
				c.writeJSON(o.Value)
			}
		}
		return 0
	}
	if *asJSON {
		c.writeJSON(all)
		return 0
	}
	if len(names) == 0 {
		fmt.Fprintln(c.stdout, "No outputs are declared.")
		return 0
	}
	for _, name := range names {
		o := all[name]
		v := "(known after apply)"
		switch {
		case o.Sensitive:
			v = "(sensitive)"
		case o.Known:
			v = jsonText(o.Value)
		}
		fmt.Fprintf(c.stdout, "%s = %s\n", name, v)
	}
	return 0
}

func jsonText(v any) string {
	var b strings.Builder
	enc := jsonEncoder(&b)
	_ = enc.Encode(v)
	return strings.TrimRight(b.String(), "\n")
}

func cmdGraph(c *cli, args []string) int {
	fs := newFlags(c, "graph", "")
	vars := addVarFlags(fs)
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	p, ok := c.loadConfig(vars.values())
	if !ok {
		return 1
	}
	fmt.Fprint(c.stdout, engine.Graph(p.cfg))
	return 0
}
