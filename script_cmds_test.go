package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/genform/genform/backend/pg/pgtest"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
	"github.com/genform/genform/state"
	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the custom commands of the CLI scripts.
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"exitcode": cmdExitCode,
		"json":     cmdJSON,
		"gateway":  cmdGateway,
		"lock":     cmdLock,
		"jsonl":    cmdJSONL,
		"pg":       cmdPG,
		"s3":       cmdS3,
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

// The fake gateways and project locks the scripts hold, by script.
var (
	scriptGateways sync.Map // *testscript.TestScript -> *gatetest.Server
	scriptLocks    sync.Map // *testscript.TestScript -> *state.ProjectLock
)

// cmdGateway runs a fake Wisdom Gate in the test process for a script:
//
//	gateway start [KNOB=VALUE...]   start it; $GATEWAY_URL is its base URL
//	gateway set KNOB=VALUE...       change knobs of the running one
//	gateway calls ENDPOINT N        ENDPOINT (chat, gemini, images.generations, videos.create,
//	                                videos.get, ...) received exactly N requests
//	gateway prompt PROMPT N         N generation requests carried exactly PROMPT
//	gateway paid PROMPT N           N generations with PROMPT were answered with success
//
// Knobs: latency=DUR (before every answer), render=DUR (a video's minimum render time),
// polls=N (polls before a video completes), failrate=F (fraction answered 500),
// key=KEY (the only key accepted), and fail=ENDPOINT:STATUS:MESSAGE (the next request to
// ENDPOINT is answered STATUS with MESSAGE; repeatable, answered in order). A prompt containing
// "[fail]" is always refused with 400 (see gatetest). The gateway closes when the script ends.
func cmdGateway(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: gateway start|set|calls|prompt|paid ...")
	}
	if neg {
		ts.Fatalf("gateway does not take !: assert exact counts instead")
	}
	if args[0] == "start" {
		if _, ok := scriptGateways.Load(ts); ok {
			ts.Fatalf("gateway start: a gateway is already running in this script")
		}
		s := gatetest.New(gatetest.Options{})
		scriptGateways.Store(ts, s)
		ts.Defer(func() {
			scriptGateways.Delete(ts)
			s.Close()
		})
		gatewayKnobs(ts, s, args[1:])
		ts.Setenv("GATEWAY_URL", s.URL)
		return
	}
	v, ok := scriptGateways.Load(ts)
	if !ok {
		ts.Fatalf("gateway %s: run 'gateway start' first", args[0])
	}
	s := v.(*gatetest.Server)
	count := func(what string, got int) {
		want, err := strconv.Atoi(args[2])
		if err != nil {
			ts.Fatalf("gateway %s: %q is not a number", args[0], args[2])
		}
		if got != want {
			ts.Fatalf("gateway %s %q: got %d, want %d", args[0], what, got, want)
		}
	}
	switch args[0] {
	case "set":
		gatewayKnobs(ts, s, args[1:])
	case "calls", "prompt", "paid":
		if len(args) != 3 {
			ts.Fatalf("usage: gateway %s %s N", args[0], map[bool]string{true: "ENDPOINT", false: "PROMPT"}[args[0] == "calls"])
		}
		switch args[0] {
		case "calls":
			count(args[1], s.Calls(gatetest.Endpoint(args[1])))
		case "prompt":
			count(args[1], s.PromptCalls(args[1]))
		default:
			count(args[1], s.Paid(args[1]))
		}
	default:
		ts.Fatalf("gateway: unknown subcommand %q (start, set, calls, prompt, paid)", args[0])
	}
}

// gatewayKnobs applies KNOB=VALUE arguments to a fake gateway.
func gatewayKnobs(ts *testscript.TestScript, s *gatetest.Server, knobs []string) {
	for _, kv := range knobs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			ts.Fatalf("gateway: knob %q is not KNOB=VALUE", kv)
		}
		dur := func() time.Duration {
			d, err := time.ParseDuration(v)
			if err != nil {
				ts.Fatalf("gateway: %s=%q is not a duration", k, v)
			}
			return d
		}
		switch k {
		case "latency":
			s.SetLatency(dur())
		case "render":
			d := dur()
			s.Update(func(o *gatetest.Options) { o.VideoRenderTime = d })
		case "polls":
			n, err := strconv.Atoi(v)
			if err != nil {
				ts.Fatalf("gateway: polls=%q is not a number", v)
			}
			s.Update(func(o *gatetest.Options) { o.VideoPolls = n })
		case "failrate":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				ts.Fatalf("gateway: failrate=%q is not a number", v)
			}
			s.SetFailureRate(f)
		case "key":
			s.Update(func(o *gatetest.Options) { o.Key = v })
		case "fail":
			parts := strings.SplitN(v, ":", 3)
			if len(parts) != 3 {
				ts.Fatalf("gateway: fail=%q is not ENDPOINT:STATUS:MESSAGE", v)
			}
			status, err := strconv.Atoi(parts[1])
			if err != nil {
				ts.Fatalf("gateway: fail=%q: %q is not a status code", v, parts[1])
			}
			s.Script(gatetest.Endpoint(parts[0]), gatetest.Reply{Status: status, Message: parts[2]})
		default:
			ts.Fatalf("gateway: unknown knob %q (latency, render, polls, failrate, key, fail)", k)
		}
	}
}

