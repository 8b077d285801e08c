package textdiff

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a stretch of a prompt diff: kept text, or text the change deletes or inserts.
type Span struct {
	Text     string
	Del, Ins bool
}

// maxDiffCells bounds the word diff's table (the words of the changed middles multiplied):
// past it the whole changed middle shows as deleted and inserted.
const maxDiffCells = 1 << 20

// Words marks what changed between two prompts, word by word: the longest common
// subsequence of their words, with spaces and punctuation as words of their own. A deleted
// and an inserted stretch separated only by spaces are shown as one deletion then one
// insertion, which reads better than alternating fragments.
func Words(before, after string) []Span {
	b, a := diffTokens(before), diffTokens(after)
	pre, suf := common(b, a)
	var w diffWriter
	w.keep(strings.Join(b[:pre], ""))
	w.middle(b[pre:len(b)-suf], a[pre:len(a)-suf])
	w.keep(strings.Join(b[len(b)-suf:], ""))
	w.flush()
	return w.out
}

// diffTokens splits text into runs of letters and digits, runs of white space, and single
// other characters.
func diffTokens(s string) []string {
	var out []string
	class := func(r rune) int {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_':
			return 1
		case unicode.IsSpace(r):
			return 2
		}
		return 0
	}
	start := 0
	for i, r := range s {
		if i > start {
			prev, _ := utf8.DecodeLastRuneInString(s[:i])
			if c := class(r); c == 0 || c != class(prev) {
				out = append(out, s[start:i])
				start = i
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// diffWriter collects spans, holding a pending change until kept text ends it.
type diffWriter struct {
	out      []Span
	del, ins strings.Builder
	space    string // white space kept between two changes, not yet written
}

func (w *diffWriter) keep(s string) {
	if s == "" {
		return
	}
	if w.del.Len()+w.ins.Len() > 0 && strings.TrimSpace(s) == "" && w.space == "" {
		w.space = s // perhaps between two changes: decided by what comes next
		return
	}
	w.flush()
	w.add(Span{Text: s})
}

func (w *diffWriter) change(del, ins string) {
	if w.space != "" {
		w.del.WriteString(w.space)
		w.ins.WriteString(w.space)
		w.space = ""
	}
	w.del.WriteString(del)
	w.ins.WriteString(ins)
}

func (w *diffWriter) flush() {
	if w.del.Len() > 0 {
		w.add(Span{Text: w.del.String(), Del: true})
	}
	if w.ins.Len() > 0 {
		w.add(Span{Text: w.ins.String(), Ins: true})
	}
	w.del.Reset()
	w.ins.Reset()
	if s := w.space; s != "" {
		w.space = ""
		w.add(Span{Text: s})
	}
}

func (w *diffWriter) add(s Span) {
	if n := len(w.out); n > 0 && w.out[n-1].Del == s.Del && w.out[n-1].Ins == s.Ins {
		w.out[n-1].Text += s.Text
		return
	}
	w.out = append(w.out, s)
}

// middle diffs the changed middles by longest common subsequence.
func (w *diffWriter) middle(b, a []string) {
	n, m := len(b), len(a)
	if n == 0 || m == 0 || n*m > maxDiffCells {
		w.change(strings.Join(b, ""), strings.Join(a, ""))
		return
	}
	// lcs[i*(m+1)+j] is the common subsequence length of b[i:] and a[j:].
	lcs := make([]int32, (n+1)*(m+1))
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if b[i] == a[j] {
				lcs[i*(m+1)+j] = lcs[(i+1)*(m+1)+j+1] + 1
			} else {
				lcs[i*(m+1)+j] = max(lcs[(i+1)*(m+1)+j], lcs[i*(m+1)+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && b[i] == a[j]:
			w.keep(b[i])
			i++
			j++
		case j < m && (i == n || lcs[i*(m+1)+j+1] >= lcs[(i+1)*(m+1)+j]):
			w.change("", a[j])
			j++
		default:
			w.change(b[i], "")
			i++
		}
	}
}
