package main

// This file holds genform state pull: the state, from any backend, as the state file's JSON.

import (
	"fmt"

	"github.com/genform/genform/state"
)

// cmdStatePull prints the state as the same deterministic JSON the state file holds, so a
// team on a shared backend can still review and commit it. With no state yet it prints
// nothing (and says so on stderr).
func cmdStatePull(c *cli, args []string) int {
	fs := newFlags(c, "state pull", "")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "state pull takes no arguments")
	}
	p, ok := c.stateOnly()
	if !ok {
		return 1
	}
	defer p.closeBackend()
	if !p.stExists && p.journal == 0 {
		// As terraform state pull: nothing. (An empty state would carry a lineage made anew
		// on every call; one without it, as show -json prints, is no state file.)
		fmt.Fprintln(c.stderr, "There is no state yet: nothing has been applied to this project, so there is nothing to pull.")
		return 0
	}
	b, err := state.Marshal(p.st)
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	c.stdout.Write(b)
	return 0
}
