package engine

import (
	"maps"
	"math/big"
	"path"
	"slices"
	"sort"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/schema"
	"github.com/zclconf/go-cty/cty"
)

// fileAttrs are the request attributes that name input files. Their content, not their
// name, enters the input hash.
var fileAttrs = map[string]bool{"references": true, "mask": true, "reference": true}

// request is one instance's resolved request, as far as it is known.
type request struct {
	req     *providers.Request // known values set; unknown ones left zero
	fields  map[string]any     // known attributes as JSON values (what state records)
	unknown []string           // attributes whose values are known only after apply
	path    string             // the output path, "" when none or unknown
	files   []string           // every input file by project-relative name: file attributes and files read by functions
}

func (r *request) known() bool { return len(r.unknown) == 0 }

// newRequest turns schema's resolved attributes into a provider request.
func newRequest(kind string, res *schema.Resolved) *request {
	r := &request{
		req:    &providers.Request{Kind: providers.Kind(kind)},
		fields: make(map[string]any, len(res.Attrs)),
	}
	q := r.req
	for _, name := range slices.Sorted(maps.Keys(res.Attrs)) {
		v, ok := jsonValue(res.Attrs[name])
		if !ok {
			r.unknown = append(r.unknown, name)
			continue
		}
		if v == nil {
			continue // null: as if not set
		}
		switch name {
		case "path":
			r.path = path.Clean(v.(string))
			q.OutputPath = r.path
			continue
		case "model":
			q.Model = v.(string)
			continue
		}
		r.fields[name] = v
		switch name {
		case "prompt":
			q.Prompt = v.(string)
		case "system":
			q.System = v.(string)
		case "temperature":
			q.Temperature = floatPtr(v)
		case "top_p":
			q.TopP = floatPtr(v)
		case "presence_penalty":
			q.PresencePenalty = floatPtr(v)
		case "frequency_penalty":
			q.FrequencyPenalty = floatPtr(v)
		case "max_tokens":
			q.MaxTokens = intPtr(v)
		case "seed":
			q.Seed = intPtr(v)
		case "aspect_ratio":
			q.AspectRatio = v.(string)
		case "resolution":
			q.Resolution = v.(string)
		case "size":
			q.Size = v.(string)
		case "quality":
			q.Quality = v.(string)
		case "background":
			q.Background = v.(string)
		case "style":
			q.Style = v.(string)
		case "output_format":
			q.OutputFormat = v.(string)
		case "seconds":
			if n := intPtr(v); n != nil {
				q.Seconds = int(*n)
			}
		case "mask":
			q.Mask = &providers.File{Name: cleanName(v.(string))}
		case "reference":
			q.Reference = &providers.File{Name: cleanName(v.(string))}
		case "references":
			for _, e := range v.([]any) {
				if s, ok := e.(string); ok {
					q.References = append(q.References, providers.File{Name: cleanName(s)})
				}
			}
		case "options":
			if m, ok := v.(map[string]any); ok {
				q.Options = m
			}
		}
	}
	if len(res.Shots) > 0 {
		shots := make([]any, 0, len(res.Shots))
		known := true
		for _, s := range res.Shots {
			d, okd := jsonValue(s.Duration)
			sc, oks := jsonValue(s.Scene)
			if !okd || !oks {
				known = false
				continue
			}
			shot := providers.Shot{}
			if f, ok := number(d); ok {
				shot.Duration = f
			}
			shot.Scene, _ = sc.(string)
			q.Shots = append(q.Shots, shot)
			shots = append(shots, map[string]any{"duration": d, "scene": sc})
		}
		if known {
			r.fields["shots"] = shots
		} else {
			q.Shots = nil
			r.unknown = append(r.unknown, "shots")
		}
	}
	for _, f := range q.References {
		r.files = append(r.files, f.Name)
	}
	if q.Mask != nil {
		r.files = append(r.files, q.Mask.Name)
	}
	if q.Reference != nil {
		r.files = append(r.files, q.Reference.Name)
	}
	r.files = append(r.files, res.Files...)
	sort.Strings(r.unknown)
	return r
}

func cleanName(s string) string { return path.Clean(s) }

func floatPtr(v any) *float64 {
	f, ok := number(v)
	if !ok {
		return nil
	}
	return &f
}

func intPtr(v any) *int64 {
	f, ok := number(v)
	if !ok {
		return nil
	}
	i, _ := big.NewFloat(f).Int64()
	return &i
}

// keyValue is an instance key as a JSON value: nil, a whole number, or a string.
func keyValue(k cty.Value) any {
	if k == cty.NilVal {
		return nil
	}
	v, _ := jsonValue(k)
	return v
}
