package schema

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestSpecExampleIsValid(t *testing.T) {
	c, diags := Load("testdata/spec", LoadOptions{ProviderTypes: testTypes})
	if len(diags) == 0 {
		diags = c.Validate()
	}
	if len(diags) != 0 {
		t.Fatal(render(c, diags))
	}
	if len(c.Instances) != 5 {
		t.Errorf("instances = %d, want 5", len(c.Instances))
	}
}

func TestEval(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.gen.hcl": `
variable "brand" { default = "Acme" }
chat "tagline" {
  model  = "m"
  prompt = "A tagline for ${var.brand}"
}
image "hero" {
  for_each = { dawn = "soft", dusk = "warm" }
  model    = "m"
  prompt   = "${chat.tagline.text}, ${each.value} light"
  path     = "out/./hero-${each.key}.png"
}
image "grid" {
  count      = 2
  model      = "m"
  prompt     = templatefile("prompts/grid.md", { n = count.index, hero = image.hero["dawn"].path })
  path       = "out/grid-${count.index}.png"
  references = [for h in image.hero : h.path]
  size       = fileexists("refs/size.txt") ? file("refs/size.txt") : "1024x1024"
  style      = fileexists("refs/none.txt") ? "none" : "vivid"
  quality    = null
  options    = { seed = count.index, tags = ["a"], check = filesha256("prompts/grid.md") }
}
chat "tuned" {
  model       = "m"
  prompt      = length(fileset(".", "prompts/*"))
  temperature = "0.5"
  max_tokens  = 100
  seed        = image.grid[1].width
}
video "teaser" {
  model     = "m"
  path      = "out/teaser.mp4"
  reference = image.grid[0].path
  seconds   = 8
  shot {
    duration = 2.5
    scene    = "Open on ${image.grid[0].path}"
  }
  shot {
    duration = image.grid[1].height / 100
    scene    = "Close"
  }
}
`,
		"prompts/grid.md": "Grid ${n} after ${hero} ${file(\"refs/size.txt\")}",
		"refs/size.txt":   "512x512",
	})
	c, diags := Load(dir, LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(render(c, diags))
	}

	chat := instanceVal("chat", map[string]cty.Value{"text": cty.StringVal("Bold"), "path": cty.StringVal("")})
	heroes := cty.MapVal(map[string]cty.Value{
		"dawn": instanceVal("image", map[string]cty.Value{"path": cty.StringVal("out/hero-dawn.png")}),
		"dusk": instanceVal("image", map[string]cty.Value{"path": cty.StringVal("out/hero-dusk.png")}),
	})
	unknownHeroes := cty.MapVal(map[string]cty.Value{
		"dawn": cty.UnknownVal(InstanceType("image")),
		"dusk": instanceVal("image", map[string]cty.Value{"path": cty.StringVal("out/hero-dusk.png")}),
	})
	grid := cty.ListVal([]cty.Value{
		instanceVal("image", map[string]cty.Value{"path": cty.StringVal("out/grid-0.png")}),
		instanceVal("image", map[string]cty.Value{"width": cty.NumberIntVal(7), "height": cty.NumberIntVal(300)}),
	})
	str := cty.StringVal
	tests := []struct {
		inst   string
		assets map[string]map[string]cty.Value
		attrs  map[string]cty.Value
		shots  []ResolvedShot
		files  []string
	}{{
		inst:  "chat.tagline",
		attrs: map[string]cty.Value{"model": str("m"), "prompt": str("A tagline for Acme")},
	}, {
		inst:   `image.hero["dusk"]`,
		assets: singleAsset("chat", "tagline", chat),
		attrs:  map[string]cty.Value{"model": str("m"), "prompt": str("Bold, warm light"), "path": str("out/hero-dusk.png")},
	}, {
		inst:   `image.hero["dawn"]`,
		assets: singleAsset("chat", "tagline", cty.UnknownVal(InstanceType("chat"))),
		attrs:  map[string]cty.Value{"model": str("m"), "prompt": cty.UnknownVal(cty.String), "path": str("out/hero-dawn.png")},
	}, {
		inst:   "image.grid[1]",
		assets: singleAsset("image", "hero", heroes),
		attrs: map[string]cty.Value{
			"model":      str("m"),
			"prompt":     str("Grid 1 after out/hero-dawn.png 512x512"),
			"path":       str("out/grid-1.png"),
			"references": cty.ListVal([]cty.Value{str("out/hero-dawn.png"), str("out/hero-dusk.png")}),
			"size":       str("512x512"),
			"style":      str("vivid"),
			"options": cty.ObjectVal(map[string]cty.Value{
				"seed": cty.NumberIntVal(1), "tags": cty.TupleVal([]cty.Value{str("a")}),
				"check": str(sha256hex("Grid ${n} after ${hero} ${file(\"refs/size.txt\")}")),
			}),
		},
		files: []string{"prompts/grid.md", "refs/size.txt"},
	}, {
		inst:   "image.grid[0]",
		assets: singleAsset("image", "hero", unknownHeroes),
		attrs: map[string]cty.Value{
			"model":      str("m"),
			"prompt":     cty.UnknownVal(cty.String),
			"path":       str("out/grid-0.png"),
			"references": cty.ListVal([]cty.Value{cty.UnknownVal(cty.String), str("out/hero-dusk.png")}),
			"size":       str("512x512"),
			"style":      str("vivid"),
			"options": cty.ObjectVal(map[string]cty.Value{
				"seed": cty.NumberIntVal(0), "tags": cty.TupleVal([]cty.Value{str("a")}),
				"check": str(sha256hex("Grid ${n} after ${hero} ${file(\"refs/size.txt\")}")),
			}),
		},
		files: []string{"prompts/grid.md", "refs/size.txt"},
	}, {
		inst:   "chat.tuned",
		assets: singleAsset("image", "grid", grid),
		attrs: map[string]cty.Value{"model": str("m"), "prompt": str("1"), "temperature": cty.NumberFloatVal(0.5),
			"max_tokens": cty.NumberIntVal(100), "seed": cty.NumberIntVal(7)},
	}, {
		inst:   "video.teaser",
		assets: singleAsset("image", "grid", grid),
		attrs: map[string]cty.Value{"model": str("m"), "path": str("out/teaser.mp4"), "reference": str("out/grid-0.png"),
			"seconds": cty.NumberIntVal(8)},
		shots: []ResolvedShot{
			{Duration: cty.NumberFloatVal(2.5), Scene: str("Open on out/grid-0.png")},
			{Duration: cty.NumberIntVal(3), Scene: str("Close")},
		},
	}, {
		inst:   "video.teaser",
		assets: singleAsset("image", "grid", cty.UnknownVal(cty.List(InstanceType("image")))),
		attrs: map[string]cty.Value{"model": str("m"), "path": str("out/teaser.mp4"), "reference": cty.UnknownVal(cty.String),
			"seconds": cty.NumberIntVal(8)},
		shots: []ResolvedShot{
			{Duration: cty.NumberFloatVal(2.5), Scene: cty.UnknownVal(cty.String)},
			{Duration: cty.UnknownVal(cty.Number), Scene: str("Close")},
		},
	}}
	byAddr := map[string]*Instance{}
	for _, inst := range c.Instances {
		byAddr[inst.Addr] = inst
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", i, tt.inst), func(t *testing.T) {
			res, diags := c.Eval(byAddr[tt.inst], tt.assets)
			if diags.HasErrors() {
				t.Fatal(render(c, diags))
			}
			if got, want := slices.Sorted(maps.Keys(res.Attrs)), slices.Sorted(maps.Keys(tt.attrs)); !slices.Equal(got, want) {
				t.Errorf("attributes = %v, want %v", got, want)
			}
			for name, want := range tt.attrs {
				if got, ok := res.Attrs[name]; ok {
					if !sameValue(got, want) {
						t.Errorf("%s = %#v, want %#v", name, got, want)
					}
				}
			}
			if len(res.Shots) != len(tt.shots) {
				t.Fatalf("shots = %v", res.Shots)
			}
			for j, s := range tt.shots {
				got := res.Shots[j]
				if !sameValue(got.Scene, s.Scene) || !sameValue(got.Duration, s.Duration) {
					t.Errorf("shot %d = %#v, want %#v", j, got, s)
				}
			}
			if !slices.Equal(res.Files, tt.files) {
				t.Errorf("Files = %q, want %q", res.Files, tt.files)
			}
		})
	}
}

// sameValue compares values, ignoring the refinements of unknown values and the precision
// of numbers.
func sameValue(got, want cty.Value) bool {
	strip := func(v cty.Value) cty.Value {
		out, _ := cty.Transform(v, func(_ cty.Path, v cty.Value) (cty.Value, error) {
			if !v.IsKnown() {
				return cty.UnknownVal(v.Type()), nil
			}
			return v, nil
		})
		return out
	}
	got, want = strip(got), strip(want)
	if got.RawEquals(want) {
		return true
	}
	return got.IsWhollyKnown() && want.IsWhollyKnown() && got.Type().Equals(want.Type()) && got.Equals(want).True()
}

func TestEvalOutput(t *testing.T) {
	c := mustLoad(t, map[string]string{"main.gen.hcl": `
image "hero" {
  for_each = toset(["a", "b"])
  model    = "m"
  prompt   = "p"
  path     = "out/${each.key}.png"
}
output "files" {
  value = [for h in image.hero : h.path]
}
`}, LoadOptions{})
	heroes := cty.MapVal(map[string]cty.Value{
		"a": instanceVal("image", map[string]cty.Value{"path": cty.StringVal("out/a.png")}),
		"b": cty.UnknownVal(InstanceType("image")),
	})
	v, diags := c.EvalOutput(c.Outputs[0], singleAsset("image", "hero", heroes))
	if diags.HasErrors() {
		t.Fatal(render(c, diags))
	}
	want := cty.TupleVal([]cty.Value{cty.StringVal("out/a.png"), cty.UnknownVal(cty.String)})
	mustEqual(t, "output", v, want)
}

// TestEvalConcurrent evaluates many instances from many goroutines (run with -race): each
// gets its own values and its own Files.
func TestEvalConcurrent(t *testing.T) {
	c := mustLoad(t, map[string]string{
		"main.gen.hcl": `
image "a" {
  for_each = toset([for i in range(200) : "k${i}"])
  model    = "m"
  prompt   = templatefile(each.key == "k7" ? "other.md" : "t.md", { k = each.key })
  path     = "out/${each.key}.png"
}`,
		"t.md":     "key ${k}",
		"other.md": "other",
	}, LoadOptions{})
	var wg sync.WaitGroup
	errs := make(chan string, len(c.Instances))
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(c.Instances); i += 8 {
				inst := c.Instances[i]
				res, diags := c.Eval(inst, nil)
				key := inst.Key.AsString()
				wantPrompt, wantFiles := "key "+key, []string{"t.md"}
				if key == "k7" {
					wantPrompt, wantFiles = "other", []string{"other.md"}
				}
				if diags.HasErrors() || res.Attrs["prompt"].AsString() != wantPrompt || !slices.Equal(res.Files, wantFiles) {
					errs <- fmt.Sprintf("%s: %v %v %v", inst.Addr, diags, res.Attrs["prompt"], res.Files)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestFileCacheRefresh: a file rewritten between evaluations (as an apply may do) is read again.
func TestFileCacheRefresh(t *testing.T) {
	c := mustLoad(t, map[string]string{
		"main.gen.hcl": "chat \"a\" {\n  model  = \"m\"\n  prompt = file(\"in.txt\")\n}\n",
		"in.txt":       "one",
	}, LoadOptions{})
	for _, want := range []string{"one", "three", "four!"} {
		if want != "one" {
			if err := os.WriteFile(filepath.Join(c.Dir, "in.txt"), []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res, diags := c.Eval(c.Instances[0], nil)
		if diags.HasErrors() {
			t.Fatal(render(c, diags))
		}
		if got := res.Attrs["prompt"].AsString(); got != want {
			t.Errorf("prompt = %q, want %q", got, want)
		}
	}
}

func TestEvalPathChecks(t *testing.T) {
	outside := t.TempDir()
	dir := writeTree(t, map[string]string{"main.gen.hcl": `
variable "p" { type = string }
image "a" {
  model  = "m"
  prompt = "p"
  path   = var.p
}`})
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Skip(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, err string
	}{
		{"out/a.png", ""},
		{"new/deeper/a.png", ""},
		{"/abs/a.png", "is absolute"},
		{"../a.png", "leaves the project folder"},
		{"link/a.png", "symlink"},
		{"link/new/a.png", "symlink"},
		{".genform/cache/a.png", ".genform"},
		{"genform.state.json", "state file"},
		{"x.gen.hcl", "configuration"},
		{".", "project folder itself"},
		{"out/", "names a folder"},
		{"out/.", "names a folder"},
		{"out/a\x00.png", "NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			c, diags := Load(dir, LoadOptions{Vars: []VarValue{{Name: "p", Value: tt.path}}})
			if diags.HasErrors() {
				t.Fatal(render(c, diags))
			}
			_, diags = c.Eval(c.Instances[0], nil)
			if tt.err == "" {
				if diags.HasErrors() {
					t.Fatal(render(c, diags))
				}
				return
			}
			if !diags.HasErrors() || diags[0].Summary != "Invalid output path" || !strings.Contains(diags[0].Detail, tt.err) {
				t.Errorf("diags = %s", render(c, diags))
			}
		})
	}
}

// The state file stays inside the project folder, as outputs do: a path through a symlink
// that leads out is refused like an absolute one.
func TestStatePathChecks(t *testing.T) {
	outside := t.TempDir()
	dir := writeTree(t, map[string]string{"main.gen.hcl": `
variable "s" { type = string }
genform {
  state = var.s
}`})
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Skip(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "in"), filepath.Join(dir, "inlink")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want, err string
	}{
		{"state/./s.json", "state/s.json", ""},
		{"inlink/s.json", "inlink/s.json", ""},
		{"/abs/s.json", "", "is absolute"},
		{"../s.json", "", "leaves the project folder"},
		{"link/s.json", "", "symlink that leaves the project folder"},
		{"link/new/s.json", "", "symlink that leaves the project folder"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			c, diags := Load(dir, LoadOptions{Vars: []VarValue{{Name: "s", Value: tt.path}}})
			if tt.err == "" {
				if diags.HasErrors() || c.Settings.StatePath != tt.want {
					t.Errorf("state path %q, want %q: %s", c.Settings.StatePath, tt.want, render(c, diags))
				}
				return
			}
			if !diags.HasErrors() || diags[0].Summary != "Invalid state path" || !strings.Contains(diags[0].Detail, tt.err) {
				t.Errorf("diags = %s", render(c, diags))
			}
		})
	}
}
