package main

// This file holds genform validate and the -var / -var-file flags every command that loads
// the configuration shares.

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/schema"
)

// varFlags collects -var and -var-file arguments in command-line order: the later one wins.
type varFlags struct{ vals []schema.VarValue }

// addVarFlags adds -var and -var-file to a command's flags.
func addVarFlags(fs *flag.FlagSet) *varFlags {
	v := &varFlags{}
	fs.Var(varFlag{v}, "var", "set a variable, as `NAME=VALUE` (repeatable)")
	fs.Var(varFileFlag{v}, "var-file", "read variables from an HCL `FILE`, relative to the project folder (repeatable)")
	return v
}

// values returns the arguments for schema.LoadOptions.Vars.
func (v *varFlags) values() []schema.VarValue { return v.vals }

// set replaces the arguments, as when a saved plan brings its own.
func (v *varFlags) set(vals []schema.VarValue) { v.vals = append([]schema.VarValue(nil), vals...) }

type varFlag struct{ v *varFlags }

func (f varFlag) String() string { return "" }

func (f varFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return errors.New("a variable is set as NAME=VALUE")
	}
	f.v.vals = append(f.v.vals, schema.VarValue{Name: name, Value: value})
	return nil
}

type varFileFlag struct{ v *varFlags }

func (f varFileFlag) String() string { return "" }

func (f varFileFlag) Set(s string) error {
	if s == "" {
		return errors.New("a file name is needed")
	}
	f.v.vals = append(f.v.vals, schema.VarValue{File: s})
	return nil
}

// validateJSON is the -json output of validate.
type validateJSON struct {
	Valid        bool             `json:"valid"`
	ErrorCount   int              `json:"error_count"`
	WarningCount int              `json:"warning_count"`
	Diagnostics  []diagnosticJSON `json:"diagnostics"`
}

func cmdValidate(c *cli, args []string) int {
	fs := newFlags(c, "validate", "[-json] [-var NAME=VALUE]... [-var-file FILE]...")
	jsonOut := fs.Bool("json", false, "print the result as JSON on stdout")
	vars := addVarFlags(fs)
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.stderr, "Error: validate takes no arguments, and got %q\n\n", fs.Arg(0))
		fs.Usage()
		return 1
	}
	if !*jsonOut && c.validCached(vars.values()) {
		fmt.Fprintln(c.stdout, "The configuration is valid.")
		return 0
	}
	cfg, diags := schema.Load(c.dir, schema.LoadOptions{
		Vars: vars.values(), Env: os.Environ(), ProviderTypes: providerTypes(),
	})
	if !diags.HasErrors() {
		diags = append(diags, cfg.Validate()...)
	}
	if !diags.HasErrors() {
		// the providers decode their blocks and check each request against what they know
		// of its model
		provs, pdiags := engine.NewProviders(cfg, registry(), c.env.getenv)
		diags = append(diags, pdiags...)
		if !pdiags.HasErrors() {
			diags = append(diags, engine.Check(cfg, provs)...)
		}
	}
	if *jsonOut {
		errs, warns := countDiags(diags)
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(validateJSON{
			Valid: errs == 0, ErrorCount: errs, WarningCount: warns, Diagnostics: diagnosticsJSON(diags),
		}); err != nil {
			fmt.Fprintf(c.stderr, "Error: %v\n", err)
			return 1
		}
		if errs > 0 {
			return 1
		}
		return 0
	}
	if c.diags(diags, cfg.Files) {
		return 1
	}
	if len(diags) == 0 {
		c.recordValid(cfg, vars.values())
	}
	fmt.Fprintln(c.stdout, "The configuration is valid.")
	return 0
}
