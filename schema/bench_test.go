package schema

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// forEachConfig is a generated config with one for_each over n keys (a literal map), and a
// video per key that references its image by key.
func forEachConfig(n int) string {
	var b strings.Builder
	b.WriteString("chat \"t\" {\n  model  = \"m\"\n  prompt = \"p\"\n}\n\nlocals {\n  styles = {\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    k%d = \"style %d\"\n", i, i)
	}
	b.WriteString(`  }
}

image "a" {
  for_each = local.styles
  model    = "gpt-image-1"
  prompt   = "${chat.t.text}, ${each.value}"
  size     = "1024x1024"
  path     = "out/${each.key}.png"
}

video "v" {
  for_each  = local.styles
  model     = "sora-2"
  prompt    = "Animate ${each.value}"
  reference = image.a[each.key].path
  path      = "out/${each.key}.mp4"
}
`)
	return b.String()
}

// blocksConfig is n separate image blocks with count = per, each referencing the block
// before it.
func blocksConfig(n, per int) string {
	var b strings.Builder
	b.WriteString("chat \"t\" {\n  model  = \"m\"\n  prompt = \"p\"\n}\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `
image "b%d" {
  count  = %d
  model  = "gpt-image-1"
  prompt = "${chat.t.text} ${count.index}"
  path   = "out/b%d/${count.index}.png"
`, i, per, i)
		if i > 0 {
			fmt.Fprintf(&b, "  references = [image.b%d[0].path]\n", i-1)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

func BenchmarkLoad(b *testing.B) {
	for _, bc := range []struct {
		name      string
		src       string
		instances int
	}{
		{"for_each_10000", forEachConfig(10_000), 20_001},
		{"blocks_1000_count_10", blocksConfig(1000, 10), 10_001},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dir := writeTree(b, map[string]string{"main.gen.hcl": bc.src})
			b.ReportAllocs()
			for b.Loop() {
				c, diags := Load(dir, LoadOptions{})
				if diags.HasErrors() || len(c.Instances) != bc.instances {
					b.Fatalf("%d instances, %s", len(c.Instances), render(c, diags))
				}
			}
		})
	}
}

// BenchmarkEval evaluates every instance once per iteration, as the engine does: its time
// per instance must not grow with the number of instances.
func BenchmarkEval(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("for_each_%d", n), func(b *testing.B) {
			c := mustLoad(b, map[string]string{"main.gen.hcl": forEachConfig(n)}, LoadOptions{})
			images := make(map[string]cty.Value, n)
			for i := 0; i < n; i++ {
				k := fmt.Sprintf("k%d", i)
				images[k] = instanceVal("image", map[string]cty.Value{"path": cty.StringVal("out/" + k + ".png")})
			}
			assets := map[string]*Asset{}
			for _, a := range c.Assets {
				assets[a.Addr()] = a
			}
			scopes := map[*Asset]map[string]map[string]cty.Value{
				assets["image.a"]: singleAsset("chat", "t", instanceVal("chat", map[string]cty.Value{"text": cty.StringVal("hi")})),
				assets["video.v"]: singleAsset("image", "a", cty.MapVal(images)),
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for _, inst := range c.Instances {
					if _, diags := c.Eval(inst, scopes[inst.Asset]); diags.HasErrors() {
						b.Fatal(render(c, diags))
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(c.Instances)), "ns/instance")
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	c := mustLoad(b, map[string]string{"main.gen.hcl": forEachConfig(10_000)}, LoadOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if diags := c.Validate(); diags.HasErrors() {
			b.Fatal(render(c, diags))
		}
	}
}
