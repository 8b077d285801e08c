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

	"github.com/genform/genform/state"
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
// them on a copy of examples/ci: the pull request's plan, show and gallery, and main's apply
// (through the fake gateway).
func TestExampleCIWorkflow(t *testing.T) {
	offlineEnv(t)
	wf, err := os.ReadFile(filepath.Join("examples", "ci", ".github", "workflows", "genform.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var steps [][]string
	for _, words := range commandLines(string(wf)) {
		checkCommandLine(t, words)
		if len(words) > 0 && slices.Contains([]string{"plan", "show", "gallery", "apply"}, words[0]) {
			steps = append(steps, words)
		}
	}
	var names []string
	for _, s := range steps {
		names = append(names, strings.Join(s, " "))
	}
	want := []string{
		"plan -detailed-exitcode -json -out plan.bin",
		"show plan.bin",
		"gallery -plan plan.bin -changed -out gallery",
		"apply -auto-approve",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("the workflow runs %q, want %q", names, want)
	}
	for _, s := range []string{"secrets.WISDOM_GATE_KEY", "pull_request", "branches: [main]", "git add", "actions/upload-artifact", "cost_usd"} {
		if !bytes.Contains(wf, []byte(s)) {
			t.Errorf("the workflow has no %q", s)
		}
	}

	dir := copyExample(t, "ci")
	t.Chdir(dir) // the workflow runs in the project folder

	// the pull request
	code, stdout, stderr := genform(t, steps[0]...)
	if code != 2 {
		t.Fatalf("%s: exit %d, want 2 (changes)\n%s", names[0], code, stderr)
	}
	var p testPlan
	if err := json.Unmarshal([]byte(stdout), &p); err != nil || p.Summary.Create != 2 || p.Summary.CostUSD != 0.10 {
		t.Errorf("%s: %+v, %v; want 2 to create for $0.10", names[0], p.Summary, err)
	}
	stdout, _ = mustGenform(t, 0, steps[1]...)
	if !strings.Contains(stdout, "\nPlan: 2 to create, 0 to regenerate, 0 to restore, 0 to delete. Estimated cost: $0.10.\n") {
		t.Errorf("%s: the comment's summary line is missing from\n%s", names[1], stdout)
	}
	mustGenform(t, 0, steps[2]...)
	if _, err := os.Stat(filepath.Join("gallery", "index.html")); err != nil {
		t.Errorf("%s: %v", names[2], err)
	}

	// main
	fakeGateway(t, ".", "main.gen.hcl", `provider "wisdomgate" {}`, `provider "wisdomgate" { base_url = "$URL" }`)
	stdout, _ = mustGenform(t, 0, steps[3]...)
	if !strings.Contains(stdout, "Apply complete! 2 generated") {
		t.Errorf("%s said\n%s", names[3], stdout)
	}
	for _, f := range []string{"genform.state.json", "out/banner.png", "out/headline.txt"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("apply: %v (the workflow commits it)", err)
		}
	}
	if code, stdout, _ := genform(t, steps[0]...); code != 0 {
		t.Errorf("the next pull request's plan: exit %d, want 0\n%s", code, stdout)
	}
}

// TestMakeDemo runs `make demo` twice in a fresh clone: a newcomer's first command.
func TestMakeDemo(t *testing.T) {
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

// readme returns README.md, and the fenced shell blocks of the section with the heading.
func readme(t *testing.T, heading string) (text string, blocks []string) {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text = string(b)
	if heading == "" {
		return text, nil
	}
	i := strings.Index(text, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no %q", heading)
	}
	section := text[i+len(heading)+2:]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	for {
		start := strings.Index(section, "```sh\n")
		if start < 0 {
			return text, blocks
		}
		section = section[start+len("```sh\n"):]
		end := strings.Index(section, "```")
		blocks = append(blocks, section[:end])
		section = section[end+3:]
	}
}

// TestReadmeCommands: every genform command line in README.md's code blocks names a command
// and flags it has; every command, subcommand and flag genform has is in the README; every
// make target it names exists.
func TestReadmeCommands(t *testing.T) {
	offlineEnv(t)
	text, _ := readme(t, "")
	var lang string // the open code block's language, "" outside one
	var block strings.Builder
	n := 0
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "```") && lang == "":
			lang = strings.TrimPrefix(line, "```") + " "
		case strings.HasPrefix(line, "```"):
			lang = ""
		case lang == "console " && !strings.HasPrefix(line, "$ "):
			// program output, not a command
		case lang != "":
			block.WriteString(line + "\n")
		}
	}
	for _, words := range commandLines(block.String()) {
		checkCommandLine(t, words)
		n++
	}
	if n < 20 {
		t.Errorf("README.md has %d genform command lines in code blocks; the test reads too few", n)
	}
	cmds := [][]string{{"state", "list"}, {"state", "show"}, {"state", "rm"}}
	for _, c := range commands() {
		if c.name != "state" {
			cmds = append(cmds, []string{c.name})
		}
	}
	for _, c := range cmds {
		name := strings.Join(c, " ")
		if !strings.Contains(text, "`genform "+name) {
			t.Errorf("README.md does not document genform %s", name)
		}
		for flag := range flagsOf(t, c...) {
			if !strings.Contains(text, "-"+flag+" ") && !strings.Contains(text, "-"+flag+"`") && !strings.Contains(text, "-"+flag+"]") {
				t.Errorf("README.md does not mention genform %s -%s", name, flag)
			}
		}
	}
	makefile, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(block.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "make" {
			if !bytes.Contains(makefile, []byte("\n"+f[1]+":")) {
				t.Errorf("README.md runs make %s; the Makefile has no such target", f[1])
			}
		}
	}
}

