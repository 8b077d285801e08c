package main

// This file holds genform state: list, show and rm.

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
)

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
	c.ui().Errorf("unknown state command %q\n", args[0])
	stateUsage(c.stderr)
	return 1
}

func stateUsage(w io.Writer) {
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
	for _, addr := range slices.Sorted(maps.Keys(p.st.Records)) {
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
		c.ui().Errorf("%s is not in the state. Run 'genform state list' to see the addresses.", fs.Arg(0))
		return 1
	}
	c.ui().Record(r)
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
		c.ui().Error(err)
		return 1
	}
	defer lock.Unlock()
	if !c.readState(p) {
		return 1
	}
	var removed []string
	for _, addr := range slices.Sorted(maps.Keys(p.st.Records)) {
		if matchesAny(addr, fs.Args()) {
			removed = append(removed, addr)
		}
	}
	for _, a := range fs.Args() {
		if !anyMatch(removed, a) {
			c.ui().Errorf("%s is not in the state; nothing was removed.", a)
			return 1
		}
	}
	for _, addr := range removed {
		delete(p.st.Records, addr)
		delete(p.st.Jobs, addr)
	}
	if err := c.writeState(p); err != nil {
		c.ui().Error(err)
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
		if asset.InBlock(addr, canonicalAddr(p)) {
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
