// Command genform is Terraform for generated media: it plans and applies image, video and
// chat assets declared in *.gen.hcl files against a content-hashed state file.
//
// This file is the CLI's front door: global flags, the command table and help. Each command's
// flags and rendering live beside it in the root package.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// cli is what every command gets: where to write, where the project is, how to reach the
// terminal.
type cli struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	dir            string // the project folder (-chdir), "." by default
	env            envLog // the environment variables providers read (noop.go)
	rendered       int    // diagnostics rendered so far
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
		{"output", "Show output values", cmdOutput},
		{"graph", "Print the dependency graph in DOT", cmdGraph},
		{"models", "List the models the gateway offers", cmdModels},
		{"gallery", "Write a review page of the generated media, and of a plan's changes", cmdGallery},
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
				fmt.Fprintln(stderr, "Error: -chdir needs a folder: -chdir=DIR")
				return 1
			}
		case arg == "-h" || arg == "-help" || arg == "--help":
			usage(stdout)
			return 0
		case arg == "-v" || arg == "-version" || arg == "--version":
			return cmdVersion(c, nil)
		default:
			fmt.Fprintf(stderr, "Error: unknown global flag %s\n\n", arg)
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
	fmt.Fprintf(stderr, "Error: unknown command %q\n\n", name)
	usage(stderr)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: genform [-chdir=DIR] COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", cmd.name, cmd.synopsis)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'genform COMMAND -h' for a command's flags.")
}

// newFlags makes a command's flag set: errors and -h print the command's usage to stderr or
// stdout, and parsing never exits the process.
func newFlags(c *cli, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: genform %s %s\n", name, args)
		var hasFlags bool
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(fs.Output(), "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args into fs. It returns the exit code to stop with, or -1 to go on:
// -h prints usage to stdout and exits 0, a bad flag prints a one-line error and usage, exit 1.
func parseFlags(c *cli, fs *flag.FlagSet, args []string) int {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(c.stderr)
	switch {
	case err == flag.ErrHelp:
		fs.SetOutput(c.stdout)
		fs.Usage()
		return 0
	case err != nil:
		fmt.Fprintf(c.stderr, "Error: %v\n\n", err)
		fs.Usage()
		return 1
	}
	return -1
}

func cmdVersion(c *cli, args []string) int {
	fs := newFlags(c, "version", "")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	fmt.Fprintf(c.stdout, "genform v%s\n", version)
	return 0
}
