package engine

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/genform/genform/providers"
	"github.com/hashicorp/hcl/v2"
)

const chain = `
provider "fake" {}

chat "tagline" {
  model  = "m-chat"
  prompt = "tagline for ${var.brand}"
}

variable "brand" {
  default = "Acme"
}

image "hero" {
  for_each = toset(["dawn", "dusk"])
  model    = "m-image"
  prompt   = "${chat.tagline.text} at ${each.key}"
  path     = "out/hero-${each.key}.png"
}

video "teaser" {
  model     = "m-video"
  prompt    = "teaser"
  reference = image.hero["dawn"].path
  path      = "out/teaser.gif"
}

image "icon" {
  model  = "m-image"
  prompt = "icon"
  path   = "out/icon.png"
}
`

func applied(t *testing.T, files map[string]string) *testProject {
	t.Helper()
	p := newProject(t, files)
	sum := p.apply(p.plan(Options{}), ApplyOptions{})
	if sum.Failed > 0 {
		t.Fatalf("first apply failed: %+v", sum.Failures)
	}
	return p
}

func TestPlanActions(t *testing.T) {
	t.Run("create everything on a fresh project", func(t *testing.T) {
		p := newProject(t, map[string]string{"main.gen.hcl": chain})
		plan := p.plan(Options{})
		for addr, a := range actions(plan) {
			if a != Create {
				t.Errorf("%s: %s, want create", addr, a)
			}
		}
		if len(plan.Changes) != 5 {
			t.Fatalf("%d changes, want 5", len(plan.Changes))
		}
		// the images wait for the chat text: their prompt is unknown, so is their hash
		hero := change(t, plan, `image.hero["dawn"]`)
		if hero.InputHash != "" || !contains(hero.Unknown, "prompt") {
			t.Errorf("hero: hash %q unknown %v; want no hash and prompt unknown", hero.InputHash, hero.Unknown)
		}
		if len(hero.Reasons) != 0 {
			t.Errorf("a new instance needs no reason beyond being new: %v", hero.Reasons)
		}
		usd, unknown := plan.Cost()
		if unknown != 0 || usd < 0.499 || usd > 0.501 {
			t.Errorf("cost %v + %d unknown, want $0.50", usd, unknown)
		}
	})

	t.Run("no-op after apply", func(t *testing.T) {
		p := applied(t, map[string]string{"main.gen.hcl": chain})
		plan := p.plan(Options{})
		if plan.HasChanges() {
			t.Fatalf("changes after apply: %v", actions(plan))
		}
	})

	t.Run("prompt change regenerates it and its dependents", func(t *testing.T) {
		p := applied(t, map[string]string{"main.gen.hcl": chain})
		p.write(map[string]string{"main.gen.hcl": strings.Replace(chain, `"tagline for ${var.brand}"`, `"a new tagline for ${var.brand}"`, 1)})
		plan := p.plan(Options{})
		want := map[string]Action{
			"chat.tagline": Regenerate, `image.hero["dawn"]`: Regenerate, `image.hero["dusk"]`: Regenerate,
			"video.teaser": Regenerate, "image.icon": NoOp,
		}
		assertActions(t, plan, want)
		tag := change(t, plan, "chat.tagline")
		if len(tag.Diff) != 1 || tag.Diff[0].Name != "prompt" || tag.Diff[0].Before != "tagline for Acme" || tag.Diff[0].After != "a new tagline for Acme" {
			t.Errorf("diff %+v", tag.Diff)
		}
		if !contains(change(t, plan, "video.teaser").Reasons, `image.hero["dawn"] changes`) {
			t.Errorf("teaser reasons %v", change(t, plan, "video.teaser").Reasons)
		}
	})

	t.Run("reverted prompt restores from the cache, dependents too, for free", func(t *testing.T) {
		p := applied(t, map[string]string{"main.gen.hcl": chain})
		changed := strings.Replace(chain, `"tagline for ${var.brand}"`, `"another tagline"`, 1)
		p.write(map[string]string{"main.gen.hcl": changed})
		p.apply(p.plan(Options{}), ApplyOptions{})
		calls := p.fake.totalCalls()
		p.write(map[string]string{"main.gen.hcl": chain})
		plan := p.plan(Options{})
		assertActions(t, plan, map[string]Action{
			"chat.tagline": Restore, `image.hero["dawn"]`: Restore, `image.hero["dusk"]`: Restore,
			"video.teaser": Restore, "image.icon": NoOp,
		})
		if usd, unknown := plan.Cost(); usd != 0 || unknown != 0 {
			t.Errorf("restore costs %v + %d unknown", usd, unknown)
		}
		sum := p.apply(plan, ApplyOptions{})
		if sum.Restored != 4 || p.fake.totalCalls() != calls {
			t.Errorf("restored %d, provider calls %d -> %d", sum.Restored, calls, p.fake.totalCalls())
		}
		if plan := p.plan(Options{}); plan.HasChanges() {
			t.Errorf("changes after restore: %v", actions(plan))
		}
	})

	t.Run("missing output restores from the cache", func(t *testing.T) {
		p := applied(t, map[string]string{"main.gen.hcl": chain})
		if err := os.Remove(p.dir + "/out/icon.png"); err != nil {
			t.Fatal(err)
		}
		plan := p.plan(Options{})
		ch := change(t, plan, "image.icon")
		if ch.Action != Restore || !contains(ch.Reasons, "output file missing") {
			t.Fatalf("icon: %s %v", ch.Action, ch.Reasons)
		}
	})

	t.Run("output changed on disk is restored", func(t *testing.T) {
		p := applied(t, map[string]string{"main.gen.hcl": chain})
		p.write(map[string]string{"out/icon.png": "edited by hand, a different size"})
		ch := change(t, p.plan(Options{}), "image.icon")
		if ch.Action != Restore || !contains(ch.Reasons, "output file changed on disk") {
			t.Fatalf("icon: %s %v", ch.Action, ch.Reasons)
		}
	})

	t.Run("missing output without a cached copy regenerates", func(t *testing.T) {
		p := applied(t, map[string]string{"main.gen.hcl": chain})
		os.RemoveAll(p.dir + "/.genform/cache")
		cache, err := openCache(p.dir)
		if err != nil {
			t.Fatal(err)
		}
		p.cache = cache
		os.Remove(p.dir + "/out/icon.png")
		ch := change(t, p.plan(Options{}), "image.icon")
		if ch.Action != Regenerate || !contains(ch.Reasons, "output file missing") {
			t.Fatalf("icon: %s %v", ch.Action, ch.Reasons)
		}
	})

	t.Run("removed block is deleted and its file kept in the cache", func(t *testing.T) {
		p := applied(t, map[string]string{"main.gen.hcl": chain})
		p.write(map[string]string{"main.gen.hcl": strings.Split(chain, "image \"icon\"")[0]})
		plan := p.plan(Options{})
		if a := actions(plan)["image.icon"]; a != Delete {
			t.Fatalf("icon: %s", a)
		}
		sum := p.apply(plan, ApplyOptions{})
		if sum.Deleted != 1 {
			t.Fatalf("deleted %d", sum.Deleted)
		}
		if _, err := os.Stat(p.dir + "/out/icon.png"); !os.IsNotExist(err) {
			t.Errorf("icon file still there: %v", err)
		}
		// declared again: it comes back from the cache
		p.write(map[string]string{"main.gen.hcl": chain})
		if a := actions(p.plan(Options{}))["image.icon"]; a != Restore {
			t.Errorf("icon declared again: %s, want restore", a)
		}
	})

	t.Run("-replace regenerates an unchanged instance", func(t *testing.T) {
		p := applied(t, map[string]string{"main.gen.hcl": chain})
		plan := p.plan(Options{Replace: []string{"image.icon"}})
		ch := change(t, plan, "image.icon")
		if ch.Action != Regenerate || !contains(ch.Reasons, "-replace") {
			t.Fatalf("icon: %s %v", ch.Action, ch.Reasons)
		}
		if a := actions(plan)["chat.tagline"]; a != NoOp {
			t.Errorf("tagline: %s", a)
		}
	})

	t.Run("renaming a block restores instead of paying again", func(t *testing.T) {
		p := applied(t, map[string]string{"main.gen.hcl": chain})
		p.write(map[string]string{"main.gen.hcl": strings.Replace(chain, `image "icon"`, `image "logo"`, 1)})
		plan := p.plan(Options{})
		assertActions(t, plan, map[string]Action{"image.logo": Restore, "image.icon": Delete})
	})
}

