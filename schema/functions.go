package schema

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// pureFuncs are the functions that read nothing but their arguments, under Terraform's
// names. The map is shared and never changed.
var pureFuncs = sync.OnceValue(func() map[string]function.Function {
	return map[string]function.Function{
		// strings
		"format":     stdlib.FormatFunc,
		"formatlist": stdlib.FormatListFunc,
		"join":       stdlib.JoinFunc,
		"split":      stdlib.SplitFunc,
		"lower":      stdlib.LowerFunc,
		"upper":      stdlib.UpperFunc,
		"title":      stdlib.TitleFunc,
		"replace":    replaceFunc,
		"regex":      stdlib.RegexFunc,
		"regexall":   stdlib.RegexAllFunc,
		"substr":     stdlib.SubstrFunc,
		"trim":       stdlib.TrimFunc,
		"trimprefix": stdlib.TrimPrefixFunc,
		"trimsuffix": stdlib.TrimSuffixFunc,
		"trimspace":  stdlib.TrimSpaceFunc,
		"chomp":      stdlib.ChompFunc,
		"indent":     stdlib.IndentFunc,
		"strrev":     stdlib.ReverseFunc,
		// collections
		"length":          lengthFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"keys":            stdlib.KeysFunc,
		"values":          stdlib.ValuesFunc,
		"lookup":          stdlib.LookupFunc,
		"merge":           stdlib.MergeFunc,
		"range":           stdlib.RangeFunc,
		"reverse":         stdlib.ReverseListFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"setunion":        stdlib.SetUnionFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setproduct":      stdlib.SetProductFunc,
		"zipmap":          stdlib.ZipmapFunc,
		"coalesce":        coalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"index":           stdlib.IndexFunc,
		// numbers
		"min":      stdlib.MinFunc,
		"max":      stdlib.MaxFunc,
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"pow":      stdlib.PowFunc,
		"signum":   stdlib.SignumFunc,
		"parseint": stdlib.ParseIntFunc,
		// encoding
		"jsonencode":   stdlib.JSONEncodeFunc,
		"jsondecode":   stdlib.JSONDecodeFunc,
		"csvdecode":    stdlib.CSVDecodeFunc,
		"base64encode": base64EncodeFunc,
		"base64decode": base64DecodeFunc,
		"sha256":       sha256Func,
		// type conversion
		"tostring": stdlib.MakeToFunc(cty.String),
		"tonumber": stdlib.MakeToFunc(cty.Number),
		"tobool":   stdlib.MakeToFunc(cty.Bool),
		"tolist":   fastCollection(false, stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType))),
		"toset":    fastCollection(true, stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType))),
		"tomap":    stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"try":      tryfunc.TryFunc,
		"can":      tryfunc.CanFunc,
		// paths
		"basename": pathFunc(filepath.Base),
		"dirname":  pathFunc(filepath.Dir),
	}
})

// FunctionNames lists every function an expression may call, sorted.
func FunctionNames() []string {
	names := slices.Sorted(maps.Keys(pureFuncs()))
	for _, n := range []string{"env", "file", "fileexists", "fileset", "filesha256", "templatefile"} {
		names = append(names, n)
	}
	return slices.Sorted(maps.Keys(setOf(names)))
}

func setOf(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// functions returns every function, with the file functions recording into rec (nil: not
// recorded). Without withTemplate, templatefile is left out (templates cannot call it).
func (c *Config) functions(rec *recorder, withTemplate bool) map[string]function.Function {
	pure := pureFuncs()
	out := make(map[string]function.Function, len(pure)+8)
	for k, f := range pure {
		out[k] = f
	}
	out["env"] = c.envFunc()
	out["fileset"] = c.filesetFunc()
	for k, f := range c.fileFuncs(rec, withTemplate) {
		out[k] = f
	}
	return out
}

// fileFuncs returns the functions that read one file, recording what they read into rec.
func (c *Config) fileFuncs(rec *recorder, withTemplate bool) map[string]function.Function {
	m := map[string]function.Function{
		"file": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				fd, rel, err := c.readFile(args[0].AsString())
				if err != nil {
					return cty.UnknownVal(cty.String), err
				}
				if !utf8.Valid(fd.data) {
					return cty.UnknownVal(cty.String), fmt.Errorf("the contents of %q are not valid UTF-8; use filesha256 to hash a binary file", rel)
				}
				rec.add(rel)
				return cty.StringVal(string(fd.data)), nil
			},
		}),
		"filesha256": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				fd, rel, err := c.readFile(args[0].AsString())
				if err != nil {
					return cty.UnknownVal(cty.String), err
				}
				rec.add(rel)
				return cty.StringVal(fd.sha256()), nil
			},
		}),
		"fileexists": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				ok, rel, err := c.fileExists(args[0].AsString())
				if err != nil {
					return cty.UnknownVal(cty.Bool), err
				}
				if ok {
					rec.add(rel)
				}
				return cty.BoolVal(ok), nil
			},
		}),
	}
	if withTemplate {
		m["templatefile"] = c.templatefileFunc(rec)
	}
	return m
}

