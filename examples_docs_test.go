package main

// The documents are tests too: the genform command lines in README.md and in the CI
// example's workflow name commands and flags genform has, the workflow's commands run, the
// README's tutorial runs as written, and `make demo` works twice in a fresh clone.

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/genform/genform/remote/remotetest"
)

// commandLines finds the genform command lines in a text (a workflow, a shell block): the
// lines whose first word, after any "run:" or "$", is genform. Each is the words after
// genform, up to a shell operator or comment.
func commandLines(text string) [][]string {
	var lines [][]string
	for _, line := range strings.Split(text, "\n") {
		words := shellWords(line)
		for len(words) > 0 && (words[0] == "run:" || words[0] == "$" || words[0] == "-") {
			words = words[1:]
		}
		if len(words) == 0 || (words[0] != "genform" && words[0] != "bin/genform" && words[0] != "$(BIN)") {
			continue
		}
		if len(words) > 1 && words[1] == "{" {
			continue // HCL's genform block, not a command
		}
		lines = append(lines, words[1:])
	}
	return lines
}

// shellWords splits a command line as a shell would for the simple lines of our documents:
// quotes group and are removed, and an unquoted #, >, 2>, |, && or ; ends the command.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case !inWord && (r == '#' || r == '>' || r == '|' || r == ';' || r == '&' ||
			strings.HasPrefix(line[i:], "2>")):
			return words
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// flagsOf reads a command's flags from its -h output: name -> takes a value.
func flagsOf(t *testing.T, cmd ...string) map[string]bool {
	t.Helper()
	stdout, _ := mustGenform(t, 0, append(slices.Clone(cmd), "-h")...)
	flags := map[string]bool{}
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(line, "  -") {
			flags[strings.TrimPrefix(f[0], "-")] = len(f) > 1
		}
	}
	return flags
}

// checkCommandLine fails unless words (what follows "genform") name a command and only
// flags it has, all before its arguments.
func checkCommandLine(t *testing.T, words []string) {
	t.Helper()
	for len(words) > 0 && strings.HasPrefix(words[0], "-chdir=") {
		words = words[1:]
	}
	if len(words) == 0 {
		return
	}
	var known bool
	for _, c := range commands() {
		known = known || c.name == words[0]
	}
	if words[0] == "help" || words[0] == "-h" || words[0] == "-version" {
		return
	}
	if !known {
		t.Errorf("genform %s: there is no command %q", strings.Join(words, " "), words[0])
		return
	}
	cmd, args := words[:1], words[1:]
	if cmd[0] == "state" {
		if len(args) == 0 {
			t.Errorf("genform state needs list, show or rm")
			return
		}
		cmd, args = words[:2], words[2:]
	}
	flags := flagsOf(t, cmd...)
	positional := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = true
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takes, ok := flags[name]
		switch {
		case name == "h" || name == "help":
		case !ok:
			t.Errorf("genform %s: no flag -%s (it has %v)", strings.Join(words, " "), name, keys(flags))
		case positional:
			t.Errorf("genform %s: -%s after an argument is not read as a flag", strings.Join(words, " "), name)
		case takes && !hasValue:
			i++ // its value
		}
	}
}

