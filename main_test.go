package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/genform/genform/backend/pg/pgtest"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary be genform itself when scripts run it.
func TestMain(m *testing.M) {
	testscript.Main(stopPG{m}, map[string]func(){
		"genform": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// stopPG stops the PostgreSQL server of the pg tests, if one was started, after the tests.
type stopPG struct{ *testing.M }

func (m stopPG) Run() int {
	defer pgtest.Stop()
	defer removeBenchDirs()
	return m.M.Run()
}

// scriptT keys the script's T in its Env values.
type scriptT struct{}

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
			env.Values[scriptT{}] = env.T() // for the pg command
			return nil
		},
	})
}
