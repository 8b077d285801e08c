package view

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// renderListDiff shows a changed list of objects (a video's shots) element by element: the
// fields that changed in each, and the elements added or removed, instead of one long line.
func renderListDiff(w io.Writer, name string, before, after []any, pal palette) {
	fmt.Fprintf(w, "      %s~%s %s:\n", pal.yellow, pal.reset, name)
	for i := 0; i < max(len(before), len(after)); i++ {
		label := elementLabel(name, i)
		switch {
		case i >= len(before):
			fmt.Fprintf(w, "          %s+%s %s = %s\n", pal.green, pal.reset, label, objectText(after[i]))
		case i >= len(after):
			fmt.Fprintf(w, "          %s-%s %s = %s\n", pal.red, pal.reset, label, objectText(before[i]))
		case ValueText(before[i]) == ValueText(after[i]):
		default:
			bm, bok := before[i].(map[string]any)
			am, aok := after[i].(map[string]any)
			if !bok || !aok {
				fmt.Fprintf(w, "          %s~%s %s = %s -> %s\n", pal.yellow, pal.reset, label, ValueText(before[i]), ValueText(after[i]))
				continue
			}
			for _, k := range unionKeys(bm, am) {
				b, a := bm[k], am[k]
				if ValueText(b) == ValueText(a) {
					continue
				}
				fmt.Fprintf(w, "          %s~%s %s: %s = %s -> %s\n", pal.yellow, pal.reset, label, k, ValueText(b), ValueText(a))
			}
		}
	}
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
