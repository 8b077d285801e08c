package main

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the custom commands of the CLI scripts.
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"exitcode": cmdExitCode,
		"json":     cmdJSON,
	}
}

// cmdExitCode runs a command and checks its exact exit status, keeping its output for
// stdout and stderr checks: exitcode 3 genform fmt -check
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdJSON checks a value in a JSON document: json FILE PATH WANT, where FILE is a file or
// stdout, PATH is dotted (diagnostics.0.summary), and WANT is JSON (false, 3, "x") or, if it
// does not parse as JSON, a string. With !, the value must differ.
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: json FILE PATH WANT")
	}
	var doc any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("json: %s is not JSON: %v", args[0], err)
	}
	v := doc
	if args[1] != "." {
		for _, step := range strings.Split(args[1], ".") {
			switch cur := v.(type) {
			case map[string]any:
				var ok bool
				if v, ok = cur[step]; !ok {
					ts.Fatalf("json: %s has no %q at %s", args[0], step, args[1])
				}
			case []any:
				i, err := strconv.Atoi(step)
				if err != nil || i < 0 || i >= len(cur) {
					ts.Fatalf("json: %s has no element %q at %s", args[0], step, args[1])
				}
				v = cur[i]
			default:
				ts.Fatalf("json: %s has nothing under %s", args[0], args[1])
			}
		}
	}
	var want any
	if err := json.Unmarshal([]byte(args[2]), &want); err != nil {
		want = args[2]
	}
	gotText, _ := json.Marshal(v)
	wantText, _ := json.Marshal(want)
	if equal := string(gotText) == string(wantText); equal == neg {
		ts.Fatalf("json: %s at %s is %s, want %s%s", args[0], args[1], gotText, map[bool]string{true: "not "}[neg], wantText)
	}
}
