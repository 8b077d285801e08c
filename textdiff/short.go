package textdiff

import "strings"

// Short is a word-level diff of two prompts, as lines: the changed stretch of words with a
// little context on each side, "- before" then "+ after". Multi-line text is compared by line.
func Short(before, after string) []string {
	if strings.Contains(before+after, "\n") {
		return Changed(strings.Split(before, "\n"), strings.Split(after, "\n"))
	}
	b, a := strings.Fields(before), strings.Fields(after)
	pre, suf := common(b, a)
	const ctx = 4
	from := max(0, pre-ctx)
	clip := func(words []string) string {
		end := min(len(words), len(words)-suf+ctx)
		s := strings.Join(words[from:end], " ")
		if from > 0 {
			s = "…" + s
		}
		if end < len(words) {
			s += "…"
		}
		return s
	}
	return []string{"- " + clip(b), "+ " + clip(a)}
}

// Changed shows the changed lines of two texts with one line of context, from the same
// bounded line diff as Unified (an LCS table would grow with the product of the lengths).
func Changed(b, a []string) []string {
	edits := Lines(b, a)
	var out []string
	for k, e := range edits {
		near := e.Op != ' ' || (k > 0 && edits[k-1].Op != ' ') || (k+1 < len(edits) && edits[k+1].Op != ' ')
		if near {
			out = append(out, string(e.Op)+" "+e.Line)
		}
	}
	return out
}

// common counts the words two texts share at their start, and then at their end.
func common(b, a []string) (pre, suf int) {
	for pre < len(b) && pre < len(a) && b[pre] == a[pre] {
		pre++
	}
	for suf < len(b)-pre && suf < len(a)-pre && b[len(b)-1-suf] == a[len(a)-1-suf] {
		suf++
	}
	return pre, suf
}
