package schema

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// Cache is the genform block's `cache "dir"` or `cache "s3"` block: the shared output cache
// behind the local one (SPEC section 7). It takes literals and env() only, is decoded before
// anything else is evaluated, and enters no input hash, plan or state. Credentials are never
// part of it: the s3 store takes them from the environment.
type Cache struct {
	Type string // "dir" or "s3"

	Path string // dir: absolute (a relative path is resolved against the project folder)

	Bucket, Prefix, Endpoint, Region string // s3

	// Upload is whether apply and push write to the shared cache (default true);
	// GENFORM_CACHE_UPLOAD=false in the environment turns it off.
	Upload    bool
	DeclRange hcl.Range
}

// cacheTypes are the attributes each cache type takes, and which are required.
var cacheTypes = map[string]*hcl.BodySchema{
	"dir": {Attributes: []hcl.AttributeSchema{{Name: "path", Required: true}, {Name: "upload"}}},
	"s3": {Attributes: []hcl.AttributeSchema{
		{Name: "bucket", Required: true}, {Name: "prefix"}, {Name: "endpoint"}, {Name: "region"}, {Name: "upload"},
	}},
}

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

var cacheBlockSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "cache", LabelNames: []string{"type"}}}}

// decodeCache reads the cache block of the genform block b, at most one in the project.
func (d *decoder) decodeCache(b *hcl.Block) hcl.Diagnostics {
	content, _, diags := b.Body.PartialContent(cacheBlockSchema)
	for _, cb := range content.Blocks {
		diags = append(diags, d.unique("cache", "cache", cb.DefRange,
			"A project has at most one shared cache: keep one cache block.")...)
		if d.c.Cache != nil {
			continue
		}
		c, ds := d.c.decodeCacheBlock(cb)
		diags = append(diags, ds...)
		d.c.Cache = c // nil on errors, or when switched off
	}
	return diags
}

func (c *Config) decodeCacheBlock(b *hcl.Block) (*Cache, hcl.Diagnostics) {
	typ := b.Labels[0]
	sch, ok := cacheTypes[typ]
	if !ok {
		return nil, hcl.Diagnostics{errorAt(b.LabelRanges[0], "Unknown cache type",
			fmt.Sprintf("genform has no shared cache of type %q; use cache \"dir\" (a shared folder) or cache \"s3\" (a bucket).%s",
				typ, suggest(typ, []string{"dir", "s3"})))}
	}
	content, diags := b.Body.Content(sch)
	if diags.HasErrors() {
		return nil, diags
	}
	// literals and env() only: no variables, locals or other functions
	ctx := &hcl.EvalContext{Functions: map[string]function.Function{"env": c.envFunc()}}
	out := &Cache{Type: typ, Upload: true, DeclRange: b.DefRange}
	str := func(name string, dst *string) {
		a, ok := content.Attributes[name]
		if !ok {
			return
		}
		v, ds := a.Expr.Value(ctx)
		if ds.HasErrors() {
			for _, d := range ds {
				d.Detail += " The cache block is read before anything else: it takes literals and env() only."
			}
			diags = append(diags, ds...)
			return
		}
		v, err := convert.Convert(v, cty.String)
		if err != nil || v.IsNull() {
			diags = append(diags, errorAt(a.Expr.Range(), "Incorrect attribute value type", name+" must be a string."))
			return
		}
		*dst = v.AsString()
	}
	var upload string
	str("path", &out.Path)
	str("bucket", &out.Bucket)
	str("prefix", &out.Prefix)
	str("endpoint", &out.Endpoint)
	str("region", &out.Region)
	str("upload", &upload)
	if diags.HasErrors() {
		return nil, diags
	}
	if upload != "" {
		u, err := strconv.ParseBool(upload)
		if err != nil {
			return nil, append(diags, errorAt(content.Attributes["upload"].Expr.Range(), "Invalid upload",
				"upload is true (apply and push write to the shared cache) or false (this machine only reads)."))
		}
		out.Upload = u
	}
	if v, ok := c.env["GENFORM_CACHE_UPLOAD"]; ok && v != "" {
		u, err := strconv.ParseBool(v)
		if err != nil {
			return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid GENFORM_CACHE_UPLOAD",
				Detail: fmt.Sprintf("GENFORM_CACHE_UPLOAD is %q; set it to true or false (false: this machine only reads the shared cache).", v)})
		}
		out.Upload = u
	}
	diags = append(diags, c.checkCache(out, content)...)
	if out.Path+out.Bucket == "" || diags.HasErrors() {
		return nil, diags
	}
	return out, diags
}

// checkCache checks a cache block's values. A path or bucket that comes out empty (an env()
// that is not set on this machine) switches the shared cache off, with a warning: a project
// whose CI sets the variable still plans on a laptop that does not.
func (c *Config) checkCache(out *Cache, content *hcl.BodyContent) hcl.Diagnostics {
	rng := func(name string) hcl.Range { return content.Attributes[name].Expr.Range() }
	if name := map[string]string{"dir": "path", "s3": "bucket"}[out.Type]; out.Path+out.Bucket == "" {
		return hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Shared cache off",
			Detail: fmt.Sprintf("The cache block's %s is empty, so this run uses the local cache only. "+
				"If it comes from env(), set that variable to use the shared cache.", name),
			Subject: rng(name).Ptr()}}
	}
	switch out.Type {
	case "dir":

		if !filepath.IsAbs(out.Path) {
			out.Path = filepath.Join(c.Dir, filepath.FromSlash(out.Path))
		}
		out.Path = filepath.Clean(out.Path)
		if out.Path == c.Dir || strings.HasPrefix(c.Dir, out.Path+string(filepath.Separator)) {
			return hcl.Diagnostics{errorAt(rng("path"), "Invalid cache path",
				"The shared cache folder cannot be the project folder or hold it; give a folder of its own.")}
		}
	case "s3":
		if !bucketName.MatchString(out.Bucket) {
			return hcl.Diagnostics{errorAt(rng("bucket"), "Invalid bucket name",
				fmt.Sprintf("%q is not an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.", out.Bucket))}
		}
		if out.Prefix != "" && !strings.HasSuffix(out.Prefix, "/") {
			out.Prefix += "/"
		}
		if e := out.Endpoint; e != "" && !strings.HasPrefix(e, "https://") && !strings.HasPrefix(e, "http://") {
			return hcl.Diagnostics{errorAt(rng("endpoint"), "Invalid endpoint",
				fmt.Sprintf("endpoint is a URL such as \"https://%s\"; leave it out for AWS.", e))}
		}
		if strings.Contains(out.Endpoint, "@") {
			return hcl.Diagnostics{errorAt(rng("endpoint"), "Credentials in the endpoint",
				"Credentials never go in the configuration: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the environment.")}
		}
	}
	return nil
}