// cmdLock holds the project lock of the script's work folder from the test process, as another
// genform process would: lock hold [COMMAND] takes it (as "apply" unless COMMAND is given),
// lock release gives it back. A held lock is released when the script ends.
func cmdLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: lock hold [COMMAND] | lock release")
	}
	switch args[0] {
	case "hold":
		command := "apply"
		if len(args) > 1 {
			command = strings.Join(args[1:], " ")
		}
		if _, held := scriptLocks.Load(ts); held {
			ts.Fatalf("lock hold: already held")
		}
		l, err := state.Lock(ts.MkAbs(filepath.Join(".genform", "lock")), command)
		ts.Check(err)
		scriptLocks.Store(ts, l)
		ts.Defer(func() {
			if v, held := scriptLocks.LoadAndDelete(ts); held {
				v.(*state.ProjectLock).Unlock()
			}
		})
	case "release":
		v, held := scriptLocks.LoadAndDelete(ts)
		if !held {
			ts.Fatalf("lock release: the lock is not held")
		}
		ts.Check(v.(*state.ProjectLock).Unlock())
	default:
		ts.Fatalf("usage: lock hold [COMMAND] | lock release")
	}
}

// cmdJSONL checks JSON lines (apply -json): every line of FILE must be one JSON object.
//
//	jsonl FILE COUNT              FILE has COUNT lines (* for any number)
//	jsonl FILE LINE PATH WANT     line LINE (0-based; -1 is the last) checked as json does
//	jsonl FILE KEY=VALUE COUNT    COUNT lines have the top-level string KEY equal to VALUE
func cmdJSONL(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 3 && len(args) != 4 {
		ts.Fatalf("usage: jsonl FILE COUNT | jsonl FILE LINE PATH WANT | jsonl FILE KEY=VALUE COUNT")
	}
	text := strings.TrimSuffix(ts.ReadFile(args[0]), "\n")
	var lines []string
	var objs []map[string]any
	if text != "" {
		lines = strings.Split(text, "\n")
	}
	for i, line := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			ts.Fatalf("jsonl: line %d of %s is not one JSON object: %v\n%s", i, args[0], err, line)
		}
		objs = append(objs, obj)
	}
	number := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			ts.Fatalf("jsonl: %q is not a number", s)
		}
		return n
	}
	switch len(args) {
	case 2:
		if neg {
			ts.Fatalf("jsonl FILE COUNT does not take !")
		}
		if args[1] != "*" && number(args[1]) != len(lines) {
			ts.Fatalf("jsonl: %s has %d lines, want %s", args[0], len(lines), args[1])
		}
	case 3:
		k, v, ok := strings.Cut(args[1], "=")
		if !ok || neg {
			ts.Fatalf("usage: jsonl FILE KEY=VALUE COUNT")
		}
		got := 0
		for _, obj := range objs {
			if s, _ := obj[k].(string); s == v {
				got++
			}
		}
		if want := number(args[2]); got != want {
			ts.Fatalf("jsonl: %s has %d lines with %s, want %d", args[0], got, args[1], want)
		}
	case 4:
		i := number(args[1])
		if i < 0 {
			i += len(lines)
		}
		if i < 0 || i >= len(lines) {
			ts.Fatalf("jsonl: %s has no line %s (%d lines)", args[0], args[1], len(lines))
		}
		name := ts.MkAbs(".jsonl-line.json")
		ts.Check(os.WriteFile(name, []byte(lines[i]), 0o644))
		defer os.Remove(name)
		cmdJSON(ts, neg, []string{name, args[2], args[3]})
	}
}

// cmdPG gives the script a fresh PostgreSQL database in $GENFORM_PG (skipping the script when
// PostgreSQL is not installed, failing it under CI): pg
func cmdPG(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: pg")
	}
	ts.Setenv("GENFORM_PG", pgtest.DB(ts.Value(scriptT{}).(testscript.T)))
}
