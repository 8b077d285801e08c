package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// functionProject is a project folder with files to read, and symlinks that stay inside and
// that leave it.
func functionProject(t *testing.T) string {
	t.Helper()
	outside := writeTree(t, map[string]string{"secret.txt": "secret", "dir/s.txt": "secret"})
	dir := writeTree(t, map[string]string{
		"main.gen.hcl":     `variable "who" { default = "world" }`,
		"prompts/hello.md": "Hello ${name}! ${upper(file(\"data/x.txt\"))}",
		"prompts/list.md":  "%{ for s in styles }- ${s}\n%{ endfor }",
		"prompts/bad.md":   "Hello ${",
		"prompts/rec.md":   `${templatefile("prompts/hello.md", {name = "x"})}`,
		"data/x.txt":       "x",
		"data/sub/y.txt":   "y",
		"data/sub/z.md":    "z",
		"data/bin":         "\xff\xfe",
	})
	for link, target := range map[string]string{
		"inside.txt":    filepath.Join(dir, "data/x.txt"),
		"outside.txt":   filepath.Join(outside, "secret.txt"),
		"outdir":        filepath.Join(outside, "dir"),
		"data/leak.txt": filepath.Join(outside, "secret.txt"),
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Skipf("symlinks: %v", err)
		}
	}
	return dir
}

