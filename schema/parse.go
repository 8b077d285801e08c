package schema

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// pieceSize is how many bytes of a native-syntax file one parse takes at least: smaller
// files are parsed whole. HCL's scanner grows one token slice per parse by appending (by a
// quarter at a time once it is long), so a 1.4 MB file parsed whole allocates 170 MB of
// token slices; in 1 KiB pieces the slices stay short: 165 MB allocated per parse instead
// of 282 MB, all included (BenchmarkParsePieceSize).
const pieceSize = 1 << 10

// parseNative parses a native-syntax configuration file. A large file is cut between
// top-level items and its pieces are parsed concurrently, each from its own position in
// the file, so every range (line, column, byte) is the one a whole parse gives; the pieces'
// bodies are then joined into one.
//
// The cut points come from a small scanner that follows strings, heredocs, comments and
// brackets, but the result does not rest on it being right: the pieces are used only when
// every one of them parses without a single diagnostic. A piece that parses cleanly is a
// sequence of whole body items ending at a top-level newline, so the file is exactly those
// sequences one after the other and a whole parse reads the same items. Otherwise (a
// syntax error, a warning, or an argument set in two pieces) the file is parsed whole
// again, so diagnostics are always those of a whole parse.
func parseNative(src []byte, name string) (*hcl.File, hcl.Diagnostics) {
	return parseInPieces(src, name, pieceSize)
}

// parseInPieces is parseNative with pieces of at least size bytes.
func parseInPieces(src []byte, name string, size int) (*hcl.File, hcl.Diagnostics) {
	if f, ok := parsePieces(src, name, cutPoints(src, size)); ok {
		return f, nil
	}
	return hclsyntax.ParseConfig(src, name, hcl.InitialPos)
}

// parsePieces parses src cut at cuts, concurrently. It reports false when there are no cuts
// or the pieces cannot stand for the file.
func parsePieces(src []byte, name string, cuts []int) (*hcl.File, bool) {
	if len(cuts) == 0 {
		return nil, false
	}
	starts := append([]int{0}, cuts...)
	files := make([]*hcl.File, len(starts))
	clean := make([]bool, len(starts))
	lines := make([]int, len(starts)) // the line each piece starts at
	lines[0] = 1
	for i := 1; i < len(starts); i++ {
		lines[i] = lines[i-1] + bytes.Count(src[starts[i-1]:starts[i]], []byte{'\n'})
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(starts)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(starts); i = int(next.Add(1)) - 1 {
				start, end := starts[i], len(src)
				if i+1 < len(starts) {
					end = starts[i+1]
				}
				pos := hcl.Pos{Line: lines[i], Column: 1, Byte: start}
				f, diags := hclsyntax.ParseConfig(src[start:end:end], name, pos)
				files[i], clean[i] = f, len(diags) == 0
			}
		})
	}
	wg.Wait()
	return joinPieces(files, clean, src)
}

// joinPieces joins the bodies of the pieces into the first piece's file (whose navigation,
// used for the "in image "hero"" context of diagnostics, then sees every block). It
// reports false when a piece had diagnostics or an argument is set in two pieces.
func joinPieces(files []*hcl.File, clean []bool, src []byte) (*hcl.File, bool) {
	n := 0
	for i, f := range files {
		if !clean[i] || f == nil {
			return nil, false
		}
		n += len(f.Body.(*hclsyntax.Body).Blocks)
	}
	first := files[0].Body.(*hclsyntax.Body)
	last := files[len(files)-1].Body.(*hclsyntax.Body)
	blocks := make(hclsyntax.Blocks, 0, n)
	attrs := hclsyntax.Attributes{}
	for _, f := range files {
		b := f.Body.(*hclsyntax.Body)
		blocks = append(blocks, b.Blocks...)
		for name, a := range b.Attributes {
			if _, dup := attrs[name]; dup {
				return nil, false // a whole parse reports it
			}
			attrs[name] = a
		}
	}
	first.Attributes = attrs
	first.Blocks = blocks
	first.SrcRange = hcl.RangeBetween(first.SrcRange, last.SrcRange)
	first.EndRange = last.EndRange
	files[0].Bytes = src
	return files[0], true
}

// cutPoints returns byte offsets at which src may be cut into pieces of at least size
// bytes: each is the start of a line that begins outside any bracket, string, heredoc or
// comment. It returns nil when src is small or when it meets something it does not follow
// (the file is then parsed whole).
func cutPoints(src []byte, size int) []int {
	if len(src) < 2*size {
		return nil
	}
	cuts, _ := scanCuts(src, size)
	return cuts
}

// scanCuts is cutPoints without the small-file rule: ok is false when the scanner meets
// something it does not follow (cuts is then nil).
func scanCuts(src []byte, size int) (cuts []int, ok bool) {
	s := cutScanner{src: src}
	last := 0
	for s.i < len(src) {
		if !s.step() {
			return nil, false
		}
		if s.atTopLine && s.i-last >= size && len(src)-s.i >= size {
			cuts = append(cuts, s.i)
			last = s.i
		}
	}
	if len(s.stack) != 1 || s.stack[0].depth != 0 {
		return nil, false
	}
	return cuts, true
}

