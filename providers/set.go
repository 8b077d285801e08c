package providers

import (
	"math/big"
	"path"
)

// setters fill a Request's field from a request attribute's JSON value (string, float64,
// []any, map[string]any), one row per attribute of asset's table that a request carries.
// TestSettersCoverAssetAttrs checks that every such attribute has one.
var setters = map[string]func(r *Request, v any){
	"prompt":            func(r *Request, v any) { r.Prompt, _ = v.(string) },
	"system":            func(r *Request, v any) { r.System, _ = v.(string) },
	"temperature":       func(r *Request, v any) { r.Temperature = floatOf(v) },
	"top_p":             func(r *Request, v any) { r.TopP = floatOf(v) },
	"presence_penalty":  func(r *Request, v any) { r.PresencePenalty = floatOf(v) },
	"frequency_penalty": func(r *Request, v any) { r.FrequencyPenalty = floatOf(v) },
	"max_tokens":        func(r *Request, v any) { r.MaxTokens = intOf(v) },
	"seed":              func(r *Request, v any) { r.Seed = intOf(v) },
	"aspect_ratio":      func(r *Request, v any) { r.AspectRatio, _ = v.(string) },
	"resolution":        func(r *Request, v any) { r.Resolution, _ = v.(string) },
	"size":              func(r *Request, v any) { r.Size, _ = v.(string) },
	"quality":           func(r *Request, v any) { r.Quality, _ = v.(string) },
	"background":        func(r *Request, v any) { r.Background, _ = v.(string) },
	"style":             func(r *Request, v any) { r.Style, _ = v.(string) },
	"output_format":     func(r *Request, v any) { r.OutputFormat, _ = v.(string) },
	"seconds": func(r *Request, v any) {
		if n := intOf(v); n != nil {
			r.Seconds = int(*n)
		}
	},
	"mask":      func(r *Request, v any) { r.Mask = fileOf(v) },
	"reference": func(r *Request, v any) { r.Reference = fileOf(v) },
	"references": func(r *Request, v any) {
		list, _ := v.([]any)
		for _, e := range list {
			if f := fileOf(e); f != nil {
				r.References = append(r.References, *f)
			}
		}
	},
	"options": func(r *Request, v any) {
		if m, ok := v.(map[string]any); ok {
			r.Options = m
		}
	},
}

// Set fills the field of request attribute name from its JSON value; it reports false for an
// attribute a Request does not carry.
func (r *Request) Set(name string, v any) bool {
	set, ok := setters[name]
	if ok {
		set(r, v)
	}
	return ok
}

// Files lists the input files the request names, by project-relative name: references,
// then the mask, then the video reference.
func (r *Request) Files() []string {
	var out []string
	for _, f := range r.References {
		out = append(out, f.Name)
	}
	if r.Mask != nil {
		out = append(out, r.Mask.Name)
	}
	if r.Reference != nil {
		out = append(out, r.Reference.Name)
	}
	return out
}

func fileOf(v any) *File {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	return &File{Name: path.Clean(s)}
}

// number is a JSON number as a float64: engine gives whole numbers as int64, others as
// float64.
func number(v any) (float64, bool) {
	if n, ok := v.(int64); ok {
		return float64(n), true
	}
	f, ok := v.(float64)
	return f, ok
}

func floatOf(v any) *float64 {
	f, ok := number(v)
	if !ok {
		return nil
	}
	return &f
}

func intOf(v any) *int64 {
	f, ok := number(v)
	if !ok {
		return nil
	}
	i, _ := big.NewFloat(f).Int64()
	return &i
}
