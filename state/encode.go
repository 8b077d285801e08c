package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// encoder writes the state file's JSON by hand, byte for byte what encoding/json writes with
// SetIndent(two spaces) and SetEscapeHTML(false), several times faster: the state is encoded
// on every plan (for the saved plan's staleness check) and at the end of every apply. Values
// of types it does not know go through encoding/json.
type encoder struct {
	b []byte
}

// object writes one JSON object: open, then key before each value, then close.
type object struct {
	e     *encoder
	depth int
	n     int
}

func (e *encoder) open(depth int) object {
	e.b = append(e.b, '{')
	return object{e: e, depth: depth}
}

func (o *object) key(k string) {
	if o.n > 0 {
		o.e.b = append(o.e.b, ',')
	}
	o.n++
	o.e.newline(o.depth + 1)
	o.e.str(k)
	o.e.b = append(o.e.b, ':', ' ')
}

func (o *object) close() {
	if o.n > 0 {
		o.e.newline(o.depth)
	}
	o.e.b = append(o.e.b, '}')
}

func (e *encoder) newline(depth int) {
	e.b = append(e.b, '\n')
	for range depth {
		e.b = append(e.b, ' ', ' ')
	}
}

func (e *encoder) strField(o *object, k, v string) {
	o.key(k)
	e.str(v)
}

func (e *encoder) intField(o *object, k string, v int64) {
	o.key(k)
	e.b = strconv.AppendInt(e.b, v, 10)
}

func (e *encoder) record(r *Record, depth int) error {
	o := e.open(depth)
	if r.Cost != nil {
		o.key("cost")
		if err := e.float(*r.Cost, 64); err != nil {
			return err
		}
	}
	if t := formatTime(r.GeneratedAt); t != "" {
		e.strField(&o, "generated_at", t)
	}
	e.strField(&o, "input_hash", r.InputHash)
	if r.JobID != "" {
		e.strField(&o, "job_id", r.JobID)
	}
	e.strField(&o, "kind", r.Kind)
	if r.Model != "" {
		e.strField(&o, "model", r.Model)
	}
	if out := r.Output; out != nil {
		o.key("output")
		p := e.open(depth + 1)
		if out.Height != 0 {
			e.intField(&p, "height", int64(out.Height))
		}
		if out.MediaType != "" {
			e.strField(&p, "media_type", out.MediaType)
		}
		e.strField(&p, "path", out.Path)
		if out.Seconds != 0 {
			p.key("seconds")
			if err := e.float(out.Seconds, 64); err != nil {
				return err
			}
		}
		e.strField(&p, "sha256", out.SHA256)
		e.intField(&p, "size", out.Size)
		if out.Width != 0 {
			e.intField(&p, "width", int64(out.Width))
		}
		p.close()
	}
	e.strField(&o, "provider", r.Provider)
	if len(r.Request) > 0 {
		o.key("request")
		if err := e.value(r.Request, depth+1); err != nil {
			return fmt.Errorf("request: %w", err)
		}
	}
	if r.RevisedPrompt != "" {
		e.strField(&o, "revised_prompt", r.RevisedPrompt)
	}
	if r.Text != "" {
		e.strField(&o, "text", r.Text)
	}
	if u := r.Usage; u != nil {
		o.key("usage")
		p := e.open(depth + 1)
		e.intField(&p, "completion_tokens", u.CompletionTokens)
		e.intField(&p, "prompt_tokens", u.PromptTokens)
		e.intField(&p, "total_tokens", u.TotalTokens)
		p.close()
	}
	o.close()
	return nil
}

func (e *encoder) job(j *Job, depth int) {
	o := e.open(depth)
	e.strField(&o, "input_hash", j.InputHash)
	if j.JobID != "" {
		e.strField(&o, "job_id", j.JobID)
	}
	e.strField(&o, "provider", j.Provider)
	if t := formatTime(j.StartedAt); t != "" {
		e.strField(&o, "started_at", t)
	}
	if j.URL != "" {
		e.strField(&o, "url", j.URL)
	}
	o.close()
}

// value writes a JSON value from Record.Request.
func (e *encoder) value(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		e.b = append(e.b, "null"...)
	case string:
		e.str(x)
	case bool:
		e.b = strconv.AppendBool(e.b, x)
	case float64:
		return e.float(x, 64)
	case float32:
		return e.float(float64(x), 32)
	case int:
		e.b = strconv.AppendInt(e.b, int64(x), 10)
	case int64:
		e.b = strconv.AppendInt(e.b, x, 10)
	case int32:
		e.b = strconv.AppendInt(e.b, int64(x), 10)
	case uint64:
		e.b = strconv.AppendUint(e.b, x, 10)
	case []any:
		if x == nil {
			e.b = append(e.b, "null"...)
			return nil
		}
		if len(x) == 0 {
			e.b = append(e.b, '[', ']')
			return nil
		}
		e.b = append(e.b, '[')
		for i, el := range x {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.newline(depth + 1)
			if err := e.value(el, depth+1); err != nil {
				return err
			}
		}
		e.newline(depth)
		e.b = append(e.b, ']')
	case map[string]any:
		if x == nil {
			e.b = append(e.b, "null"...)
			return nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := e.open(depth)
		for _, k := range keys {
			o.key(k)
			if err := e.value(x[k], depth+1); err != nil {
				return err
			}
		}
		o.close()
	default:
		return e.other(v, depth)
	}
	return nil
}

// other writes any other value the way encoding/json does.
func (e *encoder) other(v any, depth int) error {
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	var out bytes.Buffer
	prefix := string(bytes.Repeat([]byte("  "), depth))
	if err := json.Indent(&out, bytes.TrimSuffix(compact.Bytes(), []byte{'\n'}), prefix, "  "); err != nil {
		return err
	}
	e.b = append(e.b, out.Bytes()...)
	return nil
}

// float writes f as encoding/json does (ES6 number formatting).
func (e *encoder) float(f float64, bits int) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("json: unsupported value: %v", f)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b := strconv.AppendFloat(e.b, f, format, -1, bits)
	if format == 'e' {
		n := len(b) // e-09 -> e-9
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	e.b = b
	return nil
}

const hexDigits = "0123456789abcdef"

// str writes s as a JSON string the way encoding/json does without HTML escaping: only
// quotes, backslashes, control characters, invalid UTF-8 and U+2028/U+2029 are escaped.
func (e *encoder) str(s string) {
	b := append(e.b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	e.b = append(b, '"')
}
