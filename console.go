package main

// This file holds genform console: evaluate expressions against the configuration and state.

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/view"
	"github.com/hashicorp/hcl/v2"
)

// maxConsoleLine bounds one expression read from stdin.
const maxConsoleLine = 1 << 20

func cmdConsole(c *cli, args []string) int {
	fs := newFlags(c, "console", "[-var NAME=VALUE]... [-var-file FILE]...")
	vars := addVarFlags(fs)
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "console takes no arguments; it reads expressions from its input, one a line")
	}
	p, ok := c.loadConfig(vars.values())
	if !ok || !c.readState(p) {
		return 1
	}
	scope := engine.StateScope(p.cfg, p.st)
	interactive := view.IsTerminal(c.stdin)
	in := bufio.NewScanner(c.stdin)
	in.Buffer(make([]byte, 64<<10), maxConsoleLine)
	code := 0
	for n := 1; ; n++ {
		if interactive {
			fmt.Fprint(c.stdout, "> ")
		}
		if !in.Scan() {
			break
		}
		line := strings.TrimSpace(in.Text())
		switch line {
		case "":
			continue
		case "exit":
			return code
		}
		name := fmt.Sprintf("<console:%d>", n)
		v, diags := p.cfg.EvalString(line, name, scope)
		if diags.HasErrors() {
			c.ui().Diagnostics(diags, map[string]*hcl.File{name: {Bytes: []byte(line)}})
			code = 1
			continue
		}
		if schema.IsSensitive(v) {
			fmt.Fprintln(c.stdout, "(sensitive value)")
			continue
		}
		fmt.Fprintln(c.stdout, view.HCLValue(v))
	}
	if err := in.Err(); err != nil {
		c.ui().Errorf("reading the console's input: %v", err)
		return 1
	}
	if interactive {
		fmt.Fprintln(c.stdout)
	}
	return code
}
