package engine

import (
	"fmt"
	"strings"
	"testing"
)

// TestBlockLevels checks that blocks are grouped so each comes after every block it
// references, blocks of one level do not reference each other, and the plan keeps the
// dependency order of its changes.
func TestBlockLevels(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": chain})
	cfg := p.load()
	order, diags := blockOrder(cfg)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got []string
	for _, level := range blockLevels(order) {
		var names []string
		for _, a := range level {
			names = append(names, a.Addr())
		}
		got = append(got, strings.Join(names, " "))
	}
	want := []string{"chat.tagline image.icon", "image.hero", "video.teaser"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("levels %q, want %q", got, want)
	}
	var addrs []string
	for _, ch := range p.plan(Options{}).Changes {
		addrs = append(addrs, ch.Addr)
	}
	wantOrder := `[chat.tagline image.hero["dawn"] image.hero["dusk"] video.teaser image.icon]`
	if fmt.Sprint(addrs) != wantOrder {
		t.Fatalf("plan order %v, want %s", addrs, wantOrder)
	}
}

// TestPlanManyIndependentBlocks plans more blocks than one batch, several workers at once,
// each reading the block before it: every instance is planned with its upstream's value.
func TestPlanManyIndependentBlocks(t *testing.T) {
	var b strings.Builder
	b.WriteString("provider \"fake\" {}\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "image \"a%d\" {\n  model = \"m-image\"\n  prompt = \"a %d\"\n  path = \"out/a%d.png\"\n}\n", i, i, i)
		fmt.Fprintf(&b, "image \"b%d\" {\n  model = \"m-image\"\n  prompt = \"b ${image.a%d.path}\"\n  path = \"out/b%d.png\"\n}\n", i, i, i)
	}
	p := newProject(t, map[string]string{"main.gen.hcl": b.String()})
	sum := p.apply(p.plan(Options{}), ApplyOptions{Parallelism: 8})
	if sum.Failed > 0 || sum.Generated != 600 {
		t.Fatalf("first apply: %+v", sum)
	}
	plan := p.plan(Options{})
	if plan.HasChanges() {
		t.Fatalf("changes after apply: %v", actions(plan))
	}
	if len(plan.Changes) != 600 {
		t.Fatalf("%d changes", len(plan.Changes))
	}
	for i := 0; i < 300; i++ { // declaration order: each block after the one it reads
		a, b := plan.Changes[2*i], plan.Changes[2*i+1]
		if a.Addr != fmt.Sprintf("image.a%d", i) || b.Addr != fmt.Sprintf("image.b%d", i) {
			t.Fatalf("changes %d and %d are %s and %s", 2*i, 2*i+1, a.Addr, b.Addr)
		}
		if want := fmt.Sprintf("b out/a%d.png", i); b.Request["prompt"] != want {
			t.Fatalf("%s's prompt is %v, want %q", b.Addr, b.Request["prompt"], want)
		}
	}
}
