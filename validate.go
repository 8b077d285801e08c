package main

// This file holds genform validate.

import (
	"fmt"
	"os"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/view"
)

func cmdValidate(c *cli, args []string) int {
	fs := newFlags(c, "validate", "[-json] [-var NAME=VALUE]... [-var-file FILE]...")
	jsonOut := fs.Bool("json", false, "print the result as JSON on stdout")
	vars := addVarFlags(fs)
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, fmt.Sprintf("validate takes no arguments, and got %q", fs.Arg(0)))
	}
	v := view.NewValidate(c.ui(), *jsonOut)
	cfg, diags := schema.Load(c.dir, schema.LoadOptions{
		Vars: vars.values(), Env: os.Environ(), ProviderTypes: providerTypes(),
		UnsetUnknown: true, // as terraform validate: a variable without a value is unknown
	})
	if !diags.HasErrors() {
		diags = append(diags, cfg.Validate()...)
	}
	if !diags.HasErrors() {
		// the providers decode their blocks and check each request against what they know
		// of its model
		provs, pdiags := engine.NewProviders(cfg, registry(), os.Getenv)
		diags = append(diags, pdiags...)
		if !pdiags.HasErrors() {
			diags = append(diags, engine.Check(cfg, provs)...)
		}
	}
	return v.Result(diags, cfg.Files)
}
