package providers

import (
	"testing"

	"github.com/genform/genform/asset"
)

// Every request attribute of asset's table reaches the Request: a new attribute without a
// setter fails here, not silently at apply.
func TestSettersCoverAssetAttrs(t *testing.T) {
	for _, a := range asset.Attrs() {
		if _, ok := setters[a.Name]; ok == a.Meta {
			t.Errorf("attribute %s: setter %v, meta %v; every attribute a request carries needs one setter", a.Name, ok, a.Meta)
		}
	}
	if len(setters) != len(asset.Attrs())-2 {
		t.Errorf("%d setters for %d attributes (model and path are set apart)", len(setters), len(asset.Attrs()))
	}
}

func TestRequestSet(t *testing.T) {
	var r Request
	for name, v := range map[string]any{
		"prompt": "a fox", "temperature": 0.5, "max_tokens": int64(64), "seconds": 4.0,
		"references": []any{"in/./a.png", "in/b.png"}, "mask": "in/../m.png", "reference": "r.png",
		"options": map[string]any{"k": "v"},
	} {
		if !r.Set(name, v) {
			t.Errorf("Set(%s) = false", name)
		}
	}
	if r.Set("model", "m") || r.Set("nonsense", 1) {
		t.Error("Set took an attribute a request does not carry")
	}
	if r.Prompt != "a fox" || *r.Temperature != 0.5 || *r.MaxTokens != 64 || r.Seconds != 4 || r.Options["k"] != "v" {
		t.Errorf("Set filled %+v", r)
	}
	if got := r.Files(); len(got) != 4 || got[0] != "in/a.png" || got[1] != "in/b.png" || got[2] != "m.png" || got[3] != "r.png" {
		t.Errorf("Files() = %q", got)
	}
}
