package main

// This file holds genform output: the values of the output blocks.

import (
	"maps"
	"slices"
	"strings"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/view"
)

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
	if c.ui().Diagnostics(diags, p.cfg.Files) {
		return 1
	}
	v := view.NewOutputs(c.ui(), *asJSON)
	all := map[string]view.OutputValue{}
	for _, o := range p.cfg.Outputs {
		val, known := engine.JSONValue(values[o.Name])
		all[o.Name] = view.OutputValue{Value: val, Sensitive: o.Sensitive, Known: known}
	}
	if fs.NArg() == 1 {
		name := fs.Arg(0)
		o, ok := all[name]
		if !ok {
			c.ui().Errorf("there is no output %q. The outputs are: %s.", name, strings.Join(slices.Sorted(maps.Keys(all)), ", "))
			return 1
		}
		v.One(o)
		return 0
	}
	v.All(all)
	return 0
}
