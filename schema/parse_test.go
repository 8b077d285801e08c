package schema

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// pieceItems are top-level items that challenge the cut scanner: braces, quotes and heredoc
// markers inside strings, comments and heredocs, interpolations spanning lines, escapes.
var pieceItems = []string{
	"image \"a%d\" {\n  model  = \"m\"\n  prompt = \"a } { ] [ ) ( picture %d\"\n  path   = \"out/%d.png\"\n}\n",
	"# a comment with \" and { and <<EOT\nchat \"c%d\" {\n  prompt = \"x\" // trailing } comment %d\n  path = \"c%d\"\n}\n",
	"/* a block comment\nimage \"fake\" {\n\" } */\nvariable \"v%d\" {\n  default = { a = [1, 2, (3)], b = \"${upper(\"}\")}\" } # %d %d\n}\n",
	"locals {\n  h%d = <<EOT\nimage \"not_a_block\" {\n  }\n  \"quote\n${\"interp }\"} and $${literal} and %%%%{literal} %d\n  EOT not the end\nEOT\n  k%d = 1\n}\n",
	"locals {\n  i%d = <<-END\n    indented ${\n      join(\",\", [\"a\",\n      \"b\"])\n    } %d\n    END\n  j%d = \"esc \\\" \\\\ ${\"nested ${\"deep\"}\"}\"\n}\n",
	"video \"v%d\" {\n  prompt = \"%%{ if true }yes%%{ else }no%%{ endif } %d\"\n  shot {\n    scene = \"s%d\"\n  }\n}\n",
	"\n\n   \n",
	"output \"o%d\" {\n  value = [for k, v in {a = 1} : \"${k}=${v}\" if v > 0 && %d < %d]\n}\n",
}

func randomConfig(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		item := pieceItems[r.IntN(len(pieceItems))]
		if strings.Contains(item, "%d") {
			item = fmt.Sprintf(item, i, i, i)
		}
		b.WriteString(item)
	}
	return b.String()
}

// TestParseInPieces checks that a file parsed in pieces gives exactly the body a whole
// parse gives: every block, attribute, expression and range.
func TestParseInPieces(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		src := []byte(randomConfig(r, 200+r.IntN(200)))
		size := 256 + r.IntN(2048)
		cuts := cutPoints(src, size)
		if len(cuts) < 2 {
			t.Fatalf("round %d: %d cut points in %d bytes", round, len(cuts), len(src))
		}
		whole, wd := hclsyntax.ParseConfig(src, "main.gen.hcl", hcl.InitialPos)
		if len(wd) > 0 {
			t.Fatalf("round %d: the test config does not parse: %s", round, wd)
		}
		split, ok := parsePieces(src, "main.gen.hcl", cuts)
		if !ok {
			t.Fatalf("round %d: the pieces were not used", round)
		}
		if !reflect.DeepEqual(whole.Body, split.Body) {
			t.Fatalf("round %d: the pieces' body differs from the whole parse", round)
		}
		if string(split.Bytes) != string(src) {
			t.Fatalf("round %d: the file's bytes are not the whole source", round)
		}
		// the "in image ..." context of a diagnostic finds a block of the last piece
		last := whole.Body.(*hclsyntax.Body).Blocks
		b := last[len(last)-1]
		type nav interface{ ContextString(int) string }
		want := whole.Nav.(nav).ContextString(b.TypeRange.Start.Byte)
		if got := split.Nav.(nav).ContextString(b.TypeRange.Start.Byte); got != want || got == "" {
			t.Fatalf("round %d: context %q, want %q", round, got, want)
		}
	}
}

// TestParseInPiecesErrors checks that a syntax error in a large file is reported at its
// file, line and column, exactly as a whole parse reports it.
func TestParseInPiecesErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	good := randomConfig(r, 300)
	lines := strings.Count(good, "\n")
	for _, bad := range []struct {
		name, src string
		line, col int
	}{
		{"unclosed block", "image \"x\" {\n  prompt = \"p\"\n", lines + 2, 11},
		{"bad token", "image \"x\" {\n  prompt = \"p\" @\n}\n", lines + 3, 16},
		{"unterminated string", "image \"x\" {\n  prompt = \"p\n}\n", lines + 3, 14},
		{"unclosed heredoc", "locals {\n  x = <<EOT\nhello\n}\n", lines + 6, 1},
		{"argument set twice", "a = 1\n" + good + "a = 2\n", lines + 2, 1},
	} {
		t.Run(bad.name, func(t *testing.T) {
			src := good + "\n" + bad.src
			if bad.name == "argument set twice" {
				src = bad.src
			}
			_, wd := hclsyntax.ParseConfig([]byte(src), "big.gen.hcl", hcl.InitialPos)
			_, sd := parseInPieces([]byte(src), "big.gen.hcl", 512)
			if !sd.HasErrors() {
				t.Fatal("no error")
			}
			if !reflect.DeepEqual(wd, sd) {
				t.Fatalf("diagnostics differ:\nwhole:  %s\npieces: %s", wd, sd)
			}
			s := sd[0].Subject
			if s.Filename != "big.gen.hcl" || s.Start.Line != bad.line || s.Start.Column != bad.col {
				t.Fatalf("error at %s, want big.gen.hcl:%d,%d: %s", s, bad.line, bad.col, sd[0].Summary)
			}
		})
	}
}

// TestLoadLargeFileDiagnostic loads a project whose large file has a decoding error near its
// end: the diagnostic names that file, line and column.
func TestLoadLargeFileDiagnostic(t *testing.T) {
	var b strings.Builder
	b.WriteString("provider \"offline\" {}\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "\nimage \"i%d\" {\n  model  = \"gpt-image-1\"\n  prompt = \"p %d\"\n  path   = \"out/%d.png\"\n}\n", i, i, i)
	}
	line := strings.Count(b.String(), "\n") + 4
	b.WriteString("\nimage \"bad\" {\n  model  = \"gpt-image-1\"\n  prompt = var.nope\n  path   = \"out/bad.png\"\n}\n")
	if b.Len() < 4*pieceSize {
		t.Fatalf("the file (%d bytes) is too small to be cut", b.Len())
	}
	dir := writeTree(t, map[string]string{"a.gen.hcl": "# first\n", "big.gen.hcl": b.String()})
	_, diags := Load(dir, LoadOptions{})
	if !diags.HasErrors() {
		t.Fatal("no error")
	}
	s := diags[0].Subject
	if s.Filename != "big.gen.hcl" || s.Start.Line != line || s.Start.Column != 12 {
		t.Fatalf("error at %s, want big.gen.hcl:%d,12: %s", s, line, diags[0].Summary)
	}
}
