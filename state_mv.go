package main

import (
	"fmt"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
)

// cmdStateMv renames recorded instances: genform state mv FROM TO. Files stay where they
// are; the next plan restores an output whose path changed, free.
func cmdStateMv(c *cli, args []string) int {
	fs := newFlags(c, "state mv", "FROM TO")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 2 {
		return c.usageError(fs, "state mv takes two addresses: FROM TO")
	}
	var refs [2]schema.Ref
	for i, a := range fs.Args() {
		r, diags := schema.ParseRef(a)
		if diags.HasErrors() {
			fmt.Fprintf(c.stderr, "Error: %s\n", diags[0].Detail)
			return 1
		}
		refs[i] = r
	}
	p, ok := c.stateProject()
	if !ok {
		return 1
	}
	lock, err := state.Lock(p.work("lock"), "state mv")
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return 1
	}
	defer lock.Unlock()
	if !c.readState(p) {
		return 1
	}
	moves, err := engine.MoveRecords(p.st, refs[0], refs[1])
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v.\n", err)
		return 1
	}
	if err := c.writeState(p); err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return 1
	}
	for _, mv := range moves {
		fmt.Fprintf(c.stdout, "Moved %s to %s\n", mv.From, mv.To)
	}
	fmt.Fprintf(c.stdout, "Moved %d instance(s). Their files stay where they are; nothing was generated.\n", len(moves))
	return 0
}
