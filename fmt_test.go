package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

func readFileString(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

func TestDiffLines(t *testing.T) {
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
			edits := diffLines(splitLines([]byte(tt.a)), splitLines([]byte(tt.b)))
			var a, b strings.Builder
			changes := 0
			for _, e := range edits {
				if e.op != '+' {
					a.WriteString(e.line)
				}
				if e.op != '-' {
					b.WriteString(e.line)
				}
				if e.op != ' ' {
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
func TestDiffLinesUnrelatedTexts(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	edits := diffLines(splitLines([]byte(a.String())), splitLines([]byte(b.String())))
	runtime.ReadMemStats(&m1)
	if len(edits) != 6000 || edits[0] != (lineEdit{'-', "a0\n"}) || edits[2999].op != '-' || edits[3000] != (lineEdit{'+', "b0\n"}) || edits[5999].op != '+' {
		t.Errorf("want every old line removed, then every new one added; got %d edits", len(edits))
	}
	if mb := (m1.TotalAlloc - m0.TotalAlloc) >> 20; mb > 64 {
		t.Errorf("the diff allocated %d MB", mb)
	}
}

func TestUnifiedDiffNoNewline(t *testing.T) {
	got := unifiedDiff("f.gen.hcl", []byte("a\nb"), []byte("a\nc\n"))
	want := "--- a/f.gen.hcl\n+++ b/f.gen.hcl\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
	if got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
}

func TestEnsureIgnored(t *testing.T) {
	tests := []struct{ name, old, want string }{
		{"no file", "\x00", ".genform/\n"},
		{"no final newline", "bin/", "bin/\n.genform/\n"},
		{"already there", "bin/\n/.genform\n", "bin/\n/.genform\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := t.TempDir() + "/.gitignore"
			if tt.old != "\x00" {
				if err := writeFileAtomic(path, []byte(tt.old)); err != nil {
					t.Fatal(err)
				}
			}
			changed, err := ensureIgnored(path)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := readFileString(path)
			if data != tt.want || changed != (tt.old != tt.want) {
				t.Errorf(".gitignore = %q (changed %v), want %q", data, changed, tt.want)
			}
		})
	}
}
