package state

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON scanning under decoder: white space, literals, objects, arrays, numbers and
// strings, each decoded as encoding/json decodes it.

// skipWS skips white space and returns the offset reached.
func (d *decoder) skipWS() int {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return d.pos
		}
	}
	return d.pos
}

// peek is the next byte that is not white space (0 at the end, which is then an error).
func (d *decoder) peek() byte {
	if d.skipWS() >= len(d.data) {
		d.truncated()
		return 0
	}
	return d.data[d.pos]
}

// null consumes a null if one is next.
func (d *decoder) null() bool {
	if d.peek() != 'n' {
		return false
	}
	d.literal("null")
	return d.err == nil
}

func (d *decoder) literal(word string) {
	rest := d.data[d.pos:]
	if bytes.HasPrefix(rest, []byte(word)) {
		d.pos += len(word)
		return
	}
	if len(rest) < len(word) && bytes.HasPrefix([]byte(word), rest) {
		d.truncated()
		return
	}
	d.syntax("a value")
}

// object reads an object, calling fn for each key with the decoder at its value; fn must
// consume the value.
func (d *decoder) object(what string, fn func(key string, off int)) {
	if c := d.peek(); c != '{' {
		if d.err == nil {
			d.typeError(what, "an object")
		}
		return
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxDepth {
		d.fail(d.pos, "not valid JSON: nested too deeply")
		return
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		return
	}
	for d.err == nil {
		if d.peek() != '"' {
			d.syntax("a string key")
			return
		}
		off := d.pos
		key := d.str()
		if d.peek() != ':' {
			d.syntax("':' after an object key")
			return
		}
		d.pos++
		if d.peek(); d.err != nil {
			return
		}
		fn(key, off)
		if d.err != nil {
			return
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return
		default:
			d.syntax("',' or '}' after an object value")
		}
	}
}

func (d *decoder) string(field string) string {
	switch d.peek() {
	case '"':
		return d.str()
	case 'n':
		d.literal("null")
	default:
		if d.err == nil {
			d.typeError(field, "a string")
		}
	}
	return ""
}

func (d *decoder) int(field string) int64 {
	return parseNumber(d, field, "a whole number", func(b []byte) (int64, error) {
		return strconv.ParseInt(string(b), 10, 64)
	})
}

func (d *decoder) uint(field string) uint64 {
	return parseNumber(d, field, "a whole number, 0 or more", func(b []byte) (uint64, error) {
		return strconv.ParseUint(string(b), 10, 64)
	})
}

func (d *decoder) float(field string) float64 {
	return parseNumber(d, field, "a number", func(b []byte) (float64, error) {
		return strconv.ParseFloat(string(b), 64)
	})
}

// parseNumber reads a number field (null is 0) with parse; a number parse refuses (out of
// range, a fraction where a whole number goes) is a type error naming what the field takes.
func parseNumber[T int64 | uint64 | float64](d *decoder, field, what string, parse func([]byte) (T, error)) T {
	if d.null() {
		return 0
	}
	start := d.pos
	text := d.number(field, what)
	n, err := parse(text)
	if err != nil && d.err == nil {
		d.pos = start
		d.typeError(field, what)
	}
	return n
}

// numberText is the number literal at d.pos, without consuming it (for messages).
func (d *decoder) numberText() []byte {
	save, saveErr := d.pos, d.err
	text := d.scanNumber()
	d.pos, d.err = save, saveErr
	return text
}

// number reads a number literal where field needs want.
func (d *decoder) number(field, want string) []byte {
	if c := d.peek(); c != '-' && (c < '0' || c > '9') {
		if d.err == nil {
			d.typeError(field, want)
		}
		return nil
	}
	return d.scanNumber()
}

// scanNumber reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *decoder) scanNumber() []byte {
	start := d.pos
	data := d.data
	i := d.pos
	digits := func() bool {
		j := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i > j
	}
	bad := func() []byte {
		d.pos = i
		d.syntax("a digit in the number")
		return nil
	}
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case !digits():
		return bad()
	}
	if i < len(data) && data[i] == '.' {
		i++
		if !digits() {
			return bad()
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if !digits() {
			return bad()
		}
	}
	d.pos = i
	return data[start:i]
}

