package schema

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func TestLoadBlocks(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		check func(t *testing.T, c *Config)
	}{{
		name:  "genform defaults",
		files: map[string]string{"main.gen.hcl": chatBlock("a")},
		check: func(t *testing.T, c *Config) {
			if c.Settings.StatePath != "genform.state.json" || c.Settings.Parallelism != 8 || c.Settings.Budget != nil {
				t.Errorf("settings = %+v", c.Settings)
			}
		},
	}, {
		name: "genform block",
		files: map[string]string{"main.gen.hcl": `
variable "p" { default = 3 }
genform {
  state       = "state/./gen.json"
  parallelism = var.p
  budget      = 20.5
}`},
		check: func(t *testing.T, c *Config) {
			s := c.Settings
			if s.StatePath != "state/gen.json" || s.Parallelism != 3 || s.Budget == nil || *s.Budget != 20.5 {
				t.Errorf("settings = %+v (budget %v)", s, s.Budget)
			}
			if s.DeclRange.Start.Line != 3 {
				t.Errorf("DeclRange = %v", s.DeclRange)
			}
		},
	}, {
		name: "variables",
		files: map[string]string{"main.gen.hcl": `
variable "brand" {
  type        = string
  default     = "Acme"
  description = "Brand name"
  sensitive   = true
}
variable "sizes" {
  type    = list(number)
  default = ["1", 2]
}
variable "style" {
  type    = object({ name = string, weight = optional(number, 5) })
  default = { name = "ink" }
}
variable "untyped" {
  default = { a = 1 }
}
variable "nullable" {
  type    = string
  default = null
}`},
		check: func(t *testing.T, c *Config) {
			b := c.Variables["brand"]
			if b.Type != cty.String || b.Description != "Brand name" || !b.Sensitive || b.DeclRange.Start.Line != 2 {
				t.Errorf("brand = %+v", b)
			}
			mustEqual(t, "var.brand", c.Vars["brand"], cty.StringVal("Acme"))
			mustEqual(t, "var.sizes", c.Vars["sizes"], cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)}))
			mustEqual(t, "var.style", c.Vars["style"], cty.ObjectVal(map[string]cty.Value{
				"name": cty.StringVal("ink"), "weight": cty.NumberIntVal(5)}))
			if c.Variables["untyped"].Type != cty.DynamicPseudoType {
				t.Errorf("untyped type = %#v", c.Variables["untyped"].Type)
			}
			mustEqual(t, "var.nullable", c.Vars["nullable"], cty.NullVal(cty.String))
		},
	}, {
		name: "locals in any order across blocks and files",
		files: map[string]string{
			"a.gen.hcl": `locals { greeting = "${local.word}, ${var.who}!" }`,
			"b.gen.hcl": `
variable "who" { default = "world" }
locals {
  word  = upper(local.raw)
  raw   = "hello"
  count = length(local.greeting)
}`,
		},
		check: func(t *testing.T, c *Config) {
			mustEqual(t, "local.greeting", c.Locals["greeting"], cty.StringVal("HELLO, world!"))
			mustEqual(t, "local.count", c.Locals["count"], cty.NumberIntVal(13))
		},
	}, {
		name: "providers",
		files: map[string]string{"main.gen.hcl": `
provider "wisdomgate" {
  alias   = "fast"
  api_key = env("KEY")
  timeout = "10s"
}
provider "wisdomgate" {}
provider "offline" { latency = "200ms" }
`},
		check: func(t *testing.T, c *Config) {
			var addrs []string
			for _, p := range c.Providers {
				addrs = append(addrs, p.Addr())
			}
			if !slices.Equal(addrs, []string{"wisdomgate.fast", "wisdomgate", "offline"}) {
				t.Fatalf("providers = %v", addrs)
			}
			attrs, diags := c.Providers[0].Body.JustAttributes()
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if got := slices.Sorted(maps.Keys(attrs)); !slices.Equal(got, []string{"api_key", "timeout"}) {
				t.Errorf("provider body attributes = %v, want the arguments but alias", got)
			}
			if c.Providers[2].DeclRange.Start.Line != 8 {
				t.Errorf("DeclRange = %v", c.Providers[2].DeclRange)
			}
		},
	}, {
		name: "chat",
		files: map[string]string{"main.gen.hcl": `
chat "tagline" {
  provider          = wisdomgate
  model             = "deepseek-v3"
  system            = "short"
  prompt            = "A tagline"
  temperature       = 0.7
  top_p             = 0.9
  presence_penalty  = 0
  frequency_penalty = 0
  max_tokens        = 200
  seed              = 7
  path              = "out/tagline.txt"
  options           = { n = 1 }
  lifecycle {
    ignore_changes = [prompt, temperature]
  }
}`},
		check: func(t *testing.T, c *Config) {
			a := c.Asset("chat.tagline")
			want := []string{"frequency_penalty", "max_tokens", "model", "options", "path", "presence_penalty",
				"prompt", "seed", "system", "temperature", "top_p"}
			if got := slices.Sorted(maps.Keys(a.Attrs)); !slices.Equal(got, want) {
				t.Errorf("Attrs = %v", got)
			}
			if a.Provider != "wisdomgate" || !slices.Equal(a.IgnoreChanges, []string{"prompt", "temperature"}) || a.IgnoreAll {
				t.Errorf("asset = %+v", a)
			}
			if a.Count != nil || a.ForEach != nil || a.DeclRange.Start.Line != 2 {
				t.Errorf("meta = %v %v %v", a.Count, a.ForEach, a.DeclRange)
			}
		},
	}, {
		name: "image",
		files: map[string]string{"main.gen.hcl": `
provider "offline" {}
provider "wisdomgate" { alias = "fast" }
image "hero" {
  provider      = wisdomgate.fast
  model         = "gpt-image-1"
  prompt        = "a hero"
  aspect_ratio  = "16:9"
  resolution    = "2K"
  size          = "1024x1024"
  quality       = "high"
  background    = "transparent"
  style         = "vivid"
  output_format = "png"
  mask          = "refs/mask.png"
  references    = ["refs/a.png"]
  path          = "out/hero.png"
  lifecycle {
    ignore_changes = all
  }
}`},
		check: func(t *testing.T, c *Config) {
			a := c.Asset("image.hero")
			if len(a.Attrs) != 12 || a.Provider != "wisdomgate.fast" || !a.IgnoreAll {
				t.Errorf("asset = %+v", a)
			}
			if a.ProviderRange.Start.Line != 5 {
				t.Errorf("ProviderRange = %v", a.ProviderRange)
			}
		},
	}, {
		name: "video with shots",
		files: map[string]string{"main.gen.hcl": `
video "teaser" {
  model     = "sora-2"
  seconds   = 8
  size      = "1280x720"
  reference = "refs/a.png"
  shot {
    duration = 4
    scene    = "The logo fades in."
  }
  shot {
    duration = 4
    scene    = "Pan."
  }
  path = "out/teaser.mp4"
}`},
		check: func(t *testing.T, c *Config) {
			a := c.Asset("video.teaser")
			if len(a.Shots) != 2 || a.Shots[1].DeclRange.Start.Line != 11 || a.Attrs["prompt"] != nil {
				t.Errorf("asset = %+v", a)
			}
		},
	}, {
		name: "outputs",
		files: map[string]string{"main.gen.hcl": `
image "hero" {
  count  = 2
  model  = "m"
  prompt = "p"
  path   = "out/${count.index}.png"
}
output "files" {
  value       = image.hero[*].path
  description = "the heroes"
  sensitive   = true
}`},
		check: func(t *testing.T, c *Config) {
			o := c.Outputs[0]
			if o.Name != "files" || o.Description != "the heroes" || !o.Sensitive || o.DeclRange.Start.Line != 8 {
				t.Errorf("output = %+v", o)
			}
			if len(o.Refs) != 1 || o.Refs[0].Addr() != "image.hero" {
				t.Errorf("refs = %v", o.Refs)
			}
		},
	}, {
		name: "json syntax",
		files: map[string]string{"main.gen.json": `{
  "variable": {"brand": {"type": "string", "default": "Acme"}},
  "locals": {"up": "${upper(var.brand)}"},
  "image": {"hero": {
    "for_each": "${toset([\"a\", \"b\"])}",
    "model": "m",
    "prompt": "${local.up} ${each.key}",
    "path": "out/${each.key}.png",
    "provider": "offline"
  }}
}`},
		check: func(t *testing.T, c *Config) {
			a := c.Asset("image.hero")
			if a == nil || len(a.Instances) != 2 || a.Provider != "offline" {
				t.Fatalf("asset = %+v", a)
			}
			res, diags := c.Eval(a.Instances[1], nil)
			if diags.HasErrors() {
				t.Fatal(render(c, diags))
			}
			mustEqual(t, "prompt", res.Attrs["prompt"], cty.StringVal("ACME b"))
			if c.Files["main.gen.json"] == nil {
				t.Error("Files has no main.gen.json")
			}
		},
	}, {
		name: "files in name order, other files ignored",
		files: map[string]string{
			"b.gen.hcl":     chatBlock("b"),
			"a.gen.hcl":     chatBlock("a"),
			"c.hcl":         `not even hcl {{{`,
			"sub/d.gen.hcl": `not even hcl {{{`,
		},
		check: func(t *testing.T, c *Config) {
			if len(c.Assets) != 2 || c.Assets[0].Name != "a" || c.Assets[1].Name != "b" {
				t.Errorf("assets = %v, %v", c.Assets[0].Name, c.Assets[1].Name)
			}
			if len(c.Files) != 2 {
				t.Errorf("files = %v", slices.Sorted(maps.Keys(c.Files)))
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustLoad(t, tt.files, LoadOptions{Env: []string{"KEY=secret"}}))
		})
	}
}

