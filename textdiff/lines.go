package textdiff

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Unified is a unified diff (three lines of context) from a to b, as `diff -u` prints it.
func Unified(name string, a, b []byte) string {
	al, bl := SplitLines(a), SplitLines(b)
	edits := Lines(al, bl)
	// aPos[i], bPos[i]: the lines of a and b before edit i.
	aPos := make([]int, len(edits)+1)
	bPos := make([]int, len(edits)+1)
	for i, e := range edits {
		aPos[i+1], bPos[i+1] = aPos[i], bPos[i]
		if e.Op != '+' {
			aPos[i+1]++
		}
		if e.Op != '-' {
			bPos[i+1]++
		}
	}
	const context = 3
	var out strings.Builder
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", filepath.ToSlash(name), filepath.ToSlash(name))
	for i := 0; i < len(edits); {
		for i < len(edits) && edits[i].Op == ' ' {
			i++
		}
		if i == len(edits) {
			break
		}
		start, end := max(0, i-context), i
		for {
			for end < len(edits) && edits[end].Op != ' ' {
				end++
			}
			next := end
			for next < len(edits) && edits[next].Op == ' ' {
				next++
			}
			if next == len(edits) || next-end > 2*context {
				break
			}
			end = next
		}
		stop := min(len(edits), end+context)
		fmt.Fprintf(&out, "@@ -%s +%s @@\n",
			hunkRange(aPos[start], aPos[stop]-aPos[start]), hunkRange(bPos[start], bPos[stop]-bPos[start]))
		for _, e := range edits[start:stop] {
			out.WriteByte(e.Op)
			out.WriteString(e.Line)
			if !strings.HasSuffix(e.Line, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = stop
	}
	return out.String()
}

func hunkRange(before, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", before)
	case 1:
		return fmt.Sprintf("%d", before+1)
	}
	return fmt.Sprintf("%d,%d", before+1, n)
}

// SplitLines splits text into lines, each keeping its newline.
func SplitLines(b []byte) []string {
	s := string(b)
	var lines []string
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// Edit is one line of a diff: ' ' kept, '-' removed, '+' added.
type Edit struct {
	Op   byte
	Line string
}

// maxLineCost bounds the edit distance Lines searches; beyond it the diff replaces
// everything, which is still correct, just not minimal. Its memory grows with the square of
// the distance: 2,000 edits take about 32 MB.
const maxLineCost = 2000

// Lines is a shortest edit script from a to b (Myers' algorithm).
func Lines(a, b []string) []Edit {
	n, m := len(a), len(b)
	limit := min(n+m, maxLineCost)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	found := false
	for d := 0; d <= limit && !found; d++ {
		// keep only the diagonals step d reads (-d-1 to d+1), not a copy of all of v
		trace = append(trace, slices.Clone(v[off-d-1:off+d+2]))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = true
				break
			}
		}
	}
	if !found {
		out := make([]Edit, 0, n+m)
		for _, l := range a {
			out = append(out, Edit{'-', l})
		}
		for _, l := range b {
			out = append(out, Edit{'+', l})
		}
		return out
	}
	var rev []Edit
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		w := trace[d]
		v := func(k int) int { return w[k+d+1] } // v[off+k] when step d began
		k := x - y
		var pk int
		if k == -d || (k != d && v(k-1) < v(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := v(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, Edit{' ', a[x]})
		}
		if d > 0 {
			if x == px {
				y--
				rev = append(rev, Edit{'+', b[y]})
			} else {
				x--
				rev = append(rev, Edit{'-', a[x]})
			}
		}
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
