package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// View is where a command writes: stdout for what it was asked for, stderr for errors,
// warnings and diagnostics. Every "Error:" line genform prints goes through Errorf.
type View struct {
	Stdout, Stderr io.Writer
	color          bool // stdout may use colour
	noColor        bool // -no-color: never use colour, on stderr either
	compact        bool // -compact-warnings: a warning is one line
}

// SetOptions applies the flags every command takes: -no-color and -compact-warnings.
func (v *View) SetOptions(noColor, compactWarnings bool) {
	v.noColor, v.compact = noColor, compactWarnings
	if noColor {
		v.color = false
	}
}

// New is the view of a command writing to stdout and stderr; colour is used on a terminal
// without NO_COLOR.
func New(stdout, stderr io.Writer) *View {
	return &View{Stdout: stdout, Stderr: stderr, color: useColor(stdout)}
}

// Errorf prints one error: "Error: " and the message, on stderr.
func (v *View) Errorf(format string, args ...any) {
	fmt.Fprintf(v.Stderr, "Error: "+format+"\n", args...)
}

// Error prints err as an error.
func (v *View) Error(err error) { v.Errorf("%v", err) }

// Warnf prints one warning on stderr.
func (v *View) Warnf(format string, args ...any) {
	fmt.Fprintf(v.Stderr, "Warning: "+format+"\n", args...)
}

// JSON writes v as indented JSON on stdout, keeping <, > and & as they are.
func (v *View) JSON(x any) {
	if err := jsonEncoder(v.Stdout).Encode(x); err != nil {
		v.Errorf("writing JSON: %v", err)
	}
}

// JSONLine writes x as one line of JSON: the streams of apply -json.
func (v *View) JSONLine(x any) {
	enc := json.NewEncoder(v.Stdout)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(x)
}

// jsonEncoder writes indented JSON that keeps <, > and & as they are.
func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc
}

// JSONText is x as indented JSON, without the final newline.
func JSONText(x any) string {
	var b strings.Builder
	_ = jsonEncoder(&b).Encode(x)
	return strings.TrimRight(b.String(), "\n")
}
