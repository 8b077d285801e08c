package main

// This file holds what commands share of flags: the flag set itself (-h and errors print the
// command's usage), -var and -var-file, the flags plan and apply share, and the usage error.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/genform/genform/schema"
)

// newFlags makes a command's flag set: errors and -h print the command's usage to stderr or
// stdout, and parsing never exits the process.
func newFlags(c *cli, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	// the flags every command accepts, as Terraform's do
	fs.BoolVar(&c.noColor, "no-color", false, "never use colour (also: NO_COLOR set)")
	fs.BoolVar(&c.compactWarnings, "compact-warnings", false, "show warnings as one line each, errors in full")
	fs.BoolVar(&c.input, "input", true, "ask for input on a terminal; -input=false never asks (apply then needs -auto-approve or a saved plan)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), strings.TrimSpace("Usage: genform "+name+" "+args))
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
	c.ui().SetOptions(c.noColor, c.compactWarnings)
	switch {
	case err == flag.ErrHelp:
		fs.SetOutput(c.stdout)
		fs.Usage()
		return 0
	case err != nil:
		c.ui().Errorf("%v\n", err)
		fs.Usage()
		return 1
	}
	return -1
}

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ", ") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// planFlags are the flags plan and apply share.
type planFlags struct {
	vars    *varFlags
	targets stringsFlag
	replace stringsFlag
	json    bool

	quietTargets bool // the command targets for itself (import): no "Targeting is in effect" warning
}

func addPlanFlags(fs *flag.FlagSet) *planFlags {
	f := &planFlags{vars: addVarFlags(fs)}
	fs.Var(&f.targets, "target", "plan only this `ADDR` and what it depends on (repeatable)")
	fs.Var(&f.replace, "replace", "generate this `ADDR` again even if nothing changed (repeatable)")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of text")
	return f
}

// varFlags collects -var and -var-file arguments in command-line order: the later one wins.
type varFlags struct{ vals []schema.VarValue }

// addVarFlags adds -var and -var-file to a command's flags.
func addVarFlags(fs *flag.FlagSet) *varFlags {
	v := &varFlags{}
	fs.Var(varFlag{v}, "var", "set a variable, as `NAME=VALUE` (repeatable)")
	fs.Var(varFileFlag{v}, "var-file", "read variables from an HCL `FILE`, relative to the project folder (repeatable)")
	return v
}

// values returns the arguments for schema.LoadOptions.Vars.
func (v *varFlags) values() []schema.VarValue { return v.vals }

// set replaces the arguments, as when a saved plan brings its own.
func (v *varFlags) set(vals []schema.VarValue) { v.vals = append([]schema.VarValue(nil), vals...) }

type varFlag struct{ v *varFlags }

func (f varFlag) String() string { return "" }

func (f varFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return errors.New("a variable is set as NAME=VALUE")
	}
	f.v.vals = append(f.v.vals, schema.VarValue{Name: name, Value: value})
	return nil
}

type varFileFlag struct{ v *varFlags }

func (f varFileFlag) String() string { return "" }

func (f varFileFlag) Set(s string) error {
	if s == "" {
		return errors.New("a file name is needed")
	}
	f.v.vals = append(f.v.vals, schema.VarValue{File: s})
	return nil
}

// usageError prints msg as an error, then the command's usage; exit code 1.
func (c *cli) usageError(fs *flag.FlagSet, msg string) int {
	c.ui().Errorf("%s\n", msg)
	fs.Usage()
	return 1
}
