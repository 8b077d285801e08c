package schema

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestTopLevelPieces checks that every top-level block is a piece of its own (or shares one
// only with blank lines and comments before it) and that the pieces parsed one by one give
// every block a whole parse gives, with the same ranges.
func TestTopLevelPieces(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 10; round++ {
		src := []byte(randomConfig(r, 100))
		starts, ok := TopLevelPieces(src)
		if !ok {
			t.Fatalf("round %d: the scanner gave up", round)
		}
		whole, diags := hclsyntax.ParseConfig(src, "main.gen.hcl", hcl.InitialPos)
		if len(diags) > 0 {
			t.Fatalf("round %d: %s", round, diags)
		}
		ranges := make([]PieceRange, len(starts))
		for i, s := range starts {
			ranges[i] = PieceRange{Start: s, End: len(src)}
			if i+1 < len(starts) {
				ranges[i].End = starts[i+1]
			}
		}
		blocks := whole.Body.(*hclsyntax.Body).Blocks
		if len(starts) < len(blocks) {
			t.Fatalf("round %d: %d pieces for %d blocks", round, len(starts), len(blocks))
		}
		// every piece parsed: the whole body
		f, diags := parseSelected(src, "main.gen.hcl", ranges)
		if len(diags) > 0 || !reflect.DeepEqual(f.Body, whole.Body) {
			t.Fatalf("round %d: the pieces' body differs from the whole parse (%s)", round, diags)
		}
		// every other piece: exactly the blocks that start in them, with their ranges
		var some []PieceRange
		var want []*hclsyntax.Block
		for i, rg := range ranges {
			if i%2 == 1 {
				continue
			}
			some = append(some, rg)
			for _, b := range blocks {
				if b.Range().Start.Byte >= rg.Start && b.Range().Start.Byte < rg.End {
					want = append(want, b)
				}
			}
		}
		f, diags = parseSelected(src, "main.gen.hcl", some)
		if len(diags) > 0 {
			t.Fatalf("round %d: %s", round, diags)
		}
		got := f.Body.(*hclsyntax.Body).Blocks
		if len(got) != len(want) {
			t.Fatalf("round %d: %d blocks, want %d", round, len(got), len(want))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("round %d: block %d differs: %v, want %v", round, i, got[i].Range(), want[i].Range())
			}
		}
		if string(f.Bytes) != string(src) {
			t.Fatalf("round %d: the file's bytes are not the whole source", round)
		}
	}
}

// TestLoadSelect checks that Load of selected pieces decodes exactly those blocks, at the
// ranges a whole Load gives, and reports a piece that does not parse.
func TestLoadSelect(t *testing.T) {
	src := `variable "style" {
  default = "flat"
}

image "a" {
  model  = "gpt-image-1"
  prompt = "a ${var.style}"
  path   = "out/a.png"
}

image "b" {
  model  = "gpt-image-1"
  prompt = "b"
  path   = "out/b.png"
}

chat "c" {
  model  = "deepseek-v3"
  prompt = "describe ${image.b.path}"
}
`
	whole := mustLoad(t, map[string]string{"main.gen.hcl": src}, LoadOptions{})
	starts, ok := TopLevelPieces([]byte(src))
	if !ok {
		t.Fatal("the scanner gave up")
	}
	piece := func(i int) PieceRange {
		end := len(src)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		return PieceRange{Start: starts[i], End: end}
	}
	// pieces: variable, blank, a, blank, b, blank, c
	if len(starts) != 7 {
		t.Fatalf("%d pieces, want 7: %v", len(starts), starts)
	}
	sel := map[string]SelectedFile{"main.gen.hcl": {Src: []byte(src), Pieces: []PieceRange{piece(0), piece(4), piece(6)}}}
	c, diags := Load(t.TempDir(), LoadOptions{ProviderTypes: testTypes, Select: sel})
	if len(diags) > 0 {
		t.Fatalf("Load: %s", render(c, diags))
	}
	var got []string
	for _, a := range c.Assets {
		got = append(got, a.Addr())
		w := whole.assets[a.Addr()]
		if w == nil || w.DeclRange != a.DeclRange || !reflect.DeepEqual(w.Refs, a.Refs) {
			t.Errorf("%s: range %v refs %v, want %v %v", a.Addr(), a.DeclRange, a.Refs, w.DeclRange, w.Refs)
		}
	}
	if !reflect.DeepEqual(got, []string{"image.b", "chat.c"}) {
		t.Fatalf("assets %v, want image.b and chat.c", got)
	}
	// a piece cut inside a block does not parse: a diagnostic, never a partial block
	bad := map[string]SelectedFile{"main.gen.hcl": {Src: []byte(src), Pieces: []PieceRange{{Start: starts[2], End: starts[2] + 20}}}}
	if _, diags := Load(t.TempDir(), LoadOptions{ProviderTypes: testTypes, Select: bad}); !diags.HasErrors() {
		t.Fatal("a broken piece loaded without an error")
	}
}
