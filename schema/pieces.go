package schema

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TopLevelPieces cuts a native-syntax file before every line that starts at its top level
// (outside any bracket, string, heredoc or comment), so each top-level block is a piece of
// its own: it returns the start offsets, the first being 0. ok is false when the cut scanner
// meets something it does not follow; the caller then treats the file as one whole.
//
// Like parseNative's pieces, a piece is only to be trusted once it parsed without a
// diagnostic: a clean piece is a sequence of whole body items.
func TopLevelPieces(src []byte) (starts []int, ok bool) {
	if len(src) == 0 {
		return []int{0}, true
	}
	cuts, ok := scanCuts(src, 1)
	if !ok {
		return nil, false
	}
	return append([]int{0}, cuts...), true
}

// PieceRange is a byte range [Start, End) of a configuration file.
type PieceRange struct{ Start, End int }

// parseSelected parses only the pieces of src that ranges name (each from its own position
// in the file, so every range is that of a whole parse) and joins them into one file whose
// Bytes are the whole src. Any diagnostic of a piece is returned as it is: a caller that
// selects pieces uses the result only when there is none.
func parseSelected(src []byte, name string, ranges []PieceRange) (*hcl.File, hcl.Diagnostics) {
	if len(ranges) == 0 {
		f, diags := hclsyntax.ParseConfig(nil, name, hcl.InitialPos)
		if f != nil {
			f.Bytes = src
		}
		return f, diags
	}
	ranges = slices.Clone(ranges)
	slices.SortFunc(ranges, func(a, b PieceRange) int { return a.Start - b.Start })
	files := make([]*hcl.File, len(ranges))
	clean := make([]bool, len(ranges))
	line, at := 1, 0
	var diags hcl.Diagnostics
	for i, r := range ranges {
		if r.Start < at || r.End < r.Start || r.End > len(src) {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid piece",
				Detail: fmt.Sprintf("piece %d..%d of %s overlaps another or lies outside the file", r.Start, r.End, name)}}
		}
		line += bytes.Count(src[at:r.Start], []byte{'\n'})
		at = r.Start
		pos := hcl.Pos{Line: line, Column: 1, Byte: r.Start}
		f, ds := hclsyntax.ParseConfig(src[r.Start:r.End:r.End], name, pos)
		files[i], clean[i] = f, len(ds) == 0
		diags = append(diags, ds...)
	}
	if diags != nil {
		return nil, diags
	}
	f, ok := joinPieces(files, clean, src)
	if !ok {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Pieces do not join",
			Detail: fmt.Sprintf("the selected pieces of %s set one argument twice", name)}}
	}
	return f, nil
}
