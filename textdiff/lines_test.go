package textdiff

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func TestLines(t *testing.T) {
	tests := []struct {
		name, a, b string
		changes    int // lines removed plus lines added: the edit distance
	}{
		{"equal", "a\nb\n", "a\nb\n", 0},
		{"both empty", "", "", 0},
		{"from empty", "", "a\nb\n", 2},
		{"to empty", "a\nb\n", "", 2},
		{"one changed", "a\nb\nc\n", "a\nB\nc\n", 2},
		{"insert in the middle", "a\nc\n", "a\nb\nc\n", 1},
		{"moved line", "a\nb\nc\nd\n", "b\nc\nd\na\n", 2},
		{"no final newline", "a\nb", "a\nb\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edits := Lines(SplitLines([]byte(tt.a)), SplitLines([]byte(tt.b)))
			var a, b strings.Builder
			changes := 0
			for _, e := range edits {
				if e.Op != '+' {
					a.WriteString(e.Line)
				}
				if e.Op != '-' {
					b.WriteString(e.Line)
				}
				if e.Op != ' ' {
					changes++
				}
			}
			if a.String() != tt.a || b.String() != tt.b {
				t.Errorf("edits rebuild %q -> %q, want %q -> %q", a.String(), b.String(), tt.a, tt.b)
			}
			if changes != tt.changes {
				t.Errorf("%d changed lines, want %d", changes, tt.changes)
			}
		})
	}
}

// Two unrelated texts are the worst case: the search runs to its bound, and what it keeps for
// the way back must stay small (a copy of every diagonal per step took 250 MB here).
func TestLinesUnrelatedTexts(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	edits := Lines(SplitLines([]byte(a.String())), SplitLines([]byte(b.String())))
	runtime.ReadMemStats(&m1)
	if len(edits) != 6000 || edits[0] != (Edit{'-', "a0\n"}) || edits[2999].Op != '-' || edits[3000] != (Edit{'+', "b0\n"}) || edits[5999].Op != '+' {
		t.Errorf("want every old line removed, then every new one added; got %d edits", len(edits))
	}
	if mb := (m1.TotalAlloc - m0.TotalAlloc) >> 20; mb > 64 {
		t.Errorf("the diff allocated %d MB", mb)
	}
}

func TestUnifiedNoNewline(t *testing.T) {
	got := Unified("f.gen.hcl", []byte("a\nb"), []byte("a\nc\n"))
	want := "--- a/f.gen.hcl\n+++ b/f.gen.hcl\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
	if got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
}