func TestFunctions(t *testing.T) {
	dir := functionProject(t)
	c, diags := Load(dir, LoadOptions{Env: []string{"HOME=/home/me", "EMPTY="}})
	if diags.HasErrors() {
		t.Fatal(render(c, diags))
	}
	sum := sha256.Sum256([]byte("x"))
	xsum := hex.EncodeToString(sum[:])
	strs := func(ss ...string) cty.Value {
		vals := make([]cty.Value, len(ss))
		for i, s := range ss {
			vals[i] = cty.StringVal(s)
		}
		return cty.ListVal(vals)
	}
	set := func(ss ...string) cty.Value {
		vals := make([]cty.Value, len(ss))
		for i, s := range ss {
			vals[i] = cty.StringVal(s)
		}
		return cty.SetVal(vals)
	}
	tests := []struct {
		expr string
		want cty.Value
		err  string // part of the error, when the call must fail
	}{
		// strings
		{expr: `format("%s-%03d", "a", 7)`, want: cty.StringVal("a-007")},
		{expr: `formatlist("%s!", ["a", "b"])`, want: strs("a!", "b!")},
		{expr: `join(", ", split(",", "a,b"))`, want: cty.StringVal("a, b")},
		{expr: `"${lower("AB")}${upper("cd")}${title("ef gh")}"`, want: cty.StringVal("abCDEf Gh")},
		{expr: `replace("a b c", " ", "-")`, want: cty.StringVal("a-b-c")},
		{expr: `replace("a1b22c", "/[0-9]+/", "#")`, want: cty.StringVal("a#b#c")},
		{expr: `regex("([a-z]+)-([0-9]+)", "ab-12")`, want: cty.TupleVal([]cty.Value{cty.StringVal("ab"), cty.StringVal("12")})},
		{expr: `length(regexall("[0-9]", "a1b2"))`, want: cty.NumberIntVal(2)},
		{expr: `substr("hello", 1, 3)`, want: cty.StringVal("ell")},
		{expr: `[trim("xxaxx", "x"), trimprefix("ab", "a"), trimsuffix("ab", "b"), trimspace(" a "), chomp("a\n")]`,
			want: cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b"), cty.StringVal("a"), cty.StringVal("a"), cty.StringVal("a")})},
		{expr: `indent(2, "a\nb")`, want: cty.StringVal("a\n  b")},
		// collections
		{expr: `[length("héllo"), length([1, 2]), length({a = 1}), length(toset(["a"]))]`,
			want: cty.TupleVal([]cty.Value{cty.NumberIntVal(5), cty.NumberIntVal(2), cty.NumberIntVal(1), cty.NumberIntVal(1)})},
		{expr: `concat(["a"], ["b"])`, want: strs("a", "b")},
		{expr: `contains(["a", "b"], "b")`, want: cty.True},
		{expr: `distinct(["a", "b", "a"])`, want: strs("a", "b")},
		{expr: `element(["a", "b"], 3)`, want: cty.StringVal("b")},
		{expr: `flatten([["a"], ["b", ["c"]]])`, want: cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b"), cty.StringVal("c")})},
		{expr: `keys({b = 1, a = 2})`, want: strs("a", "b")},
		{expr: `values({b = "1", a = "2"})`, want: strs("2", "1")},
		{expr: `lookup({a = "x"}, "b", "d")`, want: cty.StringVal("d")},
		{expr: `merge({a = "x"}, {b = "y"})`, want: cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x"), "b": cty.StringVal("y")})},
		{expr: `range(3)`, want: cty.ListVal([]cty.Value{cty.NumberIntVal(0), cty.NumberIntVal(1), cty.NumberIntVal(2)})},
		{expr: `reverse(["a", "b"])`, want: strs("b", "a")},
		{expr: `slice(["a", "b", "c"], 1, 3)`, want: strs("b", "c")},
		{expr: `sort(["b", "a"])`, want: strs("a", "b")},
		{expr: `setunion(toset(["a"]), toset(["b"]))`, want: set("a", "b")},
		{expr: `length(setproduct(["a", "b"], ["c", "d"]))`, want: cty.NumberIntVal(4)},
		{expr: `zipmap(["a"], ["x"])`, want: cty.MapVal(map[string]cty.Value{"a": cty.StringVal("x")})},
		{expr: `coalesce("", "b")`, want: cty.StringVal("b")},
		{expr: `coalesce(null, 2)`, want: cty.NumberIntVal(2)},
		{expr: `coalesce("", null)`, err: "no non-null"},
		{expr: `compact(["a", "", "b"])`, want: strs("a", "b")},
		// numbers
		{expr: `[min(3, 1), max(3, 1), abs(-2), ceil(1.2), floor(1.8)]`,
			want: cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(3), cty.NumberIntVal(2), cty.NumberIntVal(2), cty.NumberIntVal(1)})},
		// encoding and conversion
		{expr: `jsonencode({a = [1, "b"]})`, want: cty.StringVal(`{"a":[1,"b"]}`)},
		{expr: `jsondecode("{\"a\": 1}").a`, want: cty.NumberIntVal(1)},
		{expr: `csvdecode("a,b\n1,2\n")[0].b`, want: cty.StringVal("2")},
		{expr: `[tostring(1), tonumber("2"), tobool("true")]`, want: cty.TupleVal([]cty.Value{cty.StringVal("1"), cty.NumberIntVal(2), cty.True})},
		{expr: `tolist(toset(["a"]))`, want: strs("a")},
		{expr: `tomap({a = "b"})`, want: cty.MapVal(map[string]cty.Value{"a": cty.StringVal("b")})},
		{expr: `try(tonumber("x"), 5)`, want: cty.NumberIntVal(5)},
		{expr: `[can(tonumber("x")), can(tonumber("1"))]`, want: cty.TupleVal([]cty.Value{cty.False, cty.True})},
		{expr: `sha256("x")`, want: cty.StringVal(xsum)},
		{expr: `base64decode(base64encode("héllo"))`, want: cty.StringVal("héllo")},
		{expr: `base64decode("!!")`, err: "not valid base64"},
		{expr: `[basename("a/b/c.png"), dirname("a/b/c.png")]`, want: cty.TupleVal([]cty.Value{cty.StringVal("c.png"), cty.StringVal("a/b")})},
		{expr: `[env("HOME"), env("EMPTY"), env("UNSET")]`, want: cty.TupleVal([]cty.Value{cty.StringVal("/home/me"), cty.StringVal(""), cty.StringVal("")})},
		{expr: `"${path.root}/${var.who}"`, want: cty.StringVal("./world")},
		// file functions
		{expr: `file("data/x.txt")`, want: cty.StringVal("x")},
		{expr: `file("./data/sub/../x.txt")`, want: cty.StringVal("x")},
		{expr: `file("inside.txt")`, want: cty.StringVal("x")},
		{expr: `file("data/nope.txt")`, err: `no file exists at "data/nope.txt"`},
		{expr: `file("data")`, err: "is a folder"},
		{expr: `file("data/bin")`, err: "not valid UTF-8"},
		{expr: `filesha256("data/x.txt")`, want: cty.StringVal(xsum)},
		{expr: `filesha256("data/bin")`, want: cty.StringVal(sha256hex("\xff\xfe"))},
		{expr: `[fileexists("data/x.txt"), fileexists("data/none")]`, want: cty.TupleVal([]cty.Value{cty.True, cty.False})},
		{expr: `fileexists("data")`, err: "not a regular file"},
		// data/leak.txt leads outside the project: it is left out.
		{expr: `fileset("data", "**/*.txt")`, want: set("sub/y.txt", "x.txt")},
		{expr: `fileset(".", "data/sub/*")`, want: set("data/sub/y.txt", "data/sub/z.md")},
		{expr: `fileset("data", "*.none")`, want: cty.SetValEmpty(cty.String)},
		{expr: `fileset("data", "[")`, err: "invalid pattern"},
		{expr: `templatefile("prompts/hello.md", { name = var.who })`, want: cty.StringVal("Hello world! X")},
		{expr: `templatefile("prompts/list.md", { styles = ["a", "b"] })`, want: cty.StringVal("- a\n- b\n")},
		{expr: `templatefile("prompts/hello.md", {})`, err: `uses "name"`},
		{expr: `templatefile("prompts/hello.md", "x")`, err: "map or object"},
		{expr: `templatefile("prompts/bad.md", {})`, err: "prompts/bad.md:1"},
		{expr: `templatefile("prompts/rec.md", {})`, err: "templatefile"},
		// the file functions stay inside the project folder
		{expr: `file("../x")`, err: "leaves the project folder"},
		{expr: `file("data/../../x")`, err: "leaves the project folder"},
		{expr: `file("/etc/passwd")`, err: "is absolute"},
		{expr: `file("outside.txt")`, err: "symlink that leaves the project folder"},
		{expr: `file("data/leak.txt")`, err: "symlink that leaves the project folder"},
		{expr: `file("outdir/s.txt")`, err: "symlink that leaves the project folder"},
		{expr: `filesha256("../x")`, err: "leaves the project folder"},
		{expr: `fileexists("/etc/passwd")`, err: "is absolute"},
		{expr: `fileexists("outside.txt")`, err: "symlink"},
		{expr: `templatefile("../t.md", {})`, err: "leaves the project folder"},
		{expr: `fileset("..", "*")`, err: "leaves the project folder"},
		{expr: `fileset("outdir", "*")`, err: "symlink"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, diags := evalIn(t, c, tt.expr)
			if tt.err != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.err) {
					t.Fatalf("got %#v, %v; want an error with %q", got, diags, tt.err)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			// Functions may give a tuple where a list is wanted: compare the values.
			if conv, err := convert.Convert(got, tt.want.Type()); err == nil {
				got = conv
			}
			mustEqual(t, tt.expr, got, tt.want)
		})
	}
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestFunctionNames(t *testing.T) {
	names := FunctionNames()
	for _, want := range []string{"format", "replace", "try", "can", "file", "fileset", "templatefile", "env", "base64decode"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("FunctionNames lacks %q", want)
		}
	}
}
