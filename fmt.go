package main

// This file holds genform fmt: canonical formatting of *.gen.hcl files, with -check and a
// unified -diff.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// fmtTarget is one file fmt formats: where it is, and the name it is shown by.
type fmtTarget struct{ path, name string }

func cmdFmt(c *cli, args []string) int {
	fs := newFlags(c, "fmt", "[-check] [-diff] [FILES...]")
	check := fs.Bool("check", false, "list the files whose formatting differs and exit 3, changing nothing")
	diff := fs.Bool("diff", false, "print the changes as a unified diff")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	targets, err := c.fmtTargets(fs.Args())
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return 1
	}
	files := map[string]*hcl.File{}
	var diags hcl.Diagnostics
	changed := 0
	for _, t := range targets {
		src, err := os.ReadFile(t.path)
		if err != nil {
			fmt.Fprintf(c.stderr, "Error: %v\n", err)
			return 1
		}
		f, ds := hclsyntax.ParseConfig(src, t.name, hcl.InitialPos)
		if ds.HasErrors() {
			files[t.name] = f
			diags = append(diags, ds...)
			continue
		}
		out := hclwrite.Format(src)
		if bytes.Equal(out, src) {
			continue
		}
		changed++
		fmt.Fprintln(c.stdout, t.name)
		if *diff {
			fmt.Fprint(c.stdout, unifiedDiff(t.name, src, out))
		}
		if !*check {
			if err := writeFileAtomic(t.path, out); err != nil {
				fmt.Fprintf(c.stderr, "Error: %v\n", err)
				return 1
			}
		}
	}
	if c.diags(diags, files) {
		return 1
	}
	if *check && changed > 0 {
		return 3
	}
	return 0
}

// fmtTargets lists the files to format: the *.gen.hcl files of the project folder when
// args is empty; else each file named, and the *.gen.hcl files of each folder named. Names
// are relative to the project folder.
func (c *cli) fmtTargets(args []string) ([]fmtTarget, error) {
	if len(args) == 0 {
		args = []string{"."}
	}
	var out []fmtTarget
	for _, arg := range args {
		p := arg
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.dir, arg)
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("cannot format %s: %w", arg, err)
		}
		if !fi.IsDir() {
			if strings.HasSuffix(arg, ".json") {
				return nil, fmt.Errorf("%s is in JSON syntax; fmt formats the native syntax (*%s)", arg, schema.SuffixHCL)
			}
			out = append(out, fmtTarget{path: p, name: arg})
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("cannot list %s: %w", arg, err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), schema.SuffixHCL) {
				continue
			}
			name := e.Name()
			if arg != "." {
				name = filepath.Join(arg, name)
			}
			out = append(out, fmtTarget{path: filepath.Join(p, e.Name()), name: name})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// writeFileAtomic replaces path with data through state.WriteFileAtomic (temporary file,
// fsync, rename), keeping an existing file's permissions; a new one gets 0644.
func writeFileAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := state.WriteFileAtomic(path, data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// unifiedDiff is a unified diff (three lines of context) from a to b, as `diff -u` prints it.
func unifiedDiff(name string, a, b []byte) string {
	al, bl := splitLines(a), splitLines(b)
	edits := diffLines(al, bl)
	// aPos[i], bPos[i]: the lines of a and b before edit i.
	aPos := make([]int, len(edits)+1)
	bPos := make([]int, len(edits)+1)
	for i, e := range edits {
		aPos[i+1], bPos[i+1] = aPos[i], bPos[i]
		if e.op != '+' {
			aPos[i+1]++
		}
		if e.op != '-' {
			bPos[i+1]++
		}
	}
	const context = 3
	var out strings.Builder
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", filepath.ToSlash(name), filepath.ToSlash(name))
	for i := 0; i < len(edits); {
		for i < len(edits) && edits[i].op == ' ' {
			i++
		}
		if i == len(edits) {
			break
		}
		start, end := max(0, i-context), i
		for {
			for end < len(edits) && edits[end].op != ' ' {
				end++
			}
			next := end
			for next < len(edits) && edits[next].op == ' ' {
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
			out.WriteByte(e.op)
			out.WriteString(e.line)
			if !strings.HasSuffix(e.line, "\n") {
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

// splitLines splits text into lines, each keeping its newline.
func splitLines(b []byte) []string {
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

// lineEdit is one line of a diff: ' ' kept, '-' removed, '+' added.
type lineEdit struct {
	op   byte
	line string
}

// maxDiffCost bounds the edit distance diffLines searches; beyond it the diff replaces
// everything, which is still correct, just not minimal. Its memory grows with the square of
// the distance: 2,000 edits take about 32 MB.
const maxDiffCost = 2000

// diffLines is a shortest edit script from a to b (Myers' algorithm).
func diffLines(a, b []string) []lineEdit {
	n, m := len(a), len(b)
	limit := min(n+m, maxDiffCost)
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
		out := make([]lineEdit, 0, n+m)
		for _, l := range a {
			out = append(out, lineEdit{'-', l})
		}
		for _, l := range b {
			out = append(out, lineEdit{'+', l})
		}
		return out
	}
	var rev []lineEdit
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
			rev = append(rev, lineEdit{' ', a[x]})
		}
		if d > 0 {
			if x == px {
				y--
				rev = append(rev, lineEdit{'+', b[y]})
			} else {
				x--
				rev = append(rev, lineEdit{'-', a[x]})
			}
		}
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
