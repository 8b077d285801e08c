package asset

import (
	"slices"

	"github.com/zclconf/go-cty/cty"
)

// Need says whether a kind takes an attribute.
type Need int

// The needs.
const (
	No Need = iota
	Optional
	Required
)

// Attr is one request attribute: its name in a block, its type, and which kinds take it.
type Attr struct {
	Name  string
	Type  cty.Type // cty.DynamicPseudoType for options (any object or map)
	Whole bool     // a whole number
	// File: the value names an input file (or a list of them), whose content, not its
	// name, enters the input hash.
	File bool
	// Meta: the attribute is not sent as a request field (model and path are the request's
	// own; what they hold is recorded apart).
	Meta  bool
	Kinds map[Kind]Need
}

var (
	str   = cty.String
	num   = cty.Number
	all   = func(n Need) map[Kind]Need { return map[Kind]Need{Chat: n, Image: n, Video: n} }
	chat  = map[Kind]Need{Chat: Optional}
	image = map[Kind]Need{Image: Optional}
	video = map[Kind]Need{Video: Optional}
	media = map[Kind]Need{Image: Optional, Video: Optional}
)

// attrs is the table of request attributes. File attributes come in the order their files
// are listed (references, mask, reference).
var attrs = []Attr{
	{Name: "model", Type: str, Meta: true, Kinds: all(Required)},
	{Name: "path", Type: str, Meta: true, Kinds: map[Kind]Need{Chat: Optional, Image: Required, Video: Required}},
	{Name: "prompt", Type: str, Kinds: map[Kind]Need{Chat: Required, Image: Required, Video: Optional}},
	{Name: "options", Type: cty.DynamicPseudoType, Kinds: all(Optional)},

	{Name: "system", Type: str, Kinds: chat},
	{Name: "temperature", Type: num, Kinds: chat},
	{Name: "top_p", Type: num, Kinds: chat},
	{Name: "presence_penalty", Type: num, Kinds: chat},
	{Name: "frequency_penalty", Type: num, Kinds: chat},
	{Name: "max_tokens", Type: num, Whole: true, Kinds: chat},
	{Name: "seed", Type: num, Whole: true, Kinds: chat},

	{Name: "aspect_ratio", Type: str, Kinds: image},
	{Name: "resolution", Type: str, Kinds: image},
	{Name: "size", Type: str, Kinds: media},
	{Name: "quality", Type: str, Kinds: image},
	{Name: "background", Type: str, Kinds: image},
	{Name: "style", Type: str, Kinds: image},
	{Name: "output_format", Type: str, Kinds: image},
	{Name: "references", Type: cty.List(cty.String), File: true, Kinds: image},
	{Name: "mask", Type: str, File: true, Kinds: image},

	{Name: "seconds", Type: num, Whole: true, Kinds: video},
	{Name: "reference", Type: str, File: true, Kinds: video},
}

// Attrs lists every request attribute, in table order.
func Attrs() []Attr { return slices.Clone(attrs) }

// AttrsOf lists the attributes kind k takes, in table order.
func AttrsOf(k Kind) []Attr {
	var out []Attr
	for _, a := range attrs {
		if a.Kinds[k] != No {
			out = append(out, a)
		}
	}
	return out
}

// LookupAttr returns the attribute name of kind k.
func LookupAttr(k Kind, name string) (Attr, bool) {
	for _, a := range attrs {
		if a.Name == name && a.Kinds[k] != No {
			return a, true
		}
	}
	return Attr{}, false
}

// IsFile reports whether the attribute name names input files, for any kind.
func IsFile(name string) bool {
	i := slices.IndexFunc(attrs, func(a Attr) bool { return a.Name == name })
	return i >= 0 && attrs[i].File
}