// templatefileFunc renders a template file (HCL template syntax) with the given variables.
// The template may call every function but templatefile, and what it reads is recorded.
func (c *Config) templatefileFunc(rec *recorder) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "vars", Type: cty.DynamicPseudoType},
		},
		Type: function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			vars := args[1]
			ty := vars.Type()
			if !ty.IsMapType() && !ty.IsObjectType() {
				return cty.DynamicVal, fmt.Errorf("the second argument must be a map or object of template variables, not a %s", ty.FriendlyName())
			}
			if vars.IsNull() {
				return cty.DynamicVal, fmt.Errorf("the template variables must not be null")
			}
			fd, rel, err := c.readFile(args[0].AsString())
			if err != nil {
				return cty.DynamicVal, err
			}
			rec.add(rel)
			tmpl, diags := fd.template(rel)
			if diags.HasErrors() {
				return cty.DynamicVal, diagsError(diags)
			}
			ctx := c.tmplBase.NewChild()
			ctx.Functions = c.fileFuncs(rec, false)
			ctx.Variables = make(map[string]cty.Value, vars.LengthInt())
			for it := vars.ElementIterator(); it.Next(); {
				k, v := it.Element()
				ctx.Variables[k.AsString()] = v
			}
			for _, tr := range tmpl.Variables() {
				if _, ok := ctx.Variables[tr.RootName()]; !ok {
					return cty.DynamicVal, fmt.Errorf("%s:%d: the template uses %q, which the variables do not give",
						rel, tr.SourceRange().Start.Line, tr.RootName())
				}
			}
			v, diags := tmpl.Value(ctx)
			if diags.HasErrors() {
				return cty.DynamicVal, diagsError(diags)
			}
			return v, nil
		},
	})
}

func diagsError(diags hcl.Diagnostics) error {
	var msgs []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject != nil {
			msg = fmt.Sprintf("%s:%d,%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, msg)
		}
		msgs = append(msgs, msg)
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

func (c *Config) filesetFunc() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "pattern", Type: cty.String},
		},
		Type: function.StaticReturnType(cty.Set(cty.String)),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			names, err := c.fileSet(args[0].AsString(), args[1].AsString())
			if err != nil {
				return cty.UnknownVal(cty.Set(cty.String)), err
			}
			c.reads.set(FileSetKey(args[0].AsString(), args[1].AsString()), names)
			if len(names) == 0 {
				return cty.SetValEmpty(cty.String), nil
			}
			vals := make([]cty.Value, len(names))
			for i, n := range names {
				vals[i] = cty.StringVal(n)
			}
			return cty.SetVal(vals), nil
		},
	})
}

func (c *Config) envFunc() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "name", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			c.reads.env(args[0].AsString())
			return cty.StringVal(c.env[args[0].AsString()]), nil
		},
	})
}

func doublestarValid(pattern string) bool { return doublestar.ValidatePattern(pattern) }

func doublestarGlob(dir, pattern string) ([]string, error) {
	return doublestar.Glob(os.DirFS(dir), pattern, doublestar.WithFilesOnly())
}

// replaceFunc is Terraform's replace: a substring in /slashes/ is a regular expression.
var replaceFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
		{Name: "substr", Type: cty.String},
		{Name: "replace", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		sub := args[1].AsString()
		if len(sub) > 1 && sub[0] == '/' && sub[len(sub)-1] == '/' {
			return stdlib.RegexReplace(args[0], cty.StringVal(sub[1:len(sub)-1]), args[2])
		}
		return stdlib.Replace(args[0], args[1], args[2])
	},
})

// lengthFunc is Terraform's length: characters of a string, elements of a collection.
var lengthFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowDynamicType: true, AllowUnknown: true}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		if ty == cty.String || ty == cty.DynamicPseudoType || ty.IsCollectionType() || ty.IsTupleType() || ty.IsObjectType() {
			return cty.Number, nil
		}
		return cty.NilType, fmt.Errorf("argument must be a string, a collection type, or a structural type")
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		switch {
		case v.Type() == cty.DynamicPseudoType || !v.IsKnown() && v.Type() == cty.String:
			return cty.UnknownVal(cty.Number), nil
		case v.Type() == cty.String:
			return stdlib.Strlen(v)
		case v.Type().IsObjectType():
			return cty.NumberIntVal(int64(len(v.Type().AttributeTypes()))), nil
		}
		return v.Length(), nil
	},
})

// coalesceFunc is Terraform's coalesce: the first argument that is neither null nor an
// empty string.
var coalesceFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "vals", Type: cty.DynamicPseudoType, AllowUnknown: true,
		AllowDynamicType: true, AllowNull: true},
	Type: func(args []cty.Value) (cty.Type, error) {
		return stdlib.CoalesceFunc.ReturnType(argTypes(args))
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		kept := make([]cty.Value, 0, len(args))
		for _, a := range args {
			if a.Type() == cty.String && a.IsKnown() && !a.IsNull() && a.AsString() == "" {
				continue
			}
			kept = append(kept, a)
		}
		if len(kept) == 0 {
			return cty.NilVal, fmt.Errorf("no non-null, non-empty-string arguments")
		}
		return stdlib.CoalesceFunc.Call(kept)
	},
})

func argTypes(args []cty.Value) []cty.Type {
	out := make([]cty.Type, len(args))
	for i, a := range args {
		out[i] = a.Type()
	}
	return out
}

var sha256Func = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		h := sha256.Sum256([]byte(args[0].AsString()))
		return cty.StringVal(hex.EncodeToString(h[:])), nil
	},
})

var base64EncodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(args[0].AsString()))), nil
	},
})

var base64DecodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		b, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("the argument is not valid base64: %w", err)
		}
		if !utf8.Valid(b) {
			return cty.UnknownVal(cty.String), fmt.Errorf("the decoded bytes are not valid UTF-8")
		}
		return cty.StringVal(string(b)), nil
	},
})

func pathFunc(fn func(string) string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.StringVal(fn(args[0].AsString())), nil
		},
	})
}
