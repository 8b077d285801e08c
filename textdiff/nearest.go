package textdiff

import (
	"strings"

	"github.com/agext/levenshtein"
)

// Nearest is genform's one "did you mean": the option the user most likely meant by value,
// or "" when none is close. First a case-insensitive match ("4k" -> "4K"), then the nearest
// by edit distance when it is at most half the value's length in edits (at least 1, at most
// 3).
func Nearest(value string, options []string) string {
	if value == "" {
		return ""
	}
	for _, o := range options {
		if strings.EqualFold(o, value) {
			return o
		}
	}
	limit := min(max(len(value)/2, 1), 3)
	best, bestDist := "", limit+1
	for _, o := range options {
		if d := levenshtein.Distance(strings.ToLower(value), strings.ToLower(o), nil); d < bestDist {
			best, bestDist = o, d
		}
	}
	return best
}
