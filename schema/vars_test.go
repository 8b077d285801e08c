package schema

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestVariablePrecedence(t *testing.T) {
	decl := `
variable "brand" {
  type    = string
  default = "default"
}
variable "tags" {
  type    = list(string)
  default = []
}
variable "n" {
  type    = number
  default = 1
}
`
	files := map[string]string{
		"main.gen.hcl": decl,
		"one.vars":     "brand = \"file one\"\nn = 2\n",
		"two.vars":     "brand = \"file two\"\ntags = [\"x\", \"y\"]\n",
		"vars.json":    `{"brand": "json file"}`,
	}
	env := func(kv ...string) []string { return append([]string{"PATH=/bin", "GENFORM_VAR_=nothing"}, kv...) }
	tests := []struct {
		name  string
		env   []string
		vars  []VarValue
		brand string
		tags  cty.Value
		n     int64
	}{
		{"default", env(), nil, "default", cty.ListValEmpty(cty.String), 1},
		{"environment over default", env("GENFORM_VAR_brand=env", "GENFORM_VAR_n=5"), nil, "env", cty.ListValEmpty(cty.String), 5},
		{"var-file over environment", env("GENFORM_VAR_brand=env"), []VarValue{{File: "one.vars"}}, "file one", cty.ListValEmpty(cty.String), 2},
		{"-var over var-file", env("GENFORM_VAR_brand=env"),
			[]VarValue{{Name: "brand", Value: "flag"}, {File: "one.vars"}}, "file one", cty.ListValEmpty(cty.String), 2},
		{"the last of -var and -var-file wins", env(),
			[]VarValue{{File: "one.vars"}, {Name: "brand", Value: "flag"}, {File: "two.vars"}, {Name: "n", Value: "9"}},
			"file two", cty.ListVal([]cty.Value{cty.StringVal("x"), cty.StringVal("y")}), 9},
		{"a complex type is parsed as HCL", env("GENFORM_VAR_tags=[\"a\"]"), []VarValue{{Name: "tags", Value: `["b", "c"]`}},
			"default", cty.ListVal([]cty.Value{cty.StringVal("b"), cty.StringVal("c")}), 1},
		{"a string is taken literally", env(), []VarValue{{Name: "brand", Value: `["not", "a list"]`}},
			`["not", "a list"]`, cty.ListValEmpty(cty.String), 1},
		{"json var file", env(), []VarValue{{File: "vars.json"}}, "json file", cty.ListValEmpty(cty.String), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, files, LoadOptions{Env: tt.env, Vars: tt.vars})
			mustEqual(t, "var.brand", c.Vars["brand"], cty.StringVal(tt.brand))
			mustEqual(t, "var.tags", c.Vars["tags"], tt.tags)
			mustEqual(t, "var.n", c.Vars["n"], cty.NumberIntVal(tt.n))
		})
	}
}

func TestVariableValueErrors(t *testing.T) {
	files := map[string]string{
		"main.gen.hcl": `
variable "n" {
  type = number
}
variable "tags" {
  type    = list(string)
  default = []
}
`,
		"bad.vars":     "n = \"many\"\n",
		"extra.vars":   "n = 1\nbrnd = \"x\"\n",
		"syntax.vars":  "n = = 1\n",
		"noexist.vars": "",
	}
	tests := []struct {
		name     string
		env      []string
		vars     []VarValue
		severity string // "error" or "warning"
		summary  string
		detail   string
	}{
		{"missing value", nil, nil, "error", "No value for required variable", "GENFORM_VAR_n"},
		{"undeclared -var", nil, []VarValue{{Name: "n", Value: "1"}, {Name: "tag", Value: "x"}}, "error",
			"Value for undeclared variable", `Did you mean "tags"?`},
		{"undeclared in a var file is a warning", nil, []VarValue{{File: "extra.vars"}}, "warning",
			"Value for undeclared variable", "ignored"},
		{"undeclared in the environment is ignored", []string{"GENFORM_VAR_other=1", "GENFORM_VAR_n=1"}, nil, "", "", ""},
		{"wrong type from -var", nil, []VarValue{{Name: "n", Value: "many"}}, "error", "Invalid value for variable", "-var n"},
		{"wrong type from the environment", []string{"GENFORM_VAR_n=x"}, nil, "error", "Invalid value for variable", "GENFORM_VAR_n"},
		{"wrong type from a var file", nil, []VarValue{{File: "bad.vars"}}, "error", "Invalid value for variable", "number"},
		{"bad HCL for a list", nil, []VarValue{{Name: "n", Value: "1"}, {Name: "tags", Value: "[a"}}, "error", "", ""},
		{"var file syntax error", nil, []VarValue{{File: "syntax.vars"}}, "error", "Invalid expression", ""},
		{"missing var file", nil, []VarValue{{File: "nope.vars"}, {Name: "n", Value: "1"}}, "error", "Cannot read file", "nope.vars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := Load(writeTree(t, files), LoadOptions{Env: tt.env, Vars: tt.vars})
			if tt.severity == "" {
				if len(diags) != 0 {
					t.Fatalf("diags: %s", render(c, diags))
				}
				return
			}
			if len(diags) == 0 {
				t.Fatal("no diagnostics")
			}
			d := diags[0]
			if (tt.severity == "error") != diags.HasErrors() || (tt.summary != "" && d.Summary != tt.summary) ||
				!strings.Contains(d.Detail, tt.detail) {
				t.Errorf("diags: %s", render(c, diags))
			}
		})
	}
}
