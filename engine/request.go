package engine

import (
	"fmt"
	"maps"
	"math"
	"path"
	"slices"
	"sort"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/schema"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// request is one instance's resolved request, as far as it is known.
type request struct {
	req     *providers.Request // known values set; unknown ones left zero
	fields  map[string]any     // known attributes as JSON values (what state records)
	unknown []string           // attributes whose values are known only after apply
	path    string             // the output path, "" when none or unknown
	files   []string           // every input file by project-relative name: file attributes and files read by functions
	// infinite lists the attributes (shot: the storyboard shot's index, else -1) that hold an
	// infinite number (1/0, 1e400): no JSON, so no input hash and no state file, can hold one.
	infinite []badNumber
}

type badNumber struct {
	attr string
	shot int
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
		if !finite(v) {
			r.infinite = append(r.infinite, badNumber{attr: name, shot: -1})
			continue
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
		q.Set(name, v) // asset's table says which attributes exist; providers fill the field
	}
	if len(res.Shots) > 0 {
		shots := make([]any, 0, len(res.Shots))
		known := true
		for i, s := range res.Shots {
			d, okd := jsonValue(s.Duration)
			sc, oks := jsonValue(s.Scene)
			if !okd || !oks {
				known = false
				continue
			}
			if !finite(d) {
				r.infinite = append(r.infinite, badNumber{attr: "duration", shot: i})
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
	r.files = append(q.Files(), res.Files...)
	sort.Strings(r.unknown)
	return r
}

// finite reports whether every number in a JSON value is finite.
func finite(v any) bool {
	switch x := v.(type) {
	case float64:
		return !math.IsInf(x, 0) && !math.IsNaN(x)
	case []any:
		for _, e := range x {
			if !finite(e) {
				return false
			}
		}
	case map[string]any:
		for _, e := range x {
			if !finite(e) {
				return false
			}
		}
	}
	return true
}

// infiniteDiags reports the infinite numbers of an instance's request at the attribute (or
// shot duration) that holds them.
func infiniteDiags(si *schema.Instance, bad []badNumber) hcl.Diagnostics {
	var diags hcl.Diagnostics
	a := si.Asset
	for _, b := range bad {
		subject := a.DeclRange
		what := b.attr
		switch {
		case b.shot >= 0 && b.shot < len(a.Shots):
			subject = a.Shots[b.shot].Duration.Range()
			what = fmt.Sprintf("the duration of shot %d", b.shot+1)
		case a.Attrs[b.attr] != nil:
			subject = a.Attrs[b.attr].Expr.Range()
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Number out of range",
			Detail:   fmt.Sprintf("%s: %s holds an infinite number (a division by zero, or a number beyond 1.8e308). Give a finite number.", si.Addr, what),
			Subject:  &subject,
		})
	}
	return diags
}

// keyValue is an instance key as a JSON value: nil, a whole number, or a string.
func keyValue(k cty.Value) any {
	if k == cty.NilVal {
		return nil
	}
	v, _ := jsonValue(k)
	return v
}