func keys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestExampleCIWorkflow checks the workflow's genform commands against the CLI, then runs
// them on a copy of examples/ci: the pull request's pull, plan, show and gallery, and main's
// pull, apply and push (through the fake gateway, with the shared cache in an S3-protocol
// server on a loopback port); then a fresh checkout holding only the state pulls every output.
func TestExampleCIWorkflow(t *testing.T) {
	offlineEnv(t)
	srv := remotetest.NewS3Server(t)
	t.Setenv("GENFORM_CACHE_BUCKET", remotetest.Bucket)
	t.Setenv("GENFORM_CACHE_ENDPOINT", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	wf, err := os.ReadFile(filepath.Join("examples", "ci", ".github", "workflows", "genform.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var steps [][]string
	for _, words := range commandLines(string(wf)) {
		checkCommandLine(t, words)
		if len(words) > 0 && slices.Contains([]string{"pull", "plan", "show", "gallery", "apply", "push"}, words[0]) {
			steps = append(steps, words)
		}
	}
	var names []string
	for _, s := range steps {
		names = append(names, strings.Join(s, " "))
	}
	want := []string{
		"pull",
		"plan -detailed-exitcode -json -out plan.bin",
		"show plan.bin",
		"gallery -plan plan.bin -changed -out gallery",
		"pull",
		"apply -auto-approve",
		"push",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("the workflow runs %q, want %q", names, want)
	}
	for _, s := range []string{"secrets.WISDOM_GATE_KEY", "pull_request", "branches: [main]", "git add", "actions/upload-artifact", "cost_usd",
		"secrets.AWS_SECRET_ACCESS_KEY", "GENFORM_CACHE_BUCKET", `GENFORM_CACHE_UPLOAD: "false"`} {
		if !bytes.Contains(wf, []byte(s)) {
			t.Errorf("the workflow has no %q", s)
		}
	}

	dir := copyExample(t, "ci")
	t.Chdir(dir) // the workflow runs in the project folder

	// the pull request: the first one, nothing recorded yet
	mustGenform(t, 0, steps[0]...)
	code, stdout, stderr := genform(t, steps[1]...)
	if code != 2 {
		t.Fatalf("%s: exit %d, want 2 (changes)\n%s", names[1], code, stderr)
	}
	var p testPlan
	if err := json.Unmarshal([]byte(stdout), &p); err != nil || p.Summary.Create != 2 || p.Summary.CostUSD != 0.10 {
		t.Errorf("%s: %+v, %v; want 2 to create for $0.10", names[1], p.Summary, err)
	}
	stdout, _ = mustGenform(t, 0, steps[2]...)
	if !strings.Contains(stdout, "\nPlan: 2 to create, 0 to regenerate, 0 to restore, 0 to delete. Estimated cost: $0.10.\n") {
		t.Errorf("%s: the comment's summary line is missing from\n%s", names[2], stdout)
	}
	mustGenform(t, 0, steps[3]...)
	if _, err := os.Stat(filepath.Join("gallery", "index.html")); err != nil {
		t.Errorf("%s: %v", names[3], err)
	}

	// main
	fakeGateway(t, ".", "main.gen.hcl", `provider "wisdomgate" {}`, `provider "wisdomgate" { base_url = "$URL" }`)
	mustGenform(t, 0, steps[4]...)
	stdout, stderr = mustGenform(t, 0, steps[5]...)
	if !strings.Contains(stdout, "Apply complete! 2 generated") || strings.Contains(stderr, "not uploaded") {
		t.Errorf("%s said\n%s\n%s", names[5], stdout, stderr)
	}
	if stdout, _ = mustGenform(t, 0, steps[6]...); !strings.Contains(stdout, "Pushed 0 results") {
		t.Errorf("%s after an apply that uploaded everything: %s", names[6], stdout)
	}
	banner, err := os.ReadFile("out/banner.png")
	if err != nil {
		t.Fatal(err)
	}

	// the next pull request, in a fresh checkout: the state is committed, nothing else
	for _, f := range []string{"out", ".genform", "plan.bin", "plan.json", "gallery"} {
		os.RemoveAll(f)
	}
	if stdout, _ = mustGenform(t, 0, steps[0]...); !strings.Contains(stdout, "Pulled 2 outputs (1 from the state, 0 from the local cache, 1 from the shared cache)") {
		t.Errorf("%s in a fresh checkout: %s", names[0], stdout)
	}
	if got, err := os.ReadFile("out/banner.png"); err != nil || !bytes.Equal(got, banner) {
		t.Errorf("the pulled banner differs from the generated one (%v)", err)
	}
	if code, stdout, _ := genform(t, steps[1]...); code != 0 {
		t.Errorf("the next pull request's plan: exit %d, want 0\n%s", code, stdout)
	}
}

// TestMakeDemo runs `make demo` twice in a fresh clone: a newcomer's first command.
func TestMakeDemo(t *testing.T) {
	t.Parallel() // a clone and processes of its own
	if testing.Short() {
		t.Skip("builds genform: skipped in -short mode")
	}
	for _, tool := range []string{"make", "git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: %v", tool, err)
		}
	}
	clone := filepath.Join(t.TempDir(), "genform")
	if out, err := exec.Command("git", "clone", "--quiet", "--depth=1", "file://"+mustAbs(t, "."), clone).CombinedOutput(); err != nil {
		t.Skipf("git clone: %v\n%s", err, out)
	}
	demo := func() string {
		t.Helper()
		cmd := exec.Command("make", "--no-print-directory", "demo")
		cmd.Dir = clone
		// no network: every module is in the module cache already; no key either
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly", "WISDOM_GATE_KEY=", "NO_COLOR=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make demo: %v\n%s", err, out)
		}
		return string(out)
	}
	first := demo()
	for _, want := range []string{"Apply complete! 4 generated", "examples/quickstart/out/", "teaser.gif"} {
		if !strings.Contains(first, want) {
			t.Errorf("the first make demo: no %q in\n%s", want, first)
		}
	}
	if second := demo(); !strings.Contains(second, "No changes. Everything is up to date.") {
		t.Errorf("the second make demo:\n%s", second)
	}
	out, err := exec.Command("git", "-C", clone, "status", "--porcelain").CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("make demo leaves files git does not ignore: %v\n%s", err, out)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
