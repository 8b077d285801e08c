// Command genform is Terraform for generated media: it plans and applies image, video and
// chat assets declared in *.gen.hcl files against a content-hashed state file.
//
// This file is the CLI's front door: global flags, the command table and help. Each command
// is a file of its own (flags -> work -> view); flags.go holds the flags commands share,
// project.go opening a project, and package view everything they print.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/genform/genform/state"
	"github.com/genform/genform/view"
)

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// cli is what every command gets: where to write, where the project is, how to reach the
// terminal.
type cli struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	dir            string // the project folder (-chdir), "." by default
	view           *view.View

	// the flags every command takes (flags.go)
	noColor, compactWarnings bool
	input                    bool             // -input=false: never ask
	env                      envLog           // the environment variables providers read (noop.go)
	stat                     *state.StatCache // the stat cache, once the no-op record's check opened it
}

// ui is the command's view: where it prints, and how (made on first use).
func (c *cli) ui() *view.View {
	if c.view == nil {
		c.view = view.New(c.stdout, c.stderr)
	}
	return c.view
}

// command is one entry of the command table.
type command struct {
	name     string
	synopsis string
	run      func(c *cli, args []string) int
}

// commands lists every command genform has, in the order help shows them.
func commands() []command {
	return []command{
		{"init", "Start a project: a sample main.gen.hcl and .gitignore", cmdInit},
		{"validate", "Check the configuration", cmdValidate},
		{"fmt", "Format the configuration files canonically", cmdFmt},
		{"plan", "Show what apply would generate, why, and what it costs", cmdPlan},
		{"apply", "Generate what changed", cmdApply},
		{"show", "Show the state, or a saved plan", cmdShow},
		{"state", "Inspect or forget recorded instances", cmdState},
		{"import", "Adopt an existing file as an instance's output, without paying", cmdImport},
		{"output", "Show output values", cmdOutput},
		{"console", "Evaluate expressions against the configuration and state", cmdConsole},
		{"graph", "Print the dependency graph in DOT", cmdGraph},
		{"models", "List the models the gateway offers", cmdModels},
		{"gallery", "Write a review page of the generated media, and of a plan's changes", cmdGallery},
		{"runner", "Join a run of the pg backend and generate its instances", cmdRunner},
		{"force-unlock", "Release a lock whose holder is gone", cmdForceUnlock},
		{"push", "Upload recorded outputs to the shared cache", cmdPush},
		{"pull", "Bring back missing recorded outputs from the local or shared cache, for free", cmdPull},
		{"cache", "Manage the output caches: cache gc drops what nothing references", cmdCache},
		{"version", "Show the genform version", cmdVersion},
	}
}

// run is the whole CLI: it parses args, runs one command and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr, stdin: os.Stdin, dir: "."}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		arg := args[0]
		switch {
		case strings.HasPrefix(arg, "-chdir=") || strings.HasPrefix(arg, "--chdir="):
			c.dir = arg[strings.Index(arg, "=")+1:]
			if c.dir == "" {
				c.ui().Errorf("-chdir needs a folder: -chdir=DIR")
				return 1
			}
		case arg == "-h" || arg == "-help" || arg == "--help":
			usage(stdout)
			return 0
		case arg == "-v" || arg == "-version" || arg == "--version":
			return cmdVersion(c, nil)
		case arg == "-chdir" || arg == "--chdir":
			c.ui().Errorf("-chdir takes its folder after an =: genform -chdir=DIR %s", strings.Join(args[1:], " "))
			return 1
		default:
			c.ui().Errorf("unknown global flag %s\n", arg)
			usage(stderr)
			return 1
		}
		args = args[1:]
	}
	if len(args) == 0 {
		usage(stderr)
		return 1
	}
	name, rest := args[0], args[1:]
	if name == "help" {
		if len(rest) > 0 {
			return run([]string{"-chdir=" + c.dir, rest[0], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd.run(c, rest)
		}
	}
	c.ui().Errorf("unknown command %q\n", name)
	usage(stderr)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: genform [-chdir=DIR] COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", cmd.name, cmd.synopsis)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'genform COMMAND -h' for a command's flags.")
}
