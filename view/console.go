package view

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// HCLValue renders a value as HCL, the way terraform console does: strings quoted,
// collections and objects in HCL syntax, and what is not known yet as (known after apply).
func HCLValue(v cty.Value) string {
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		if !v.IsKnown() {
			return "(known after apply)"
		}
		v = cty.UnknownAsNull(v)
		return strings.TrimSpace(string(hclwrite.Format(hclwrite.TokensForValue(v).Bytes()))) + " # parts are known only after apply (shown as null)"
	}
	if v.Type() == cty.String && strings.Contains(v.AsString(), "\n") {
		return "<<EOT\n" + v.AsString() + "\nEOT"
	}
	return strings.TrimSpace(string(hclwrite.Format(hclwrite.TokensForValue(v).Bytes())))
}
