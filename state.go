package main

// This file holds genform state: list, show, rm and mv.

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/engine"
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
	case "mv":
		return cmdStateMv(c, args[1:])
	case "pull":
		return cmdStatePull(c, args[1:])
	}
	c.ui().Errorf("unknown state command %q\n", args[0])
	stateUsage(c.stderr)
	return 1
}

func stateUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: genform state list | state show ADDR | state rm ADDR... | state mv FROM TO | state pull")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  list      list the addresses in the state")
	fmt.Fprintln(w, "  show      show a recorded instance, or every instance of a block")
	fmt.Fprintln(w, "  rm        forget instances (their files stay; the next plan restores them from the cache, else generates them)")
	fmt.Fprintln(w, "  mv        rename recorded instances (a block or one instance), paying nothing")
	fmt.Fprintln(w, "  pull      print the state, from any backend, as the state file's JSON")
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
	// a block address shows every recorded instance of it, as state list does
	var shown int
	for _, addr := range slices.Sorted(maps.Keys(p.st.Records)) {
		if matchesAny(addr, fs.Args()) {
			if shown > 0 {
				fmt.Fprintln(c.stdout)
			}
			c.ui().Record(p.st.Records[addr])
			shown++
		}
	}
	if shown == 0 {
		c.ui().Errorf("%s is not in the state. Run 'genform state list' to see the addresses.", fs.Arg(0))
		return 1
	}
	return 0
}

func cmdStateRm(c *cli, args []string) int {
	fs := newFlags(c, "state rm", "[-lock-timeout=DURATION] ADDR...")
	lockTimeout := lockTimeoutFlag(fs)
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() == 0 {
		return c.usageError(fs, "state rm takes one or more addresses")
	}
	p, unlock, ok := c.lockedState("state rm", *lockTimeout)
	if !ok {
		return 1
	}
	defer unlock()
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
	var kept []*state.Record // the removed records, to tell what the next plan does
	for _, addr := range removed {
		if r := p.st.Records[addr]; r != nil {
			kept = append(kept, r)
		}
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
	restorable := cached(p, kept)
	switch {
	case restorable == len(removed):
		fmt.Fprintln(c.stdout, "The cache holds their outputs: while they are still declared, the next plan restores them (free).")
	case restorable > 0:
		fmt.Fprintf(c.stdout, "The cache holds the outputs of %d of them: while they are still declared, the next plan restores those (free) and generates the others again.\n", restorable)
	default:
		fmt.Fprintln(c.stdout, "No cache holds their outputs: while they are still declared, the next apply generates them again.")
	}
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

// cached counts the records whose result a plan would find in the local cache by input hash
// (what it restores, free, for an instance with no record).
func cached(p *project, recs []*state.Record) int {
	if _, err := os.Stat(p.work("cache")); err != nil {
		return 0
	}
	cache, err := state.OpenCache(p.work("cache"))
	if err != nil {
		return 0
	}
	defer cache.Close()
	n := 0
	for _, r := range recs {
		hit, ok := cache.Lookup(r.InputHash)
		if ok && (hit.Kind == "chat" || hit.Output != nil && cache.Has(hit.Output.SHA256)) {
			n++
		}
	}
	return n
}

// cmdStateMv renames recorded instances: genform state mv FROM TO. Files stay where they
// are; the next plan restores an output whose path changed, free.
func cmdStateMv(c *cli, args []string) int {
	fs := newFlags(c, "state mv", "[-lock-timeout=DURATION] FROM TO")
	lockTimeout := lockTimeoutFlag(fs)
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
			c.ui().Errorf("%s", diags[0].Detail)
			return 1
		}
		refs[i] = r
	}
	p, unlock, ok := c.lockedState("state mv", *lockTimeout)
	if !ok {
		return 1
	}
	defer unlock()
	moves, err := engine.MoveRecords(p.st, refs[0], refs[1])
	if err != nil {
		c.ui().Errorf("%v.", err)
		return 1
	}
	if err := c.writeState(p); err != nil {
		c.ui().Error(err)
		return 1
	}
	for _, mv := range moves {
		fmt.Fprintf(c.stdout, "Moved %s to %s\n", mv.From, mv.To)
	}
	fmt.Fprintf(c.stdout, "Moved %d instance(s). Their files stay where they are; nothing was generated.\n", len(moves))
	return 0
}