// TestReadmeTutorial follows the README's tutorial: its first block on the scaffold, the two
// edits it describes, and its second block against the fake gateway.
func TestReadmeTutorial(t *testing.T) {
	offlineEnv(t)
	text, blocks := readme(t, "## Tutorial: from `genform init` to a real gateway run")
	if len(blocks) != 2 {
		t.Fatalf("the tutorial has %d shell blocks, want 2", len(blocks))
	}
	dir := t.TempDir()
	// what the tutorial says each command prints
	says := map[string][]string{
		"validate":                 {"The configuration is valid."},
		"apply -auto-approve":      {"Apply complete! 4 generated, 0 restored, 0 deleted, 0 failed."},
		"output posters":           {"out/poster-pixel-art.png", "out/poster-watercolor.png"},
		"state list":               {"chat.tagline", `image.poster["pixel art"]`, `image.poster["watercolor"]`, "video.teaser"},
		"show":                     {"sha256", "cost"},
		"graph":                    {"digraph"},
		"plan -var brand=Moon Tea": {`~ prompt = "Write a tagline for Acme Tea." -> "Write a tagline for Moon Tea."`, "because chat.tagline changes"},
	}
	plans := 0
	for _, words := range commandLines(blocks[0]) {
		stdout, _ := mustGenform(t, 0, append([]string{"-chdir=" + dir}, words...)...)
		key := strings.Join(words, " ")
		if key == "plan" {
			plans++
			want := map[int]string{1: "Plan: 4 to create", 2: "No changes. Everything is up to date."}[plans]
			if !strings.Contains(stdout, want) {
				t.Errorf("plan number %d: no %q in\n%s", plans, want, stdout)
			}
		}
		for _, want := range says[key] {
			if !strings.Contains(stdout, want) {
				t.Errorf("genform %s: no %q in\n%s", key, want, stdout)
			}
		}
		delete(says, key)
	}
	if plans != 2 {
		t.Errorf("the first block ran %d plans, want 2", plans)
	}
	for k := range says {
		t.Errorf("the first block does not run genform %s", k)
	}

	// the two edits
	for _, s := range []string{"Replace the whole `provider \"offline\" { ... }` block with `provider \"wisdomgate\" {}`.",
		"change `path = \"out/teaser.gif\"` to `path = \"out/teaser.mp4\"`"} {
		if !strings.Contains(text, s) {
			t.Fatalf("the tutorial no longer says %q: update this test", s)
		}
	}
	mainFile := filepath.Join(dir, "main.gen.hcl")
	src, err := os.ReadFile(mainFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(src)
	start := strings.Index(cfg, "provider \"offline\" {")
	end := strings.Index(cfg[start:], "\n}\n")
	if start < 0 || end < 0 || !strings.Contains(cfg, `path = "out/teaser.gif"`) {
		t.Fatalf("the scaffold has no offline provider block or teaser.gif path to edit:\n%s", cfg)
	}
	// provider "wisdomgate" {}, but a test cannot reach the real gateway: the fake one
	// stands in for it
	gw := startGateway(t)
	cfg = cfg[:start] + "provider \"wisdomgate\" {\n  base_url      = \"" + gw.URL + "\"\n  poll_interval = \"10ms\"\n}" + cfg[start+end+2:]
	cfg = strings.Replace(cfg, `path = "out/teaser.gif"`, `path = "out/teaser.mp4"`, 1)
	if err := os.WriteFile(mainFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	says = map[string][]string{
		"plan":                {"Plan: 0 to create, 4 to regenerate, 0 to restore, 0 to delete. Estimated cost: $0.20 + 1 of unknown cost.", "because chat.tagline changes"},
		"apply -auto-approve": {"Apply complete! 4 generated, 0 restored, 0 deleted, 0 failed."},
		"gallery":             {"index.html"},
	}
	for _, words := range commandLines(blocks[1]) {
		stdout, _ := mustGenform(t, 0, append([]string{"-chdir=" + dir}, words...)...)
		key := strings.Join(words, " ")
		for _, want := range says[key] {
			if !strings.Contains(stdout, want) {
				t.Errorf("genform %s: no %q in\n%s", key, want, stdout)
			}
		}
		delete(says, key)
	}
	for k := range says {
		t.Errorf("the second block does not run genform %s", k)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "teaser.mp4")); err != nil {
		t.Errorf("the teaser from the gateway: %v", err)
	}
}

// TestReadmeTroubleshooting makes each error the README's troubleshooting section explains,
// and checks the README quotes what genform really says.
func TestReadmeTroubleshooting(t *testing.T) {
	offlineEnv(t)
	text, _ := readme(t, "")
	i := strings.Index(text, "\n## Troubleshooting\n")
	j := strings.Index(text[i+1:], "\n## ")
	if i < 0 || j < 0 {
		t.Fatal("README.md has no Troubleshooting section")
	}
	section := strings.Join(strings.Fields(text[i:i+1+j]), " ")

	project := func(t *testing.T, config string) string {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.gen.hcl"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	const offline = `provider "offline" {}
chat "tagline" {
  model  = "deepseek-v3"
  prompt = "A tagline for Acme"
  path   = "out/tagline.txt"
}
`
	tests := []struct {
		name string
		make func(t *testing.T) (stderr string)
		says []string // in stderr, and in the README
	}{
		{"lock held", func(t *testing.T) string {
			dir := project(t, offline)
			l, err := state.Lock(filepath.Join(dir, ".genform", "lock"), "apply")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Unlock()
			_, stderr := mustGenform(t, 1, "-chdir="+dir, "apply", "-auto-approve")
			return stderr
		}, []string{"Error: the project is locked by genform apply (pid "}},
		{"stale plan", func(t *testing.T) string {
			dir := project(t, offline)
			mustGenform(t, 0, "-chdir="+dir, "plan", "-out", "plan.bin")
			mustGenform(t, 0, "-chdir="+dir, "apply", "-auto-approve")
			_, stderr := mustGenform(t, 1, "-chdir="+dir, "apply", "plan.bin")
			return stderr
		}, []string{"Error: saved plan is stale: the state changed since it was made", "run genform plan again"}},
		{"no key", func(t *testing.T) string {
			dir := project(t, strings.Replace(offline, `provider "offline" {}`, `provider "wisdomgate" {}`, 1))
			_, stderr := mustGenform(t, 1, "-chdir="+dir, "apply", "-auto-approve")
			return stderr
		}, []string{"no API key for the wisdomgate provider: set WISDOM_GATE_KEY (or api_key in the provider block)"}},
		{"budget", func(t *testing.T) string {
			_, stderr := mustGenform(t, 1, "-chdir="+copyExample(t, "product-launch"), "plan", "-var", "budget=0.2")
			return stderr
		}, []string{"Error: Plan exceeds the budget", "The estimated cost of this plan is $0.26, above the budget of $0.20. Raise budget in the genform block, or generate less at once with -target."}},
		{"unknown model", func(t *testing.T) string {
			dir := project(t, `chat "a" {
  model  = "deepseek-v4"
  prompt = "hi"
}
`)
			_, stderr := mustGenform(t, 0, "-chdir="+dir, "validate")
			return stderr
		}, []string{`Warning: Unknown model "deepseek-v4"`, `Did you mean "deepseek-v3"?`}},
		{"path escapes", func(t *testing.T) string {
			dir := project(t, `provider "offline" {}
image "b" {
  model  = "m"
  prompt = "x"
  path   = "../x.png"
}
`)
			_, stderr := mustGenform(t, 1, "-chdir="+dir, "validate")
			return stderr
		}, []string{"Error: Invalid output path", `The image.b path "../x.png" leaves the project folder.`}},
		{"corrupt state", func(t *testing.T) string {
			dir := project(t, offline)
			if err := os.WriteFile(filepath.Join(dir, "genform.state.json"), []byte("{\"version\": 1, \"records\": \n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, stderr := mustGenform(t, 1, "-chdir="+dir, "plan")
			return stderr
		}, []string{"genform.state.json:2:1: the file is truncated (the JSON ends early); restore it from its backup or from git"}},
		{"no terminal", func(t *testing.T) string {
			_, stderr := mustGenform(t, 1, "-chdir="+project(t, offline), "apply")
			return stderr
		}, []string{"Error: apply needs approval, and there is no terminal to ask on."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stderr := strings.Join(strings.Fields(tt.make(t)), " ")
			for _, want := range tt.says {
				if !strings.Contains(stderr, want) {
					t.Errorf("genform does not say %q; it says\n%s", want, stderr)
				}
				if !strings.Contains(section, want) {
					t.Errorf("the README's troubleshooting does not quote %q", want)
				}
			}
		})
	}
}
