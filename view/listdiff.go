package view

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// ListChange is one line of a list diff: Op is '+' (an element added), '-' (removed) or '~'
// (a field of an element changed), and Text says it: `shot 2: scene = "a" -> "b"`.
type ListChange struct {
	Op   byte
	Text string
}

// ListDiff compares two lists of objects (a video's shots) element by element: the fields
// that changed in each, and the elements added or removed, instead of one long line.
func ListDiff(name string, before, after []any) []ListChange {
	var out []ListChange
	for i := 0; i < max(len(before), len(after)); i++ {
		label := elementLabel(name, i)
		switch {
		case i >= len(before):
			out = append(out, ListChange{'+', label + " = " + objectText(after[i])})
		case i >= len(after):
			out = append(out, ListChange{'-', label + " = " + objectText(before[i])})
		case ValueText(before[i]) == ValueText(after[i]):
		default:
			bm, bok := before[i].(map[string]any)
			am, aok := after[i].(map[string]any)
			if !bok || !aok {
				out = append(out, ListChange{'~', fmt.Sprintf("%s = %s -> %s", label, ValueText(before[i]), ValueText(after[i]))})
				continue
			}
			for _, k := range unionKeys(bm, am) {
				if b, a := bm[k], am[k]; ValueText(b) != ValueText(a) {
					out = append(out, ListChange{'~', fmt.Sprintf("%s: %s = %s -> %s", label, k, ValueText(b), ValueText(a))})
				}
			}
		}
	}
	return out
}

// IsObjectList reports whether v is a list holding objects (a video's shots), which ListDiff
// compares element by element.
func IsObjectList(v any) bool {
	l, ok := v.([]any)
	return ok && isObjectList(l)
}

// renderListDiff shows ListDiff in the plan's text.
func renderListDiff(w io.Writer, name string, before, after []any, pal palette) {
	fmt.Fprintf(w, "      %s~%s %s:\n", pal.yellow, pal.reset, name)
	for _, c := range ListDiff(name, before, after) {
		col := map[byte]string{'+': pal.green, '-': pal.red, '~': pal.yellow}[c.Op]
		fmt.Fprintf(w, "          %s%c%s %s\n", col, c.Op, pal.reset, c.Text)
	}
}

// ShotsText renders a storyboard as lines a person reads: `shot 1 (4s): The logo fades in.`
func ShotsText(shots any) string {
	l, ok := shots.([]any)
	if !ok {
		return ""
	}
	lines := make([]string, 0, len(l))
	for i, e := range l {
		m, _ := e.(map[string]any)
		scene, _ := m["scene"].(string)
		line := elementLabel("shots", i)
		if d, ok := m["duration"]; ok && d != nil {
			line += fmt.Sprintf(" (%vs)", d)
		}
		lines = append(lines, line+": "+scene)
	}
	return strings.Join(lines, "\n")
}

// elementLabel names element i of a list the way a user counts: "shot 2" for shots.
func elementLabel(list string, i int) string {
	if list == "shots" {
		return fmt.Sprintf("shot %d", i+1)
	}
	return fmt.Sprintf("%s[%d]", list, i)
}

// objectText renders an object as `{duration = 4, scene = "..."}`.
func objectText(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ValueText(v)
	}
	keys := unionKeys(m, nil)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " = " + ValueText(m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func unionKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func isObjectList(l []any) bool {
	for _, e := range l {
		if _, ok := e.(map[string]any); ok {
			return true
		}
	}
	return false
}