func TestPlanIgnoreChanges(t *testing.T) {
	base := `
provider "fake" {}
image "a" {
  model  = "m"
  prompt = "first"
  size   = "1024x1024"
  path   = "a.png"
  %s
}
`
	for _, tc := range []struct {
		name, lifecycle, prompt, size string
		want                          Action
	}{
		{"ignored attribute changed", "lifecycle {\n ignore_changes = [prompt]\n}", "second", "1024x1024", NoOp},
		{"other attribute changed", "lifecycle {\n ignore_changes = [prompt]\n}", "first", "512x512", Regenerate},
		{"all pins the output", "lifecycle {\n ignore_changes = all\n}", "second", "512x512", NoOp},
		{"no lifecycle", "", "second", "1024x1024", Regenerate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := applied(t, map[string]string{"main.gen.hcl": sprintf(base, tc.lifecycle)})
			cfg := strings.Replace(sprintf(base, tc.lifecycle), `"first"`, `"`+tc.prompt+`"`, 1)
			cfg = strings.Replace(cfg, `"1024x1024"`, `"`+tc.size+`"`, 1)
			p.write(map[string]string{"main.gen.hcl": cfg})
			if a := actions(p.plan(Options{}))["image.a"]; a != tc.want {
				t.Errorf("got %s, want %s", a, tc.want)
			}
		})
	}
}