// frame is one level of the cut scanner: an expression (the file's top level or the inside
// of ${ }/%{ }), a quoted string, or a heredoc.
type frame struct {
	kind        byte // 'e' expression, 's' quoted string, 'h' heredoc
	depth       int  // expression: open brackets of any kind
	marker      []byte
	startOfLine bool // heredoc: at the start of a line
}

type cutScanner struct {
	src       []byte
	i         int
	stack     []frame
	atTopLine bool // i is the start of a line at the top level
}

// step scans one token's worth of src. It reports false on anything it does not follow.
func (s *cutScanner) step() bool {
	if s.stack == nil {
		s.stack = []frame{{kind: 'e'}}
	}
	s.atTopLine = false
	top := &s.stack[len(s.stack)-1]
	switch top.kind {
	case 's':
		return s.stepString()
	case 'h':
		return s.stepHeredoc(top)
	}
	src, i := s.src, s.i
	c := src[i]
	switch {
	case c == '\n':
		s.i++
		s.atTopLine = len(s.stack) == 1 && top.depth == 0
	case c == '#' || (c == '/' && i+1 < len(src) && src[i+1] == '/'):
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			s.i = len(src)
		} else {
			s.i = i + j // the newline is scanned next
		}
	case c == '/' && i+1 < len(src) && src[i+1] == '*':
		j := bytes.Index(src[i+2:], []byte("*/"))
		if j < 0 {
			return false
		}
		s.i = i + 2 + j + 2
	case c == '"':
		s.i++
		s.stack = append(s.stack, frame{kind: 's'})
	case c == '<' && i+1 < len(src) && src[i+1] == '<':
		return s.beginHeredoc()
	case c == '{' || c == '[' || c == '(':
		top.depth++
		s.i++
	case c == '}' || c == ']' || c == ')':
		s.i++
		if top.depth > 0 {
			top.depth--
			return true
		}
		if c != '}' || len(s.stack) == 1 {
			return false // unbalanced
		}
		s.stack = s.stack[:len(s.stack)-1] // the end of ${ } or %{ }
	default:
		s.i++
	}
	return true
}

// interp reports whether src[i:] opens an interpolation or a directive (${ or %{), and
// skips the escapes $${ and %%{.
func (s *cutScanner) interp() (open bool, skip int) {
	src, i := s.src, s.i
	c := src[i]
	if c != '$' && c != '%' || i+1 >= len(src) {
		return false, 0
	}
	if src[i+1] == '{' {
		return true, 2
	}
	if src[i+1] == c && i+2 < len(src) && src[i+2] == '{' {
		return false, 3
	}
	return false, 0
}

func (s *cutScanner) stepString() bool {
	src, i := s.src, s.i
	switch c := src[i]; c {
	case '\n', '\r':
		return false // HCL refuses it; parse whole for its diagnostic
	case '\\':
		s.i += 2
	case '"':
		s.i++
		s.stack = s.stack[:len(s.stack)-1]
	default:
		s.stepInterp()
	}
	return true
}

// beginHeredoc scans <<MARKER or <<-MARKER and its newline.
func (s *cutScanner) beginHeredoc() bool {
	src := s.src
	j := s.i + 2
	if j < len(src) && src[j] == '-' {
		j++
	}
	start := j
	for j < len(src) && (isIdentByte(src[j]) || (j > start && src[j] == '-')) {
		j++
	}
	marker := src[start:j]
	if j < len(src) && src[j] == '\r' {
		j++
	}
	if len(marker) == 0 || j >= len(src) || src[j] != '\n' {
		return false
	}
	s.i = j + 1
	s.stack = append(s.stack, frame{kind: 'h', marker: marker, startOfLine: true})
	return true
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func (s *cutScanner) stepHeredoc(h *frame) bool {
	src, i := s.src, s.i
	if h.startOfLine {
		end := bytes.IndexByte(src[i:], '\n')
		if end >= 0 && bytes.Equal(bytes.TrimSpace(src[i:i+end]), h.marker) {
			s.i = i + end // the newline after the marker belongs to the expression around
			s.stack = s.stack[:len(s.stack)-1]
			return true
		}
	}
	h.startOfLine = false
	if src[i] == '\n' {
		h.startOfLine = true
		s.i++
		return true
	}
	s.stepInterp()
	return true
}

// stepInterp steps over one byte of a string or heredoc, or the start of an interpolation
// or directive (then scanning its expression) or an escaped one.
func (s *cutScanner) stepInterp() {
	open, skip := s.interp()
	switch {
	case open:
		s.i += skip
		s.stack = append(s.stack, frame{kind: 'e'})
	case skip > 0:
		s.i += skip
	default:
		s.i++
	}
}
