package schema

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/genform/genform/textdiff"
	"github.com/hashicorp/hcl/v2"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sync/errgroup"
)

// File name suffixes Load reads.
const (
	SuffixHCL  = ".gen.hcl"
	SuffixJSON = ".gen.json"
)

// Load reads every *.gen.hcl and *.gen.json file directly in dir, in name order, and returns
// the decoded configuration: variables resolved from opts, locals evaluated, assets expanded
// into instances and the references between them checked. It works in phases (parse,
// decode, values, expansion, references) and stops after a phase that found errors.
//
// The returned Config is never nil: even with errors its Files hold what was parsed, so the
// diagnostics can be shown with snippets.
func Load(dir string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	c, diags := load(dir, opts)
	return c, c.Redact(diags)
}

func load(dir string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	c := &Config{
		Files:         map[string]*hcl.File{},
		Variables:     map[string]*Variable{},
		Vars:          map[string]cty.Value{},
		Locals:        map[string]cty.Value{},
		Settings:      Settings{StatePath: "genform.state.json", Parallelism: 8},
		providerTypes: opts.ProviderTypes,
		unsetUnknown:  opts.UnsetUnknown,
		assets:        map[string]*Asset{},
		env:           envMap(opts.Env),
		files:         &fileCache{entries: map[string]*fileEntry{}},
		reads:         newReadLog(),
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		c.Dir = abs
		c.realDir, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return c, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the project folder",
			Detail:   fmt.Sprintf("genform could not open %s: %v.", dir, err),
		}}
	}
	c.buildContexts()

	parse := c.parseFolder
	if opts.Select != nil {
		parse = func() ([]*hcl.File, hcl.Diagnostics) { return c.parseSelection(opts.Select) }
	}
	files, diags := parse()
	if diags.HasErrors() {
		return c, diags
	}
	d := &decoder{c: c, seen: map[string]hcl.Range{}}
	for _, f := range files {
		diags = append(diags, d.decodeFile(f)...)
	}
	if diags.HasErrors() {
		return c, diags
	}
	for _, phase := range []func() hcl.Diagnostics{
		func() hcl.Diagnostics { return c.resolveVariables(opts.Vars) },
		func() hcl.Diagnostics {
			diags := c.evalLocals(d.locals)
			if diags.HasErrors() {
				return diags
			}
			diags = append(diags, c.checkValidations()...)
			diags = append(diags, c.evalSettings(d.settings)...)
			return append(diags, c.checkProviders()...)
		},
		c.expand,
		c.checkMoved,
		c.analyzeRefs,
	} {
		diags = append(diags, phase()...)
		if diags.HasErrors() {
			return c, diags
		}
	}
	return c, diags
}

// parseFolder parses the configuration files of the folder in name order.
func (c *Config) parseFolder() ([]*hcl.File, hcl.Diagnostics) {
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the project folder",
			Detail:   fmt.Sprintf("genform could not list %s: %v.", c.Dir, err),
		}}
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, SuffixHCL) || strings.HasSuffix(name, SuffixJSON)) {
			continue
		}
		names = append(names, name)
	}
	// Parse the files concurrently (a large one is cut into pieces too), then keep them in
	// name order.
	parsed := make([]*hcl.File, len(names))
	perFile := make([]hcl.Diagnostics, len(names))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, name := range names {
		g.Go(func() error {
			parsed[i], perFile[i] = parseFile(filepath.Join(c.Dir, name), name)
			return nil
		})
	}
	_ = g.Wait() // each file reports through its diagnostics
	var files []*hcl.File
	var diags hcl.Diagnostics
	for i, f := range parsed {
		diags = append(diags, perFile[i]...)
		if f != nil {
			c.Files[names[i]] = f
			c.reads.r.Config[names[i]] = sha256Hex(f.Bytes)
			files = append(files, f)
		}
	}
	if len(files) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail: fmt.Sprintf("genform reads the *%s and *%s files directly in %s, and there are none. "+
				"Run genform init to start a project.", SuffixHCL, SuffixJSON, c.Dir),
		})
	}
	return files, diags
}

// parseSelection parses the selected pieces of the given files, in name order.
func (c *Config) parseSelection(sel map[string]SelectedFile) ([]*hcl.File, hcl.Diagnostics) {
	var files []*hcl.File
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(sel)) {
		f, ds := parseSelected(sel[name].Src, name, sel[name].Pieces)
		diags = append(diags, ds...)
		if f != nil {
			c.Files[name] = f
			c.reads.r.Config[name] = sha256Hex(f.Bytes)
			files = append(files, f)
		}
	}
	return files, diags
}

// parseFile parses one file in native or JSON syntax (by its extension).
func parseFile(path, name string) (*hcl.File, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read file",
			Detail:   fmt.Sprintf("genform could not read %s: %v.", name, err),
		}}
	}
	if strings.HasSuffix(name, ".json") {
		return hcljson.Parse(src, name)
	}
	return parseNative(src, name)
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// Diagnostic helpers.

func errorAt(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}
}

// rangeOf returns r as a pointer, or nil for the zero range (a value from the command line).
func rangeOf(r hcl.Range) *hcl.Range {
	if r.Filename == "" {
		return nil
	}
	return r.Ptr()
}

// at renders a range the way details mention other declarations: "main.gen.hcl:3".
func at(r hcl.Range) string { return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line) }

// suggest returns ` Did you mean "x"?` for the option closest to name (textdiff.Nearest,
// genform's one "did you mean"), or "".
func suggest(name string, options []string) string {
	best := textdiff.Nearest(name, options)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// joinAnd joins names as "a, b and c".
func joinAnd(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
