// Package benchproj writes the generated projects genform's speed is measured on: n image
// blocks declared separately, with count, or with for_each, on the offline provider. The
// benchmarks of the CLI and of engine use it, and so does cmd/benchproj, which writes one
// to a folder for /usr/bin/time -v.
package benchproj

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Shape is how the n images are declared.
type Shape string

// The shapes of the measures.
const (
	Blocks  Shape = "blocks"   // n separate image blocks
	Count   Shape = "count"    // one image block with count = n
	ForEach Shape = "for_each" // one image block with for_each over n keys
)

// Shapes lists every shape.
var Shapes = []Shape{Blocks, Count, ForEach}

// Config returns the configuration of n images of the shape: one file, main.gen.hcl.
func Config(shape Shape, n int) string {
	var b strings.Builder
	b.Grow(n * 140)
	b.WriteString("provider \"offline\" {}\n\nvariable \"style\" {\n  default = \"flat\"\n}\n")
	switch shape {
	case Blocks:
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "\nimage \"img%d\" {\n  model  = \"gpt-image-1\"\n  prompt = \"picture %d, ${var.style} style\"\n  size   = \"64x64\"\n  path   = \"out/img%d.png\"\n}\n", i, i, i)
		}
	case Count:
		fmt.Fprintf(&b, "\nimage \"img\" {\n  count  = %d\n  model  = \"gpt-image-1\"\n  prompt = \"picture ${count.index}, ${var.style} style\"\n  size   = \"64x64\"\n  path   = \"out/img${count.index}.png\"\n}\n", n)
	case ForEach:
		b.WriteString("\nlocals {\n  keys = toset([")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "\"k%d\"", i)
		}
		b.WriteString("])\n}\n")
		b.WriteString("\nimage \"img\" {\n  for_each = local.keys\n  model    = \"gpt-image-1\"\n  prompt   = \"picture ${each.key}, ${var.style} style\"\n  size     = \"64x64\"\n  path     = \"out/${each.key}.png\"\n}\n")
	default:
		panic("benchproj: unknown shape " + string(shape))
	}
	return b.String()
}

// Write writes the configuration of n images of the shape into dir, replacing main.gen.hcl.
func Write(dir string, shape Shape, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "main.gen.hcl"), []byte(Config(shape, n)), 0o644)
}

// Change edits every hundredth image of a Blocks project in dir (1% of them): its prompt
// gains a word.
func Change(dir string, n int) error {
	name := filepath.Join(dir, "main.gen.hcl")
	src, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	s := string(src)
	for i := 0; i < n; i += 100 {
		old := fmt.Sprintf("prompt = \"picture %d,", i)
		s = strings.Replace(s, old, fmt.Sprintf("prompt = \"changed picture %d,", i), 1)
	}
	return os.WriteFile(name, []byte(s), 0o644)
}
