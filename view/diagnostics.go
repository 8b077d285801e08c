package view

// This file renders diagnostics, for every command: as text with source snippets, or as JSON.

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"
)

// Diagnostics writes diagnostics to stderr, with file, line, column and a source snippet from
// files (which may be nil when nothing was parsed), and tells whether any of them was an error.
func (v *View) Diagnostics(d hcl.Diagnostics, files map[string]*hcl.File) bool {
	if len(d) == 0 {
		return false
	}
	var warnings hcl.Diagnostics
	if v.compact {
		d, warnings = splitWarnings(d)
	}
	wr := hcl.NewDiagnosticTextWriter(v.Stderr, files, terminalWidth(v.Stderr), useColor(v.Stderr) && !v.noColor)
	_ = wr.WriteDiagnostics(d) // a failed write to stderr has nowhere to be reported
	if len(warnings) > 0 {
		fmt.Fprintf(v.Stderr, "Warnings: %d\n", len(warnings))
		for _, w := range warnings {
			where := ""
			if w.Subject != nil {
				where = fmt.Sprintf(" (%s:%d)", w.Subject.Filename, w.Subject.Start.Line)
			}
			fmt.Fprintf(v.Stderr, "  - %s%s\n", w.Summary, where)
		}
		fmt.Fprintln(v.Stderr)
	}
	return d.HasErrors()
}

// splitWarnings separates the warnings (shown one line each with -compact-warnings).
func splitWarnings(d hcl.Diagnostics) (errs, warnings hcl.Diagnostics) {
	for _, x := range d {
		if x.Severity == hcl.DiagWarning {
			warnings = append(warnings, x)
		} else {
			errs = append(errs, x)
		}
	}
	return errs, warnings
}

// IsTerminal tells whether v (a reader or writer) is a terminal.
func IsTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// useColor tells whether output to w may use colour: only on a terminal, and never when
// NO_COLOR is set (https://no-color.org) or the terminal is dumb.
func useColor(w any) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set || os.Getenv("TERM") == "dumb" {
		return false
	}
	return IsTerminal(w)
}

// terminalWidth is the width of the terminal w is, or 0 (no wrapping) when it is not one.
func terminalWidth(w any) uint {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		return 0
	}
	return uint(width)
}

// DiagnosticJSON is one diagnostic in -json output.
type DiagnosticJSON struct {
	Severity string     `json:"severity"` // "error" or "warning"
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail"`
	Range    *rangeJSON `json:"range"` // null when the diagnostic has no source location
}

type rangeJSON struct {
	Filename string  `json:"filename"`
	Start    posJSON `json:"start"`
	End      posJSON `json:"end"`
}

type posJSON struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// DiagnosticsJSON converts diagnostics for -json output; it never returns nil, so an empty
// list encodes as [].
func DiagnosticsJSON(d hcl.Diagnostics) []DiagnosticJSON {
	out := make([]DiagnosticJSON, 0, len(d))
	for _, diag := range d {
		j := DiagnosticJSON{Severity: "error", Summary: diag.Summary, Detail: diag.Detail}
		if diag.Severity == hcl.DiagWarning {
			j.Severity = "warning"
		}
		if r := diag.Subject; r != nil {
			j.Range = &rangeJSON{
				Filename: r.Filename,
				Start:    posJSON{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:      posJSON{r.End.Line, r.End.Column, r.End.Byte},
			}
		}
		out = append(out, j)
	}
	return out
}

// CountDiags counts errors and warnings.
func CountDiags(d hcl.Diagnostics) (errors, warnings int) {
	for _, diag := range d {
		if diag.Severity == hcl.DiagWarning {
			warnings++
		} else {
			errors++
		}
	}
	return errors, warnings
}
