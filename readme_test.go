package main

// README.md is a test too: its command lines name commands and flags genform has, its
// tutorial runs as written, and its troubleshooting section quotes what genform says.

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/genform/genform/state"
)

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
	parallelOffline(t)
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
		case lang == "hcl ":
			// configuration: its `genform {` block is not a command
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
	cmds := [][]string{{"state", "list"}, {"state", "show"}, {"state", "rm"}, {"state", "mv"}}
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
		stdout, stderr := mustGenform(t, 0, append([]string{"-chdir=" + dir}, words...)...)
		key := strings.Join(words, " ")
		if key == "plan" && strings.Contains(stderr, "Warning") {
			t.Errorf("the scaffold's plan against the gateway warns:\n%s", stderr)
		}
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
	parallelOffline(t)
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
		}, []string{"Error: Plan exceeds the budget", "The estimated cost of this plan is $0.80, above the budget of $0.20. Raise budget in the genform block, or generate less at once with -target."}},
		{"unknown model", func(t *testing.T) string {
			dir := project(t, `chat "a" {
  model  = "deepseek-v4"
  prompt = "hi"
}
`)
			_, stderr := mustGenform(t, 1, "-chdir="+dir, "validate")
			return stderr
		}, []string{`Error: Unknown model "deepseek-v4"`, `Did you mean "deepseek-v3"?`, `extra_models = ["deepseek-v4"]`}},
		{"unpriced with a budget", func(t *testing.T) string {
			dir := copyExample(t, "product-launch")
			src, err := os.ReadFile(filepath.Join(dir, "main.gen.hcl"))
			if err != nil {
				t.Fatal(err)
			}
			unpriced := strings.Replace(string(src), `"veo-3.1"     = 0.50`, "", 1)
			if err := os.WriteFile(filepath.Join(dir, "main.gen.hcl"), []byte(unpriced), 0o644); err != nil {
				t.Fatal(err)
			}
			_, stderr := mustGenform(t, 1, "-chdir="+dir, "plan")
			return stderr
		}, []string{"Error: Plan has changes of unknown cost", "so the budget of $5.00 cannot be checked: veo-3.1 (provider wisdomgate)"}},
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

// TestReadmeCommandTable: the Commands table's row of each command lists every flag of its
// own (the flags every command takes are documented once, below the table), and a row exists
// for each command, so a reader of the table alone learns each command's whole usage.
func TestReadmeCommandTable(t *testing.T) {
	parallelOffline(t)
	text, _ := readme(t, "")
	start := strings.Index(text, "\n## Commands\n")
	if start < 0 {
		t.Fatal("README.md has no ## Commands")
	}
	var rows []string
	for _, line := range strings.Split(text[start:], "\n")[2:] {
		if strings.HasPrefix(line, "| `genform ") {
			rows = append(rows, line)
		} else if len(rows) > 0 && !strings.HasPrefix(line, "|") {
			break
		}
	}
	common := map[string]bool{"compact-warnings": true, "no-color": true, "input": true}
	cmds := [][]string{{"state", "list"}, {"state", "show"}, {"state", "rm"}, {"state", "mv"}, {"state", "pull"}, {"cache", "gc"}}
	for _, c := range commands() {
		if c.name != "state" && c.name != "cache" {
			cmds = append(cmds, []string{c.name})
		}
	}
	for _, c := range cmds {
		name := "genform " + strings.Join(c, " ")
		var row []string // the rows (and the parts of rows) that give this command's usage
		for _, r := range rows {
			for _, part := range strings.Split(r, "`") {
				if part == name || strings.HasPrefix(part, name+" ") {
					row = append(row, part)
				}
			}
		}
		if len(row) == 0 {
			t.Errorf("README.md's Commands table has no row for %s", name)
			continue
		}
		usage := strings.Join(row, " ") + " "
		for flag := range flagsOf(t, c...) {
			if common[flag] {
				continue
			}
			if !strings.Contains(usage, "-"+flag+" ") && !strings.Contains(usage, "-"+flag+"]") && !strings.Contains(usage, "-"+flag+"=") {
				t.Errorf("README.md's Commands table gives %s without its flag -%s", name, flag)
			}
		}
	}
}

// TestReadmeGoVersion: every Go version README.md asks for is go.mod's go line, the one the
// toolchain enforces (two sections written apart once asked for two).
func TestReadmeGoVersion(t *testing.T) {
	text, _ := readme(t, "")
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if want == nil {
		t.Fatal("go.mod has no go line")
	}
	found := regexp.MustCompile(`Go\s+(\d+\.\d+(?:\.\d+)?)\**\s+or\s+newer`).FindAllStringSubmatch(text, -1)
	if len(found) == 0 {
		t.Fatal("README.md names no Go version to install")
	}
	for _, m := range found {
		if m[1] != string(want[1]) {
			t.Errorf("README.md asks for Go %s or newer; go.mod needs %s", m[1], want[1])
		}
	}
}

// TestReadmeContents: the Contents line lists every section (## heading), in order, and every
// link to a heading (#anchor) in README.md leads to one, as GitHub makes anchors.
func TestReadmeContents(t *testing.T) {
	text, _ := readme(t, "")
	prose := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(text, "")
	anchor := func(h string) string {
		h = regexp.MustCompile(`[^\p{L}\p{N}_\- ]`).ReplaceAllString(strings.ToLower(h), "")
		return strings.ReplaceAll(h, " ", "-")
	}
	anchors := map[string]bool{}
	var sections []string
	for _, m := range regexp.MustCompile(`(?m)^(#+) (.+)$`).FindAllStringSubmatch(prose, -1) {
		anchors[anchor(m[2])] = true
		if m[1] == "##" {
			sections = append(sections, anchor(m[2]))
		}
	}
	for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(text, -1) {
		if !anchors[m[1]] {
			t.Errorf("README.md links to #%s, which no heading makes", m[1])
		}
	}
	i := strings.Index(text, "\nContents: ")
	if i < 0 {
		t.Fatal("README.md has no Contents line")
	}
	contents := text[i : i+strings.Index(text[i+1:], "\n\n")+1]
	var listed []string
	for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(contents, -1) {
		listed = append(listed, m[1])
	}
	if strings.Join(listed, " ") != strings.Join(sections, " ") {
		t.Errorf("README.md's Contents lists\n  %s\nbut its sections are\n  %s", strings.Join(listed, " "), strings.Join(sections, " "))
	}
}
