// Package textdiff holds genform's text diffs: a bounded line diff (Myers' algorithm) and
// the unified diff fmt -diff prints, the short before/after lines a plan shows for a changed
// prompt, and the word diff the gallery marks up. Every diff here is bounded: past a limit
// it reports "all of it changed", which is still correct, never slow or huge.
//
// It imports nothing of genform; what to diff and how to show it is left to the callers.
package textdiff
