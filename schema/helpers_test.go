package schema

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

var testTypes = []string{"offline", "wisdomgate"}

// writeTree writes files (slash-separated names) under a new temporary folder.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// mustLoad loads files and fails the test on any error diagnostic.
func mustLoad(t testing.TB, files map[string]string, opts LoadOptions) *Config {
	t.Helper()
	if opts.ProviderTypes == nil {
		opts.ProviderTypes = testTypes
	}
	c, diags := Load(writeTree(t, files), opts)
	if diags.HasErrors() {
		t.Fatalf("Load: %s", render(c, diags))
	}
	return c
}

// render shows diagnostics as the CLI would.
func render(c *Config, diags hcl.Diagnostics) string {
	var buf bytes.Buffer
	var files map[string]*hcl.File
	if c != nil {
		files = c.Files
	}
	hcl.NewDiagnosticTextWriter(&buf, files, 100, false).WriteDiagnostics(diags)
	return buf.String()
}

// evalIn evaluates an expression in the configuration's base context (var, local, path and
// every function).
func evalIn(t testing.TB, c *Config, src string) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %s: %s", src, diags.Error())
	}
	return expr.Value(c.base)
}

// singleAsset returns the assets map Eval wants for one block value.
func singleAsset(kind, name string, v cty.Value) map[string]map[string]cty.Value {
	return map[string]map[string]cty.Value{kind: {name: v}}
}

// instanceVal builds an instance value of kind with the given attributes, the rest empty.
func instanceVal(kind string, attrs map[string]cty.Value) cty.Value {
	vals := map[string]cty.Value{}
	for name, ty := range InstanceType(kind).AttributeTypes() {
		if v, ok := attrs[name]; ok {
			vals[name] = v
		} else {
			vals[name] = cty.NullVal(ty)
		}
	}
	return cty.ObjectVal(vals)
}

func mustEqual(t testing.TB, what string, got, want cty.Value) {
	t.Helper()
	if !got.RawEquals(want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}
