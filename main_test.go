package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary be genform itself when scripts run it.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"genform": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script.
func TestScripts(t *testing.T) {
	t.Parallel() // the scripts' environment is their own (Setup)
	testscript.Run(t, testscript.Params{
		Dir:  filepath.Join("testdata", "script"),
		Cmds: scriptCmds(),
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			env.Setenv("WISDOM_GATE_KEY", "") // scripts never reach a real gateway
			// Under -race every genform the scripts run would sleep 1 s at exit otherwise.
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			return nil
		},
	})
}
