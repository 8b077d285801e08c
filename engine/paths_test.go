package engine

import (
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
