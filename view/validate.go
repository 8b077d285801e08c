package view

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Validate shows the result of genform validate: diagnostics and a verdict as text, or one
// JSON document.
type Validate interface {
	// Result shows the diagnostics of a validation and returns the exit code.
	Result(d hcl.Diagnostics, files map[string]*hcl.File) int
}

// NewValidate is the validate view a command chose.
func NewValidate(v *View, asJSON bool) Validate {
	if asJSON {
		return validateJSON{v}
	}
	return validateText{v}
}

type validateText struct{ v *View }

func (x validateText) Result(d hcl.Diagnostics, files map[string]*hcl.File) int {
	if x.v.Diagnostics(d, files) {
		return 1
	}
	fmt.Fprintln(x.v.Stdout, "The configuration is valid.")
	return 0
}

// validateDoc is the -json output of validate.
type validateDoc struct {
	Valid        bool             `json:"valid"`
	ErrorCount   int              `json:"error_count"`
	WarningCount int              `json:"warning_count"`
	Diagnostics  []DiagnosticJSON `json:"diagnostics"`
}

type validateJSON struct{ v *View }

func (x validateJSON) Result(d hcl.Diagnostics, _ map[string]*hcl.File) int {
	errs, warns := CountDiags(d)
	enc := json.NewEncoder(x.v.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(validateDoc{
		Valid: errs == 0, ErrorCount: errs, WarningCount: warns, Diagnostics: DiagnosticsJSON(d),
	}); err != nil {
		x.v.Error(err)
		return 1
	}
	if errs > 0 {
		return 1
	}
	return 0
}