// skip consumes one value of any kind.
func (d *decoder) skip() {
	switch c := d.peek(); {
	case d.err != nil:
	case c == '{':
		d.object("a value", func(string, int) { d.skip() })
	case c == '[':
		d.array(func() { d.skip() })
	case c == '"':
		d.str()
	case c == 't':
		d.literal("true")
	case c == 'f':
		d.literal("false")
	case c == 'n':
		d.literal("null")
	default:
		d.number("a value", "a number")
	}
}

// skipRaw steps over one value without decoding it: an object or array by following its
// strings and brackets only, not checking what is between them. It is for data a whole read
// decoded before (ReadExcept's skipped records); a fault it misses makes what follows fail.
func (d *decoder) skipRaw() {
	if c := d.peek(); d.err != nil || c != '{' && c != '[' {
		d.skip()
		return
	}
	data := d.data
	depth := 0
	for i := d.pos; i < len(data); i++ {
		switch data[i] {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				d.pos = i + 1
				return
			}
		}
	}
	d.truncated()
}

func (d *decoder) array(fn func()) {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxDepth {
		d.fail(d.pos, "not valid JSON: nested too deeply")
		return
	}
	d.pos++ // [
	if d.peek() == ']' {
		d.pos++
		return
	}
	for d.err == nil {
		fn()
		if d.err != nil {
			return
		}
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return
		default:
			d.syntax("',' or ']' after an array element")
		}
	}
}

// value reads any JSON value as encoding/json decodes it into an interface{}.
func (d *decoder) value() any {
	switch c := d.peek(); {
	case d.err != nil:
		return nil
	case c == '{':
		m := map[string]any{}
		d.object("a value", func(key string, off int) {
			if _, dup := m[key]; dup {
				d.fail(off, fmt.Sprintf("%s: request key %q appears twice", d.where(), key))
				return
			}
			m[key] = d.value()
		})
		return m
	case c == '[':
		s := []any{}
		d.array(func() { s = append(s, d.value()) })
		return s
	case c == '"':
		return d.str()
	case c == 't':
		d.literal("true")
		return true
	case c == 'f':
		d.literal("false")
		return false
	case c == 'n':
		d.literal("null")
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		return d.float("a request value")
	default:
		d.syntax("a value")
		return nil
	}
}

// str reads a string at d.pos (which is a quote), decoded as encoding/json decodes it:
// invalid UTF-8 and lone surrogates become U+FFFD.
func (d *decoder) str() string {
	data := d.data
	start := d.pos + 1
	i := start
	plain := true
	for {
		if i >= len(data) {
			d.truncated()
			return ""
		}
		c := data[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			i += 2
			continue
		}
		if c < 0x20 {
			d.pos = i
			d.fail(i, fmt.Sprintf("not valid JSON: unescaped %s in a string", quoteByte(c)))
			return ""
		}
		if c >= utf8.RuneSelf {
			plain = false
		}
		i++
	}
	raw := data[start:i]
	d.pos = i + 1
	if plain || (bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw)) {
		return string(raw)
	}
	return d.unquote(raw, start)
}

func (d *decoder) unquote(s []byte, base int) string {
	b := make([]byte, 0, len(s)+utf8.UTFMax)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			if r+1 >= len(s) {
				d.fail(base+r, "not valid JSON: a string ends in a backslash")
				return ""
			}
			switch e := s[r+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
				r += 2
			case 'b':
				b = append(b, '\b')
				r += 2
			case 'f':
				b = append(b, '\f')
				r += 2
			case 'n':
				b = append(b, '\n')
				r += 2
			case 'r':
				b = append(b, '\r')
				r += 2
			case 't':
				b = append(b, '\t')
				r += 2
			case 'u':
				rr := hex4(s[r:])
				if rr < 0 {
					d.fail(base+r, "not valid JSON: \\u must be followed by four hex digits")
					return ""
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if rr1 := hex4(s[r:]); rr1 >= 0 {
						if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
							b = utf8.AppendRune(b, dec)
							r += 6
							continue
						}
					}
					rr = utf8.RuneError
				}
				b = utf8.AppendRune(b, rr)
			default:
				d.fail(base+r, fmt.Sprintf("not valid JSON: unknown escape \\%c in a string", e))
				return ""
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			b = utf8.AppendRune(b, rr) // invalid bytes: U+FFFD each
		}
	}
	return string(b)
}

// hex4 reads \uXXXX at the start of s, or returns -1.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
