package main

// The examples are tests: every folder under examples/ validates in place and plans in a
// copy; the offline ones apply; the gateway ones apply against the fake gateway; the CLI
// scripts that apply them carry exact copies of them. (The CI workflow, the README and
// `make demo` are in examples_docs_test.go.)

import (
	"bytes"
	"encoding/json"
	"image/gif"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/genform/genform/providers/wisdomgate/gatetest"
	"github.com/genform/genform/view"
	"github.com/rogpeppe/go-internal/txtar"
)

// exampleDirs lists the folders under examples/.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("examples")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	want := []string{"ci", "product-launch", "prompt-library", "quickstart"}
	for _, w := range want {
		if !slices.Contains(dirs, w) {
			t.Errorf("examples/%s is missing", w)
		}
	}
	return dirs
}

// genform runs the CLI in-process and returns its exit code and output.
func genform(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// mustGenform runs the CLI and fails the test unless it exits with want.
func mustGenform(t *testing.T, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := genform(t, args...)
	if code != want {
		t.Fatalf("genform %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}

// offlineEnv keeps tests away from a real gateway and from colour.
func offlineEnv(t *testing.T) {
	t.Setenv("WISDOM_GATE_KEY", "")
	t.Setenv("NO_COLOR", "1")
}

var offlineOnce sync.Once

// parallelOffline runs the test in parallel with the other parallel tests, away from a real
// gateway and from colour. The environment is the process's, so it is set once for all of
// them; t.Parallel returns only after every serial test (which may t.Setenv) has finished.
func parallelOffline(t *testing.T) {
	t.Parallel()
	offlineOnce.Do(func() {
		os.Setenv("WISDOM_GATE_KEY", "")
		os.Setenv("NO_COLOR", "1")
	})
}

// generated are the files an example gets when it is tried; copies leave them behind.
var generated = []string{"out", ".genform", "genform.state.json", "plan.bin", "plan.json", "gallery"}

// copyExample copies examples/name, without anything generated, into a temporary folder.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("examples", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if slices.Contains(generated, strings.Split(filepath.ToSlash(rel), "/")[0]) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// testPlan is what the tests read of plan -json.
type testPlan struct {
	Changes []struct {
		Address string   `json:"address"`
		Action  string   `json:"action"`
		Reasons []string `json:"reasons"`
	} `json:"changes"`
	Summary view.SummaryJSON `json:"summary"`
}

func planOf(t *testing.T, dir string, args ...string) testPlan {
	t.Helper()
	stdout, _ := mustGenform(t, 0, append([]string{"-chdir=" + dir, "plan", "-json"}, args...)...)
	var p testPlan
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("plan -json: %v\n%s", err, stdout)
	}
	return p
}

// actions counts a plan's changes by action, and lists the addresses of each.
func (p testPlan) actions() map[string][]string {
	m := map[string][]string{}
	for _, ch := range p.Changes {
		m[ch.Action] = append(m[ch.Action], ch.Address)
	}
	return m
}

func TestExamplesValidate(t *testing.T) {
	parallelOffline(t)
	for _, name := range exampleDirs(t) {
		t.Run(name, func(t *testing.T) {
			dir := "-chdir=" + filepath.Join("examples", name)
			stdout, _ := mustGenform(t, 0, dir, "validate")
			if !strings.Contains(stdout, "The configuration is valid.") {
				t.Errorf("validate said %q", stdout)
			}
			// the examples are written the way genform fmt writes them
			if stdout, _ := mustGenform(t, 0, dir, "fmt", "-check"); stdout != "" {
				t.Errorf("fmt -check lists %q", stdout)
			}
		})
	}
}

// TestExamplesModelsServed: no example names a model the gateway no longer serves (or will
// stop serving), even one that runs offline, whose user will one day move it to the gateway:
// validated against wisdomgate, no example is warned of a shutdown.
func TestExamplesModelsServed(t *testing.T) {
	parallelOffline(t)
	offlineBlock := regexp.MustCompile(`(?s)provider "offline" \{.*?\n\}\n`)
	for _, name := range exampleDirs(t) {
		t.Run(name, func(t *testing.T) {
			dir := copyExample(t, name)
			files, err := filepath.Glob(filepath.Join(dir, "*.gen.hcl"))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				src, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				src = offlineBlock.ReplaceAll(src, []byte("provider \"wisdomgate\" {}\n"))
				if err := os.WriteFile(f, src, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// an offline example may use sizes only the offline renderer takes: only the
			// shutdown warning matters here, not the exit code
			_, _, stderr := genform(t, "-chdir="+dir, "validate")
			if strings.Contains(stderr, "shut down") {
				t.Errorf("validate against the gateway warns of a shutdown:\n%s", stderr)
			}
		})
	}
}

// plannedExample is what planning an example from scratch gives.
type plannedExample struct {
	name        string
	create      int
	cost        float64
	costUnknown int
}

// TestExamplesPlan plans every example from scratch, offline and without a key.
func TestExamplesPlan(t *testing.T) {
	parallelOffline(t)
	tests := []plannedExample{
		{"quickstart", 4, 0, 0},
		{"product-launch", 5, 0.80, 0}, // two 2K Gemini heroes, and gpt-image-1 and veo-3.1 at the prices its provider block gives
		{"prompt-library", 5, 0, 0},
		{"ci", 2, 0.10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyExample(t, tt.name)
			p := planOf(t, dir)
			s := p.Summary
			if s.Create != tt.create || s.Regenerate+s.Restore+s.Delete+s.NoOp != 0 {
				t.Errorf("summary %+v, want %d to create and nothing else", s, tt.create)
			}
			if d := s.CostUSD - tt.cost; d > 1e-9 || d < -1e-9 || s.CostUnknown != tt.costUnknown {
				t.Errorf("cost $%v + %d unknown, want $%v + %d", s.CostUSD, s.CostUnknown, tt.cost, tt.costUnknown)
			}
			if _, err := os.Stat(filepath.Join(dir, "genform.state.json")); err == nil {
				t.Error("plan wrote a state file")
			}
		})
	}
	for _, name := range exampleDirs(t) {
		if !slices.ContainsFunc(tests, func(tt plannedExample) bool { return tt.name == name }) {
			t.Errorf("examples/%s is not planned by this test", name)
		}
	}
}

// TestExampleProductLaunchVariables: the brand and budget variables reach the plan.
func TestExampleProductLaunchVariables(t *testing.T) {
	parallelOffline(t)
	dir := copyExample(t, "product-launch")
	_, stderr := mustGenform(t, 1, "-chdir="+dir, "plan", "-var", "budget=0.2")
	if !strings.Contains(stderr, "Plan exceeds the budget") || !strings.Contains(stderr, "above the budget of $0.20") {
		t.Errorf("a $0.20 budget: stderr\n%s", stderr)
	}
	stdout, _ := mustGenform(t, 0, "-chdir="+dir, "plan", "-var", "brand=Moon Tea", "-var", `moods=["sunrise"]`)
	for _, want := range []string{`A tagline for Moon Tea`, `image.hero["sunrise"]`, "Estimated cost: $0.67."} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan -var brand=Moon Tea: no %q in\n%s", want, stdout)
		}
	}
	_, stderr = mustGenform(t, 1, "-chdir="+dir, "plan", "-var", "brand= ")
	if !strings.Contains(stderr, "brand must not be empty.") {
		t.Errorf("an empty brand: stderr\n%s", stderr)
	}
}

// TestExampleQuickstartApply applies the quickstart offline, twice.
func TestExampleQuickstartApply(t *testing.T) {
	parallelOffline(t)
	dir := copyExample(t, "quickstart")
	stdout, _ := mustGenform(t, 0, "-chdir="+dir, "apply", "-auto-approve")
	if !strings.Contains(stdout, "Apply complete! 4 generated, 0 restored, 0 deleted, 0 failed. Cost: $0.00.") {
		t.Errorf("apply said\n%s", stdout)
	}
	for _, name := range []string{"poster-watercolor.png", "poster-pixel-art.png"} {
		f, err := os.Open(filepath.Join(dir, "out", name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 1024 || cfg.Height != 576 {
			t.Errorf("%s: %dx%d, %v; want a 1024x576 PNG (1K at 16:9)", name, cfg.Width, cfg.Height, err)
		}
	}
	f, err := os.Open(filepath.Join(dir, "out", "teaser.gif"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(f)
	f.Close()
	if err != nil || len(g.Image) < 2 || g.Config.Width != 320 {
		t.Errorf("teaser.gif: %v; want an animated 320x180 GIF", err)
	}
	if tagline, err := os.ReadFile(filepath.Join(dir, "out", "tagline.txt")); err != nil || len(tagline) == 0 {
		t.Errorf("tagline.txt: %q, %v", tagline, err)
	}

	stdout, _ = mustGenform(t, 0, "-chdir="+dir, "plan", "-detailed-exitcode")
	if !strings.Contains(stdout, "No changes. Everything is up to date.") {
		t.Errorf("the second plan said\n%s", stdout)
	}
	stdout, _ = mustGenform(t, 0, "-chdir="+dir, "apply", "-auto-approve")
	if strings.TrimSpace(stdout) != "No changes. Everything is up to date." {
		t.Errorf("the second apply said\n%s", stdout)
	}
	stdout, _ = mustGenform(t, 0, "-chdir="+dir, "output", "-json", "files")
	var files []string
	if err := json.Unmarshal([]byte(stdout), &files); err != nil || len(files) != 4 {
		t.Errorf("output files: %q, %v", stdout, err)
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("output files names %s: %v", f, err)
		}
	}
	// a new brand changes the tagline, and so everything downstream of it
	p := planOf(t, dir, "-var", "brand=Moon Tea")
	if got := p.actions()["regenerate"]; len(got) != 4 {
		t.Errorf("-var brand: regenerates %v, want all 4", got)
	}
}

// TestExamplePromptLibrary: one prompt file is one image; editing it regenerates exactly it.
func TestExamplePromptLibrary(t *testing.T) {
	parallelOffline(t)
	dir := copyExample(t, "prompt-library")
	mustGenform(t, 0, "-chdir="+dir, "apply", "-auto-approve")
	for _, f := range []string{"products/teapot.png", "products/tins.png", "seasons/spring.png", "seasons/winter.png", "welcome.png"} {
		if _, err := os.Stat(filepath.Join(dir, "out", f)); err != nil {
			t.Error(err)
		}
	}
	write := func(rel, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	winter := filepath.Join(dir, "prompts", "seasons", "winter.md")
	old, err := os.ReadFile(winter)
	if err != nil {
		t.Fatal(err)
	}

	write("prompts/seasons/winter.md", "A cup of tea by a frosted window, a cat asleep on the sill.\n")
	p := planOf(t, dir)
	if got := p.actions(); len(got["regenerate"]) != 1 || got["regenerate"][0] != `image.library["seasons/winter.md"]` ||
		len(got["no-op"]) != 4 || p.Summary.Create+p.Summary.Restore+p.Summary.Delete != 0 {
		t.Errorf("editing one prompt plans %v, want exactly image.library[\"seasons/winter.md\"] regenerated", got)
	}

	// back to the old text: the old image is still in the cache
	write("prompts/seasons/winter.md", string(old))
	if got := planOf(t, dir).actions(); len(got["no-op"]) != 5 {
		t.Errorf("the prompt back as it was: %v, want no changes", got)
	}

	// a new prompt file is a new image; the house style is every image
	write("prompts/seasons/autumn.md", "Fallen leaves around a teapot.\n")
	if got := planOf(t, dir).actions(); len(got["create"]) != 1 || got["create"][0] != `image.library["seasons/autumn.md"]` {
		t.Errorf("a new prompt file: %v, want one create", got)
	}
	if got := planOf(t, dir, "-var", "house_style=ink").actions(); len(got["regenerate"]) != 5 {
		t.Errorf("a new house style: %v, want every recorded image regenerated", got)
	}

	// a removed prompt file deletes its image into the cache; putting it back restores it
	if err := os.Remove(filepath.Join(dir, "prompts", "seasons", "autumn.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(winter); err != nil {
		t.Fatal(err)
	}
	stdout, _ := mustGenform(t, 0, "-chdir="+dir, "apply", "-auto-approve")
	if !strings.Contains(stdout, "1 deleted") {
		t.Errorf("removing a prompt file: apply said\n%s", stdout)
	}
	write("prompts/seasons/winter.md", string(old))
	if got := planOf(t, dir).actions(); len(got["restore"]) != 1 {
		t.Errorf("a prompt file back: %v, want one restore from the cache", got)
	}
}

// startGateway starts the fake gateway, with its key in WISDOM_GATE_KEY.
func startGateway(t *testing.T) *gatetest.Server {
	t.Helper()
	gw := gatetest.New(gatetest.Options{Key: "test-key"})
	t.Cleanup(gw.Close)
	t.Setenv("WISDOM_GATE_KEY", "test-key")
	return gw
}

// fakeGateway starts the fake gateway and points a copied example at it, replacing the
// first from in file with to ($URL in it is the gateway's URL).
func fakeGateway(t *testing.T, dir, file, from, to string) *gatetest.Server {
	t.Helper()
	gw := startGateway(t)
	path := filepath.Join(dir, file)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	to = strings.ReplaceAll(to, "$URL", gw.URL)
	if !bytes.Contains(src, []byte(from)) {
		t.Fatalf("%s has no %q to point at the fake gateway", file, from)
	}
	if err := os.WriteFile(path, bytes.Replace(src, []byte(from), []byte(to), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	return gw
}

// TestExampleProductLaunchGateway applies the product launch through the fake gateway: the
// same requests a real run makes, with the key from WISDOM_GATE_KEY.
func TestExampleProductLaunchGateway(t *testing.T) {
	offlineEnv(t)
	dir := copyExample(t, "product-launch")
	gw := fakeGateway(t, dir, "main.gen.hcl", `base_url    = "https://wisdom-gate.juheapi.com"`,
		`base_url = "$URL"
  poll_interval = "10ms"`)
	stdout, stderr := mustGenform(t, 0, "-chdir="+dir, "apply", "-auto-approve")
	if !strings.Contains(stdout, "Apply complete! 5 generated") {
		t.Errorf("apply said\n%s\n%s", stdout, stderr)
	}
	for ep, n := range map[gatetest.Endpoint]int{gatetest.Chat: 1, gatetest.Gemini: 2, gatetest.ImagesGenerations: 1, gatetest.VideosCreate: 1} {
		if got := gw.Calls(ep); got != n {
			t.Errorf("%s: %d calls, want %d", ep, got, n)
		}
	}
	var sawLogo, sawHero bool
	for _, r := range gw.Requests() {
		if r.Endpoint == gatetest.Gemini && strings.Contains(jsonString(r.JSON), "base64:1940 bytes") {
			sawLogo = true
		}
		for _, f := range r.Files {
			sawHero = sawHero || (r.Endpoint == gatetest.VideosCreate && f.Field == "input_reference")
		}
	}
	if !sawLogo || !sawHero {
		t.Errorf("the logo reached Gemini: %v; the hero reached veo-3.1 as input_reference: %v", sawLogo, sawHero)
	}
	if code, stdout, _ := genform(t, "-chdir="+dir, "plan", "-detailed-exitcode"); code != 0 {
		t.Errorf("the plan after apply: exit %d\n%s", code, stdout)
	}
	if err := os.WriteFile(filepath.Join(dir, "prompts", "icon.md"), []byte("A round icon for ${brand}.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := planOf(t, dir).actions(); len(got["regenerate"]) != 1 || got["regenerate"][0] != "image.icon" {
		t.Errorf("a new icon prompt: %v, want image.icon regenerated", got)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestExampleScriptsMatchExamples: the CLI scripts that apply the examples carry copies of
// their files (a script cannot reach outside its archive); the copies must be the examples'.
func TestExampleScriptsMatchExamples(t *testing.T) {
	for example, script := range map[string]string{
		"quickstart":     "examples_quickstart.txtar",
		"prompt-library": "examples_prompt_library.txtar",
	} {
		t.Run(example, func(t *testing.T) {
			ar, err := txtar.ParseFile(filepath.Join("testdata", "script", script))
			if err != nil {
				t.Fatal(err)
			}
			inScript := map[string][]byte{}
			for _, f := range ar.Files {
				inScript[f.Name] = f.Data
			}
			dir := copyExample(t, example)
			err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, path)
				rel = filepath.ToSlash(rel)
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				switch got, ok := inScript[rel]; {
				case !ok:
					t.Errorf("%s has no copy of examples/%s/%s", script, example, rel)
				case !bytes.Equal(got, data):
					t.Errorf("%s: %s differs from examples/%s/%s; copy it again", script, rel, example, rel)
				}
				delete(inScript, rel)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for name := range inScript {
				if !strings.HasPrefix(name, "edits/") && name != "addresses.txt" {
					t.Errorf("%s has %s, which examples/%s does not", script, name, example)
				}
			}
		})
	}
}
