package main

// This file holds genform show: the state, or a saved plan.

import (
	"fmt"

	"github.com/genform/genform/engine"
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
		pl, err := readSavedPlan(c.dir, fs.Arg(0))
		if err != nil {
			c.ui().Error(err)
			return 1
		}
		var changes engine.Changes
		for _, j := range pl.Changes {
			changes = append(changes, j.Engine())
		}
		view.NewPlan(c.ui(), *asJSON).Plan(changes)
		return 0
	default:
		return c.usageError(fs, "show takes at most one argument, a saved plan")
	}
	p, ok := c.stateOnly()
	if !ok {
		return 1
	}
	if len(p.st.Records) == 0 && p.noConfig && !p.stExists && !*asJSON {
		fmt.Fprintln(c.stdout, "Nothing to show: this folder has no configuration and no state. genform init starts a project.")
		return 0
	}
	if err := view.NewState(c.ui(), *asJSON).State(p.st, p.stExists); err != nil {
		c.ui().Error(err)
		return 1
	}
	return 0
}
