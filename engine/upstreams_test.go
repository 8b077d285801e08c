package engine

import (
	"fmt"
	"testing"
)

// Upstreams names, per change, the plan's changes it waits for: by instance, and every
// instance of a block referenced whole.
func TestPlanUpstreams(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": chain + `
image "all" {
  model  = "m-image"
  prompt = join(",", [for h in image.hero : h.path])
  path   = "out/all.png"
}
`})
	ups := p.plan(Options{}).Upstreams()
	for addr, want := range map[string]string{
		"chat.tagline":       "[]",
		`image.hero["dawn"]`: "[chat.tagline]",
		"video.teaser":       `[image.hero["dawn"]]`,
		"image.icon":         "[]",
		"image.all":          `[image.hero["dawn"] image.hero["dusk"]]`,
	} {
		if got := fmt.Sprint(ups[addr]); got != want {
			t.Errorf("%s waits for %s, want %s", addr, got, want)
		}
	}
}
