package schema

import (
	"fmt"
	"testing"

	"github.com/genform/genform/internal/benchproj"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// BenchmarkParse parses the file of 10,000 separate image blocks whole, and in pieces.
func BenchmarkParse(b *testing.B) {
	src := []byte(benchproj.Config(benchproj.Blocks, 10000))
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if _, diags := hclsyntax.ParseConfig(src, "main.gen.hcl", hcl.InitialPos); diags.HasErrors() {
				b.Fatal(diags)
			}
		}
	})
	b.Run("pieces", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if _, diags := parseNative(src, "main.gen.hcl"); diags.HasErrors() {
				b.Fatal(diags)
			}
		}
	})
}

func BenchmarkParsePieceSize(b *testing.B) {
	src := []byte(benchproj.Config(benchproj.Blocks, 10000))
	for _, size := range []int{512, 1 << 10, 2 << 10, 4 << 10, 8 << 10, 32 << 10} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, diags := parseInPieces(src, "main.gen.hcl", size); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		})
	}
}