func TestPlanTarget(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": chain})
	plan := p.plan(Options{Targets: []string{"video.teaser"}})
	got := actions(plan)
	want := map[string]Action{"chat.tagline": Create, `image.hero["dawn"]`: Create, "video.teaser": Create}
	if len(got) != len(want) {
		t.Fatalf("target plan has %v, want %v", got, want)
	}
	assertActions(t, plan, want)

	if _, diags := p.tryPlan(Options{Targets: []string{"image.nope"}}); !diags.HasErrors() {
		t.Error("a target that matches nothing must be an error")
	}
}

// Closure covers exactly what a targeted plan plans, from the configuration alone.
func TestClosureCoversTargetPlan(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": chain})
	for _, targets := range [][]string{{"video.teaser"}, {"chat.tagline"}, {`image.hero["dawn"]`, "chat.tagline"}} {
		got, diags := NewClosure(p.load()).Covered(targets)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		want := slices.Sorted(maps.Keys(actions(p.plan(Options{Targets: targets}))))
		if !slices.Equal(got, want) {
			t.Errorf("%v covers %v; the targeted plan plans %v", targets, got, want)
		}
	}
	if _, diags := NewClosure(p.load()).Covered([]string{"image.nope"}); !diags.HasErrors() {
		t.Error("a target that matches nothing must be an error")
	}
}

func TestPlanBudget(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": "genform {\n budget = 0.25\n}\n" + chain})
	_, diags := p.tryPlan(Options{})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "above the budget of $0.25") {
		t.Fatalf("want budget refusal, got %v", diags)
	}
	// unknown prices are never counted as zero: with a budget, the plan is refused, naming
	// the models to price
	p.fake.price.Known = false
	_, diags = p.tryPlan(Options{})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Plan has changes of unknown cost") ||
		!strings.Contains(diags.Error(), "the budget of $0.25 cannot be checked") {
		t.Fatalf("want the unpriced plan refused, got %v", diags)
	}
	// without a budget, unknown prices are shown, not refused
	p.write(map[string]string{"main.gen.hcl": chain})
	if _, diags := p.tryPlan(Options{}); diags.HasErrors() {
		t.Fatalf("unpriced plan without a budget refused: %v", diags)
	}
}

