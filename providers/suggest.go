package providers

import "github.com/genform/genform/textdiff"

// Suggest returns the allowed value the user most likely meant by value, or "" when none is
// close (textdiff.Nearest, genform's one "did you mean").
func Suggest(value string, allowed []string) string { return textdiff.Nearest(value, allowed) }
