package schema

import (
	"strings"
	"testing"
)

// A diagnostic of an expression over a sensitive variable, a number among them, or a
// credential in the environment shows neither the value nor HCL's "with var.x as ...".
func TestRedactSensitiveValues(t *testing.T) {
	c := mustLoad(t, map[string]string{"main.gen.hcl": `
variable "password" {
  default   = "hunter2"
  sensitive = true
}
variable "pin" {
  default   = 48213
  sensitive = true
}
variable "brand" {
  default = "Acme"
}
`}, LoadOptions{Env: []string{"SOME_API_KEY=sk-redact-me", "HOME_TOWN=Lyon"}})
	for _, src := range []string{
		`tonumber(var.password)`,
		`tonumber("${var.password}")`,
		`tobool(var.pin)`,
		`tonumber(env("SOME_API_KEY"))`,
		`tonumber(var.brand)`,
		`tonumber(env("HOME_TOWN"))`,
	} {
		_, diags := evalIn(t, c, src)
		if !diags.HasErrors() {
			t.Fatalf("%s: no error", src)
		}
		out := render(c, c.Redact(diags))
		for _, secret := range []string{"hunter2", "48213", "sk-redact-me"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: the diagnostic shows %s:\n%s", src, secret, out)
			}
		}
		if strings.Contains(src, "brand") && !strings.Contains(out, `"Acme"`) {
			t.Errorf("%s: a value that is not sensitive is hidden:\n%s", src, out)
		}
		if strings.Contains(src, "HOME_TOWN") && !strings.Contains(out, `"Lyon"`) {
			t.Errorf("%s: an environment variable that is not a credential is hidden:\n%s", src, out)
		}
	}
	if got := c.Redact(nil); got != nil {
		t.Errorf("Redact(nil) = %v", got)
	}
}