func TestPlanReferenceContent(t *testing.T) {
	cfg := `
provider "fake" {}
image "a" {
  model      = "m"
  prompt     = "p"
  references = ["refs/logo.png"]
  path       = "a.png"
}
`
	p := applied(t, map[string]string{"main.gen.hcl": cfg, "refs/logo.png": "logo v1"})
	if p.plan(Options{}).HasChanges() {
		t.Fatal("changes with the same reference")
	}
	p.write(map[string]string{"refs/logo.png": "logo v2, edited"})
	ch := change(t, p.plan(Options{}), "image.a")
	if ch.Action != Regenerate {
		t.Fatalf("reference content changed: %s", ch.Action)
	}
}

func assertActions(t *testing.T, plan *Plan, want map[string]Action) {
	t.Helper()
	got := actions(plan)
	for addr, w := range want {
		if got[addr] != w {
			t.Errorf("%s: %s, want %s (reasons %v)", addr, got[addr], w, reasonsOf(plan, addr))
		}
	}
}

func reasonsOf(plan *Plan, addr string) []string {
	for _, ch := range plan.Changes {
		if ch.Addr == addr {
			return ch.Reasons
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// An infinite number (1/0, 1e400) has no JSON form, so it can enter neither the input hash
// nor the state: plan and validate report it at its attribute instead of panicking.
func TestPlanInfiniteNumber(t *testing.T) {
	for _, tc := range []struct {
		name, kind, body string
		line             int
	}{
		{"attribute", "chat", "temperature = 1/0", 6},
		{"inside options", "video", "options = { weight = [1, 1e400] }", 6},
		{"shot duration", "video", "shot {\n  duration = 1e400\n  scene = \"s\"\n}", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := "provider \"fake\" {}\n" + tc.kind + " \"v\" {\n  model = \"m\"\n  prompt = \"p\"\n  path = \"v.gif\"\n  " + tc.body + "\n}\n"
			p := newProject(t, map[string]string{"main.gen.hcl": cfg})
			_, diags := p.tryPlan(Options{})
			checked := Check(p.load(), map[string]providers.Provider{"fake": p.fake})
			for name, d := range map[string]hcl.Diagnostics{"plan": diags, "check": checked} {
				if len(d) != 1 || d[0].Summary != "Number out of range" || d[0].Subject == nil || d[0].Subject.Start.Line != tc.line {
					t.Errorf("%s: want one 'Number out of range' on line %d, got %v", name, tc.line, d)
				}
			}
		})
	}
}

// A reference with a per-instance key (chat.hero[each.key]) cannot say which upstream it
// reads: when several of them change, the reason names the block once, not every instance
// of it for every downstream instance (1,000 x 1,000 made a million reason lines).
func TestPlanUpstreamReasonsPerBlock(t *testing.T) {
	const cfg = `
provider "fake" {}
variable "extra" {
  default = ""
}
chat "root" {
  model  = "m"
  prompt = "root"
}
chat "hero" {
  for_each = toset(["a", "b", "c"])
  model    = "m"
  prompt   = "${chat.root.text} ${each.key}${each.key == "b" ? var.extra : ""}"
}
chat "down" {
  for_each = toset(["a", "b", "c"])
  model    = "m"
  prompt   = "${chat.hero[each.key].text} down"
}
`
	p := applied(t, map[string]string{"main.gen.hcl": cfg})

	p.write(map[string]string{"main.gen.hcl": strings.Replace(cfg, `prompt = "root"`, `prompt = "new root"`, 1)})
	plan := p.plan(Options{})
	for _, k := range []string{"a", "b", "c"} {
		addr := `chat.down["` + k + `"]`
		if r := change(t, plan, addr).Reasons; len(r) != 1 || r[0] != "chat.hero changes" {
			t.Errorf("all heroes change: %s reasons %q, want [chat.hero changes]", addr, r)
		}
	}

	p.write(map[string]string{"main.gen.hcl": strings.Replace(cfg, `default = ""`, `default = "!"`, 1)})
	plan = p.plan(Options{})
	assertActions(t, plan, map[string]Action{`chat.down["a"]`: NoOp, `chat.down["b"]`: Regenerate})
	if r := change(t, plan, `chat.down["b"]`).Reasons; len(r) != 1 || r[0] != `chat.hero["b"] changes` {
		t.Errorf(`one hero changes: chat.down["b"] reasons %q, want [chat.hero["b"] changes]`, r)
	}
}
