// Package asset is genform's vocabulary of what can be generated: the asset kinds, what an
// instance of each kind shows other blocks, and the request attributes each kind takes. It is
// one table that schema (block schemas, types, references), engine (requests, input files),
// state (record checks), providers (Request.Set) and the views all read, so a new kind or
// attribute is added here and in the providers that generate it, nowhere else.
//
// It imports nothing of genform.
package asset

import (
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Kind is what an asset block produces: its block type ("image") and the first part of its
// instances' addresses (image.hero).
type Kind string

// The kinds of asset genform knows.
const (
	Chat  Kind = "chat"
	Image Kind = "image"
	Video Kind = "video"
)

// Spec describes a kind.
type Spec struct {
	Kind Kind
	// Text: the result is text, kept in the record; its file (path) is optional.
	Text bool
	// Shots: the block takes storyboard shot { duration, scene } blocks, and then needs no
	// prompt.
	Shots bool
	// Outputs are the attributes other blocks read of an instance (image.hero.path).
	Outputs map[string]cty.Type
}

// specs lists the kinds, in the order genform shows them.
var specs = []Spec{
	{Kind: Chat, Text: true, Outputs: map[string]cty.Type{
		"path": cty.String, "sha256": cty.String, "model": cty.String, "text": cty.String,
	}},
	{Kind: Image, Outputs: map[string]cty.Type{
		"path": cty.String, "sha256": cty.String, "model": cty.String,
		"mime_type": cty.String, "width": cty.Number, "height": cty.Number,
	}},
	{Kind: Video, Shots: true, Outputs: map[string]cty.Type{
		"path": cty.String, "sha256": cty.String, "model": cty.String, "seconds": cty.Number,
	}},
}

// Kinds lists the kinds, in the order genform shows them.
func Kinds() []Kind {
	out := make([]Kind, len(specs))
	for i, s := range specs {
		out[i] = s.Kind
	}
	return out
}

// Names lists the kinds as strings, in the order genform shows them.
func Names() []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = string(s.Kind)
	}
	return out
}

// Lookup returns the spec of the kind named s.
func Lookup(s string) (Spec, bool) {
	i := slices.IndexFunc(specs, func(sp Spec) bool { return string(sp.Kind) == s })
	if i < 0 {
		return Spec{}, false
	}
	return specs[i], true
}

// Known reports whether s names a kind.
func Known(s string) bool { _, ok := Lookup(s); return ok }

// IsText reports whether the kind named s makes text (kept in the record, the file optional).
func IsText(s string) bool { sp, _ := Lookup(s); return sp.Text }

// WithArticle is the kind named s with its indefinite article, for messages: "an image",
// "a chat", "a video".
func WithArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}
