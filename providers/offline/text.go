package offline

import (
	"image"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Text: the prompt's words, wrapped, drawn once with basicfont's 7x13 pixel face into a small
// grey mask, then stamped onto the canvas enlarged by a whole factor (nearest neighbour, so
// the pixel font stays crisp and every byte is reproducible).

const (
	glyphW = 7  // basicfont.Face7x13's advance
	glyphH = 13 // and line height
)

// wrap splits text into at most maxLines lines of at most cols characters, breaking at
// spaces where it can. Text that does not fit ends in "...", after the last whole word
// where there is one.
func wrap(text string, cols, maxLines int) []string {
	var words []string
	for _, w := range strings.Fields(text) {
		words = append(words, printable(w))
	}
	var lines []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			lines = append(lines, string(cur))
			cur = cur[:0]
		}
	}
	truncated := false
	for _, w := range words {
		r := []rune(w)
		for len(r) > 0 && !truncated {
			switch {
			case len(cur) > 0 && len(cur)+1+len(r) <= cols:
				cur = append(append(cur, ' '), r...)
				r = nil
			case len(cur) == 0 && len(r) <= cols:
				cur = append(cur, r...)
				r = nil
			case len(cur) == 0: // a word longer than a line: cut it
				cur = append(cur, r[:cols]...)
				r = r[cols:]
				flush()
			default:
				flush()
			}
			if len(lines) == maxLines {
				truncated = true
			}
		}
		if truncated {
			break
		}
	}
	if !truncated {
		flush()
	}
	if len(lines) > maxLines {
		lines, truncated = lines[:maxLines], true
	}
	if truncated && len(lines) > 0 {
		last := []rune(lines[len(lines)-1])
		if len(last)+3 > cols {
			last = last[:max(cols-3, 0)]
			if i := strings.LastIndexByte(string(last), ' '); i > 0 {
				last = []rune(string(last)[:i])
			}
		}
		lines[len(lines)-1] = strings.TrimRight(string(last), " ") + "..."
	}
	return lines
}

// printable folds s onto what basicfont can draw (printable ASCII): accented Latin letters
// lose their accents, typographic quotes and dashes become plain ones, and anything else
// (emoji, other scripts) is left out.
func printable(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0x20 && r <= 0x7e:
			b.WriteRune(r)
		case foldings[r] != "":
			b.WriteString(foldings[r])
		}
	}
	return b.String()
}

// foldings spells common non-ASCII characters in ASCII.
var foldings = func() map[rune]string {
	m := map[rune]string{
		'ß': "ss", 'æ': "ae", 'Æ': "AE", 'œ': "oe", 'Œ': "OE", 'ø': "o", 'Ø': "O",
		'‘': "'", '’': "'", '‚': "'", '“': "\"", '”': "\"", '„': "\"", '«': "\"", '»': "\"",
		'–': "-", '—': "-", '‐': "-", '…': "...", '·': "-", '•': "-", '€': "EUR", '£': "GBP",
		'×': "x", '\u00a0': " ",
	}
	for base, accented := range map[string]string{
		"a": "àáâãäåā", "A": "ÀÁÂÃÄÅĀ", "c": "çćč", "C": "ÇĆČ", "e": "èéêëēęě", "E": "ÈÉÊËĒĘĚ",
		"i": "ìíîïī", "I": "ÌÍÎÏĪ", "n": "ñń", "N": "ÑŃ", "o": "òóôõöō", "O": "ÒÓÔÕÖŌ",
		"u": "ùúûüū", "U": "ÙÚÛÜŪ", "y": "ýÿ", "Y": "Ý", "s": "śš", "S": "ŚŠ", "z": "źżž", "Z": "ŹŻŽ",
		"l": "ł", "L": "Ł", "r": "ř", "R": "Ř", "g": "ğ", "G": "Ğ",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

// textMask draws lines, each centred, white on black, at the font's own size.
func textMask(lines []string) *image.Gray {
	cols := 0
	for _, l := range lines {
		cols = max(cols, utf8.RuneCountInString(l))
	}
	m := image.NewGray(image.Rect(0, 0, cols*glyphW, len(lines)*glyphH))
	d := font.Drawer{Dst: m, Src: image.White, Face: basicfont.Face7x13}
	for i, l := range lines {
		x := (cols - utf8.RuneCountInString(l)) * glyphW / 2
		d.Dot = fixed.P(x, i*glyphH+basicfont.Face7x13.Ascent)
		d.DrawString(l)
	}
	return m
}

// stamp paints col through mask enlarged scale times, with its top-left corner at (x, y).
func (c *canvas) stamp(mask *image.Gray, scale, x, y int, col rgba) {
	mw, mh := mask.Rect.Dx(), mask.Rect.Dy()
	for dy := max(0, -y); dy < mh*scale && y+dy < c.h; dy++ {
		mrow := mask.Pix[(dy/scale)*mask.Stride:]
		row := c.img.Pix[(y+dy)*c.img.Stride:]
		for dx := max(0, -x); dx < mw*scale && x+dx < c.w; dx++ {
			if m := mrow[dx/scale]; m != 0 {
				blend(row[4*(x+dx):], col.rgb, uint32(col.a)*uint32(m)/255)
			}
		}
	}
}
