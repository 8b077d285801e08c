package main

// This file holds genform graph: the dependency graph in DOT.

import (
	"fmt"

	"github.com/genform/genform/engine"
)

func cmdGraph(c *cli, args []string) int {
	fs := newFlags(c, "graph", "[-var NAME=VALUE]... [-var-file FILE]...")
	vars := addVarFlags(fs)
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "graph takes no arguments")
	}
	p, ok := c.loadConfig(vars.values())
	if !ok {
		return 1
	}
	fmt.Fprint(c.stdout, engine.Graph(p.cfg))
	return 0
}
