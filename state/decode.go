package state

import (
	"fmt"
	"strconv"
)

// decoder reads a version 1 state file into the on-disk structs in one pass, three times
// faster than encoding/json (a plan reads the state every time). It reads what encoding/json
// reads, strings decoded the same way, but more strictly: keys must be spelt exactly (no case
// folding) and may not repeat (a merge that doubled a record is an error, not a silent pick).
// The first fault stops it; err holds its offset and what is wrong.
type decoder struct {
	data  []byte
	pos   int
	depth int
	rec   string // the record or job being read, for messages
	err   *decodeError
}

type decodeError struct {
	off       int
	reason    string
	truncated bool
}

const maxDepth = 10000 // as encoding/json

// decodeState decodes data, which must be one JSON object and nothing after it. The records
// skip names (when it is not nil) are stepped over, not decoded.
func decodeState(data []byte, skip func(addr string) bool) (*diskFile, *decodeError) {
	d := &decoder{data: data}
	f := &diskFile{}
	var seen fieldSet
	d.object("the top level", func(key string, off int) {
		if !seen.add(d, key, off) {
			return
		}
		switch key {
		case "jobs":
			if d.null() {
				return
			}
			f.Jobs = map[string]*diskJob{}
			d.object("jobs", func(addr string, off int) {
				if _, dup := f.Jobs[addr]; dup {
					d.fail(off, fmt.Sprintf("job %s appears twice", addr))
					return
				}
				d.rec = "job " + addr
				f.Jobs[addr] = d.job()
			})
			d.rec = ""
		case "lineage":
			f.Lineage = d.string("lineage")
		case "records":
			if d.null() {
				return
			}
			f.Records = map[string]*diskRecord{}
			d.object("records", func(addr string, off int) {
				if _, dup := f.Records[addr]; dup {
					d.fail(off, fmt.Sprintf("record %s appears twice", addr))
					return
				}
				if skip != nil && skip(addr) {
					d.skipRaw()
					return
				}
				d.rec = "record " + addr
				f.Records[addr] = d.record()
			})
			d.rec = ""
		case "serial":
			f.Serial = d.uint("serial")
		case "version":
			start := d.skipWS()
			d.skip()
			f.Version = data[start:d.pos]
		default:
			d.unknown(key, off)
		}
	})
	if d.err == nil {
		if off := d.skipWS(); off < len(data) {
			d.fail(off, "unexpected data after the end of the state's JSON object")
		}
	}
	return f, d.err
}

func (d *decoder) record() *diskRecord {
	if d.null() {
		return nil
	}
	r := &diskRecord{}
	var seen fieldSet
	d.object(d.rec, func(key string, off int) {
		if !seen.add(d, key, off) {
			return
		}
		switch key {
		case "cost":
			if !d.null() {
				c := d.float("cost")
				r.Cost = &c
			}
		case "generated_at":
			r.GeneratedAt = d.string(key)
		case "input_hash":
			r.InputHash = d.string(key)
		case "job_id":
			r.JobID = d.string(key)
		case "kind":
			r.Kind = d.string(key)
		case "model":
			r.Model = d.string(key)
		case "output":
			r.Output = d.output()
		case "provider":
			r.Provider = d.string(key)
		case "request":
			if !d.null() {
				if d.peek() != '{' {
					d.typeError("request", "an object")
					return
				}
				r.Request, _ = d.value().(map[string]any)
			}
		case "revised_prompt":
			r.RevisedPrompt = d.string(key)
		case "text":
			r.Text = d.string(key)
		case "usage":
			if d.null() {
				return
			}
			u := &diskUsage{}
			var seen fieldSet
			d.object("usage", func(key string, off int) {
				if !seen.add(d, key, off) {
					return
				}
				switch key {
				case "completion_tokens":
					u.CompletionTokens = d.int("usage." + key)
				case "prompt_tokens":
					u.PromptTokens = d.int("usage." + key)
				case "total_tokens":
					u.TotalTokens = d.int("usage." + key)
				default:
					d.unknown(key, off)
				}
			})
			r.Usage = u
		default:
			d.unknown(key, off)
		}
	})
	return r
}

func (d *decoder) output() *diskOutput {
	if d.null() {
		return nil
	}
	o := &diskOutput{}
	var seen fieldSet
	d.object("output", func(key string, off int) {
		if !seen.add(d, key, off) {
			return
		}
		switch key {
		case "height":
			o.Height = int(d.int("output.height"))
		case "media_type":
			o.MediaType = d.string("output.media_type")
		case "path":
			o.Path = d.string("output.path")
		case "seconds":
			o.Seconds = d.float("output.seconds")
		case "sha256":
			o.SHA256 = d.string("output.sha256")
		case "size":
			o.Size = d.int("output.size")
		case "width":
			o.Width = int(d.int("output.width"))
		default:
			d.unknown(key, off)
		}
	})
	return o
}

func (d *decoder) job() *diskJob {
	if d.null() {
		return nil
	}
	j := &diskJob{}
	var seen fieldSet
	d.object(d.rec, func(key string, off int) {
		if !seen.add(d, key, off) {
			return
		}
		switch key {
		case "input_hash":
			j.InputHash = d.string(key)
		case "job_id":
			j.JobID = d.string(key)
		case "provider":
			j.Provider = d.string(key)
		case "started_at":
			j.StartedAt = d.string(key)
		case "url":
			j.URL = d.string(key)
		default:
			d.unknown(key, off)
		}
	})
	return j
}

// fieldSet catches a key given twice in one object.
type fieldSet struct{ keys []string }

func (s *fieldSet) add(d *decoder, key string, off int) bool {
	for _, k := range s.keys {
		if k == key {
			d.fail(off, fmt.Sprintf("%s: %q appears twice", d.where(), key))
			return false
		}
	}
	s.keys = append(s.keys, key)
	return true
}

func (d *decoder) where() string {
	if d.rec == "" {
		return "the state"
	}
	return d.rec
}

// --- errors ---

func (d *decoder) fail(off int, reason string) {
	if d.err == nil {
		d.err = &decodeError{off: off, reason: reason}
	}
}

func (d *decoder) truncated() {
	if d.err == nil {
		d.err = &decodeError{off: len(d.data), truncated: true}
	}
}

func (d *decoder) syntax(expected string) {
	if d.pos >= len(d.data) {
		d.truncated()
		return
	}
	d.fail(d.pos, fmt.Sprintf("not valid JSON: unexpected %s, expected %s", quoteByte(d.data[d.pos]), expected))
}

func quoteByte(c byte) string {
	switch c {
	case '\n', '\r':
		return "line break"
	case '\t':
		return "tab"
	}
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return strconv.QuoteRune(rune(c))
}

func (d *decoder) unknown(key string, off int) {
	d.fail(off, fmt.Sprintf("unknown field %q in %s: it is not part of state version %d (edited by hand, or written by another genform?)", key, d.where(), Version))
}

// typeError reports the value at d.pos, which is not what field needs.
func (d *decoder) typeError(field, want string) {
	var found string
	switch c := d.peek(); {
	case c == '{':
		found = "an object"
	case c == '[':
		found = "an array"
	case c == '"':
		found = "a string"
	case c == 't' || c == 'f':
		found = "true or false"
	case c == 'n':
		found = "null"
	case c == '-' || (c >= '0' && c <= '9'):
		found = "the number " + string(d.numberText())
	default:
		d.syntax("a value")
		return
	}
	where := ""
	if d.rec != "" {
		where = d.rec + ": "
	}
	d.fail(d.pos, fmt.Sprintf("%s%s holds %s where the state needs %s", where, field, found, want))
}