func TestProviderFor(t *testing.T) {
	asset := chatBlock("a")
	tests := []struct {
		name, src, want string
	}{
		{"no provider block: the default gateway", asset, "wisdomgate"},
		{"the only declared provider", `provider "offline" {}` + "\n" + asset, "offline"},
		{"the only declared provider, aliased", `provider "wisdomgate" { alias = "x" }` + "\n" + asset, "wisdomgate.x"},
		{"the unaliased wisdomgate", `provider "offline" {}` + "\n" + `provider "wisdomgate" {}` + "\n" + asset, "wisdomgate"},
		{"the implicit wisdomgate", `provider "offline" {}` + "\n" + `provider "wisdomgate" { alias = "x" }` + "\n" + asset, "wisdomgate"},
		{"the asset's own", `provider "offline" {}` + "\n" + `provider "wisdomgate" {}` + "\n" +
			`chat "a" {` + "\nprovider = offline\nmodel = \"m\"\nprompt = \"p\"\n}", "offline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, map[string]string{"main.gen.hcl": tt.src}, LoadOptions{})
			if got := c.ProviderFor(c.Assets[0]); got != tt.want {
				t.Errorf("ProviderFor = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadFolderErrors(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		summary string
	}{
		{"empty folder", map[string]string{"README.md": "hi"}, "No configuration files"},
		{"syntax error keeps the file", map[string]string{"main.gen.hcl": "chat \"a\" {\n"}, "Unclosed configuration block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := Load(writeTree(t, tt.files), LoadOptions{})
			if c == nil || !diags.HasErrors() || diags[0].Summary != tt.summary {
				t.Fatalf("diags = %s", render(c, diags))
			}
			if strings.HasSuffix(tt.files["main.gen.hcl"], "\n") && c.Files["main.gen.hcl"] == nil {
				t.Error("Files lost the file that failed to parse; snippets need it")
			}
		})
	}
	if _, diags := Load("/no/such/folder", LoadOptions{}); !diags.HasErrors() || diags[0].Summary != "Cannot read the project folder" {
		t.Errorf("missing folder: %v", diags)
	}
}

func TestRefs(t *testing.T) {
	c := mustLoad(t, map[string]string{"main.gen.hcl": `
chat "t" {
  model  = "m"
  prompt = "p"
}
image "hero" {
  for_each = toset(["dawn", "dusk"])
  model    = "m"
  prompt   = "${chat.t.text} ${each.key}"
  path     = "out/${each.key}.png"
}
image "grid" {
  count      = 2
  model      = "m"
  prompt     = image.hero[count.index == 0 ? "dawn" : "dusk"].path
  path       = "out/g${count.index}.png"
  references = [image.hero["dawn"].path, image.hero["dawn"].path, chat.t.path]
  depends_on = [image.hero, chat.t]
}
video "v" {
  model   = "m"
  path    = "out/v.mp4"
  options = { ref = [for g in image.grid : g.sha256] }
  shot {
    duration = length(image.grid)
    scene    = image.grid[1].path
  }
}
`}, LoadOptions{})
	tests := []struct {
		addr string
		want []string
	}{
		{"chat.t", nil},
		{"image.hero", []string{"chat.t"}},
		{"image.grid", []string{"image.hero", `image.hero["dawn"]`, "chat.t"}},
		{"video.v", []string{"image.grid", "image.grid[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			var got []string
			for _, r := range c.Asset(tt.addr).Refs {
				got = append(got, r.Addr())
				if r.Range.Filename != "main.gen.hcl" || r.Range.Start.Line == 0 {
					t.Errorf("ref %s has no range: %v", r.Addr(), r.Range)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Refs = %q, want %q", got, tt.want)
			}
		})
	}
	hero := c.Asset("image.grid").Refs[1]
	if hero.Key.Type() != cty.String || hero.Key.AsString() != "dawn" {
		t.Errorf("static key = %#v", hero.Key)
	}
	if k := c.Asset("video.v").Refs[1].Key; k.Type() != cty.Number {
		t.Errorf("count key = %#v", k)
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"image.hero", "image.hero", true},
		{"image.hero[0]", "image.hero[0]", true},
		{`image.hero["dawn"]`, `image.hero["dawn"]`, true},
		{`video.v["a\"b"]`, `video.v["a\"b"]`, true},
		{"chat", "", false},
		{"audio.x", "", false},
		{"image.hero.path", "", false},
		{"image.hero[-1]", "", false},
		{"image.hero[", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, diags := ParseRef(tt.in)
			if diags.HasErrors() == tt.ok {
				t.Fatalf("ParseRef(%q) diags = %v", tt.in, diags)
			}
			if tt.ok && r.Addr() != tt.want {
				t.Errorf("Addr = %q, want %q", r.Addr(), tt.want)
			}
		})
	}
}

var _ = hcl.Pos{}

func chatBlock(name string) string {
	return "chat \"" + name + "\" {\n  model  = \"m\"\n  prompt = \"p\"\n}\n"
}

func TestEvalContextForProviders(t *testing.T) {
	c := mustLoad(t, map[string]string{"main.gen.hcl": `
variable "t" { default = "30s" }
locals { key_name = "MY_KEY" }
provider "wisdomgate" {
  api_key = env(local.key_name)
  timeout = var.t
}`}, LoadOptions{Env: []string{"MY_KEY=k-123"}})
	attrs, diags := c.Providers[0].Body.JustAttributes()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for name, want := range map[string]string{"api_key": "k-123", "timeout": "30s"} {
		v, diags := attrs[name].Expr.Value(c.EvalContext())
		if diags.HasErrors() || v.AsString() != want {
			t.Errorf("%s = %#v %v, want %q", name, v, diags, want)
		}
	}
}
