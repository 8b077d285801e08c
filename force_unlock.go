package main

// This file holds genform force-unlock: releasing a lock whose holder is gone.

import (
	"context"
	"fmt"
)

func cmdForceUnlock(c *cli, args []string) int {
	fs := newFlags(c, "force-unlock", "LOCK_ID")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		return c.usageError(fs, "force-unlock takes one argument, the lock ID a locked command printed")
	}
	p, ok := c.stateProject()
	if !ok || !c.openBackend(p) {
		return 1
	}
	defer p.closeBackend()
	if err := p.backend.ForceUnlock(context.Background(), fs.Arg(0)); err != nil {
		c.ui().Error(err)
		return 1
	}
	fmt.Fprintf(c.stdout, "Released lock %s of %s. If its holder still runs, everything it writes from now on is refused.\n",
		fs.Arg(0), p.backend.Describe())
	return 0
}
