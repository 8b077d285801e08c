package offline

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/genform/genform/providers"
)

// Chat replies are a short reworded echo: the prompt's key words, shuffled by the PRNG and
// title-cased, set in one of a few tagline patterns. The system message and seed take part
// in the choice, so changing either changes the reply.

// stopWords are left out of the echo.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "as": true, "at": true, "be": true, "by": true, "for": true,
	"from": true, "in": true, "into": true, "is": true, "it": true, "of": true, "on": true, "or": true,
	"that": true, "the": true, "this": true, "to": true, "with": true, "write": true, "give": true,
	"me": true, "make": true, "please": true, "short": true, "one": true, "your": true, "you": true,
}

// patterns frame the echoed words.
var patterns = []string{
	"%s.",
	"%s, reimagined.",
	"Meet %s.",
	"%s: made to last.",
	"Where %s begins.",
	"Think %s.",
	"Simply %s.",
	"%s, every day.",
}

// chat answers req.
func chat(req *providers.Request) *providers.Result {
	parts := []string{"chat", req.System, req.Prompt}
	if req.Seed != nil {
		parts = append(parts, strconv.FormatInt(*req.Seed, 10))
	}
	r := rng(seedOf(parts...), 0)
	var keys []string
	for _, w := range strings.Fields(req.Prompt) {
		w = strings.TrimFunc(w, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) })
		if w != "" && !stopWords[strings.ToLower(w)] {
			keys = append(keys, w)
		}
	}
	text := "Nothing to say."
	if len(keys) > 0 {
		r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		keys = keys[:min(len(keys), between(r, 3, 6))]
		if req.MaxTokens != nil && *req.MaxTokens > 0 && int64(len(keys)) > *req.MaxTokens {
			keys = keys[:*req.MaxTokens]
		}
		for i, k := range keys {
			keys[i] = titleCase(k)
		}
		text = fmt.Sprintf(patterns[r.IntN(len(patterns))], strings.Join(keys, " "))
	}
	in := int64(len(strings.Fields(req.System)) + len(strings.Fields(req.Prompt)))
	out := int64(len(strings.Fields(text)))
	return &providers.Result{
		Text:      text,
		MediaType: "text/plain",
		Usage:     providers.Usage{PromptTokens: in, CompletionTokens: out, TotalTokens: in + out},
	}
}

// titleCase upper-cases w's first letter and lower-cases the rest, leaving words that are
// already mixed or upper case (names, acronyms) alone.
func titleCase(w string) string {
	if w != strings.ToLower(w) {
		return w
	}
	rs := []rune(w)
	rs[0] = unicode.ToUpper(rs[0])
	return string(rs)
}
