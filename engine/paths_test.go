package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two instances writing one path (the second spelt out/./a.png) are refused by plan with
// validate's diagnostic, before anything is paid for.
func TestPlanRefusesDuplicatePaths(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": `
provider "fake" {}

image "a" {
  model  = "m"
  prompt = "a"
  path   = "out/a.png"
}

image "b" {
  model  = "m"
  prompt = "b"
  path   = "out/./a.png"
}
`})
	_, diags := p.tryPlan(Options{})
	if !diags.HasErrors() {
		t.Fatal("plan accepted two instances writing out/a.png")
	}
	d := diags.Errs()[0].Error()
	if !strings.Contains(d, "Duplicate output path") || !strings.Contains(d, "image.a") || !strings.Contains(d, "image.b") {
		t.Errorf("diagnostic %q", d)
	}
	if n := p.fake.totalCalls(); n != 0 {
		t.Errorf("%d generations", n)
	}
}

// A regenerate that also changes the path shows `~ path` and moves the old file into the
// cache, as a delete does.
func TestRegenerateWithNewPath(t *testing.T) {
	img := func(prompt, path string) map[string]string {
		return map[string]string{"main.gen.hcl": `
provider "fake" {}

image "hero" {
  model  = "m"
  prompt = "` + prompt + `"
  path   = "` + path + `"
}
`}
	}
	p := newProject(t, img("one", "out/a.png"))
	p.apply(p.plan(Options{}), ApplyOptions{})
	old := p.st.Records["image.hero"].Output.SHA256
	p.write(img("two", "out/b.png"))
	plan := p.plan(Options{})
	ch := change(t, plan, "image.hero")
	var got *AttrDiff
	for i := range ch.Diff {
		if ch.Diff[i].Name == "path" {
			got = &ch.Diff[i]
		}
	}
	if ch.Action != Regenerate || got == nil || got.Before != "out/a.png" || got.After != "out/b.png" {
		t.Fatalf("plan: %s %+v, want regenerate with ~ path = out/a.png -> out/b.png", ch.Action, ch.Diff)
	}
	if sum := p.apply(plan, ApplyOptions{}); sum.Generated != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if _, err := os.Stat(filepath.Join(p.dir, "out", "a.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("out/a.png is still there (%v)", err)
	}
	if !p.cache.Has(old) {
		t.Errorf("the old output is not in the cache")
	}
}
