package schema

import (
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestExpansion(t *testing.T) {
	tests := []struct {
		name  string
		block string
		addrs []string
		keys  []cty.Value
		each  []cty.Value // nil: no each.value
	}{{
		name:  "single",
		block: `path = "out/a.png"`,
		addrs: []string{"image.a"},
		keys:  []cty.Value{cty.NilVal},
	}, {
		name:  "count",
		block: "count = 3\npath = \"out/${count.index}.png\"",
		addrs: []string{"image.a[0]", "image.a[1]", "image.a[2]"},
		keys:  []cty.Value{cty.NumberIntVal(0), cty.NumberIntVal(1), cty.NumberIntVal(2)},
	}, {
		name:  "count from a variable",
		block: "count = var.n - 1\npath = \"out/${count.index}.png\"",
		addrs: []string{"image.a[0]"},
		keys:  []cty.Value{cty.NumberIntVal(0)},
	}, {
		name:  "count zero",
		block: "count = 0\npath = \"out/${count.index}.png\"",
	}, {
		name:  "for_each map, in key order",
		block: "for_each = { dusk = \"evening\", dawn = \"morning\" }\npath = \"out/${each.key}.png\"",
		addrs: []string{`image.a["dawn"]`, `image.a["dusk"]`},
		keys:  []cty.Value{cty.StringVal("dawn"), cty.StringVal("dusk")},
		each:  []cty.Value{cty.StringVal("morning"), cty.StringVal("evening")},
	}, {
		name:  "for_each map of objects from a local",
		block: "for_each = local.styles\npath = \"out/${each.key}.png\"",
		addrs: []string{`image.a["ink"]`},
		keys:  []cty.Value{cty.StringVal("ink")},
		each:  []cty.Value{cty.ObjectVal(map[string]cty.Value{"w": cty.NumberIntVal(2)})},
	}, {
		name:  "for_each set",
		block: "for_each = toset([\"pixel art\", \"ink\", \"ink\"])\npath = \"out/${each.key}.png\"",
		addrs: []string{`image.a["ink"]`, `image.a["pixel art"]`},
		keys:  []cty.Value{cty.StringVal("ink"), cty.StringVal("pixel art")},
		each:  []cty.Value{cty.StringVal("ink"), cty.StringVal("pixel art")},
	}, {
		name:  "for_each keys that need quoting",
		block: "for_each = toset([\"say \\\"hi\\\"\", \"a\\\\b\", \"$${x}\"])\npath = \"out/${sha256(each.key)}.png\"",
		addrs: []string{`image.a["$${x}"]`, `image.a["a\\b"]`, `image.a["say \"hi\""]`},
		keys:  []cty.Value{cty.StringVal("${x}"), cty.StringVal(`a\b`), cty.StringVal(`say "hi"`)},
		each:  []cty.Value{cty.StringVal("${x}"), cty.StringVal(`a\b`), cty.StringVal(`say "hi"`)},
	}, {
		name:  "for_each empty set",
		block: "for_each = toset([])\npath = \"out/${each.key}.png\"",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `
variable "n" { default = 2 }
locals {
  styles = { ink = { w = 2 } }
}
chat "first" {
  model  = "m"
  prompt = "p"
}
image "a" {
  model  = "m"
  prompt = "p"
  ` + tt.block + `
}
chat "last" {
  model  = "m"
  prompt = "p"
}`
			c := mustLoad(t, map[string]string{"main.gen.hcl": src}, LoadOptions{})
			a := c.Asset("image.a")
			var addrs []string
			for i, inst := range a.Instances {
				addrs = append(addrs, inst.Addr)
				if inst.Asset != a {
					t.Errorf("%s: Asset = %v", inst.Addr, inst.Asset.Addr())
				}
				mustEqual(t, inst.Addr+" Key", inst.Key, tt.keys[i])
				want := cty.NilVal
				if tt.each != nil {
					want = tt.each[i]
				}
				mustEqual(t, inst.Addr+" Each", inst.Each, want)
			}
			if !slices.Equal(addrs, tt.addrs) {
				t.Errorf("addresses = %q, want %q", addrs, tt.addrs)
			}
			// Config.Instances: grouped by asset, in Assets order.
			var all []string
			for _, inst := range c.Instances {
				all = append(all, inst.Addr)
			}
			want := append(append([]string{"chat.first"}, tt.addrs...), "chat.last")
			if !slices.Equal(all, want) {
				t.Errorf("Config.Instances = %q, want %q", all, want)
			}
		})
	}
}
