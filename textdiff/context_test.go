package textdiff

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
)

func TestChanged(t *testing.T) {
	long := make([]string, 20000) // a prompt read from a long file: the diff must not grow with its square
	for i := range long {
		long[i] = fmt.Sprint("line ", i)
	}
	edited := slices.Clone(long)
	edited[10000] = "changed"
	tests := []struct {
		name          string
		before, after []string
		want          []string
	}{
		{"one line changed, with a line of context", []string{"a", "b", "c", "d", "e"}, []string{"a", "b", "X", "d", "e"},
			[]string{"  b", "- c", "+ X", "  d"}},
		{"line added at the end", []string{"a", "b"}, []string{"a", "b", "c"}, []string{"  b", "+ c"}},
		{"the same", []string{"a", "b"}, []string{"a", "b"}, nil},
		{"20,000 lines, one changed", long, edited, []string{"  line 9999", "- line 10000", "+ changed", "  line 10001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			got := Changed(tt.before, tt.after)
			runtime.ReadMemStats(&m1)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			// an LCS table of 20,000 x 20,000 lines would take 3.2 GB
			if mb := (m1.TotalAlloc - m0.TotalAlloc) >> 20; mb > 100 {
				t.Errorf("the diff allocated %d MB", mb)
			}
		})
	}
}
