package gallery

import (
	"strings"
	"testing"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/planfile"
	"github.com/genform/genform/state"
)

// A video's changed attributes: after the apply, a value that was "known after apply" shows
// what was recorded; shots are listed shot by shot, never as raw JSON.
func TestGalleryAttrChanges(t *testing.T) {
	shots := func(scenes ...string) []any {
		var out []any
		for _, s := range scenes {
			out = append(out, map[string]any{"duration": float64(2), "scene": s})
		}
		return out
	}
	ch := &planfile.Change{Address: "video.teaser", Kind: "video", Action: engine.Regenerate, Diff: []planfile.AttrDiff{
		{Name: "reference", Before: "out/a.png", Unknown: true},
		{Name: "shots", Before: shots("Logo.", "Pan."), After: shots("Logo.", "Slow pan.", "End card.")},
	}}
	rec := &state.Record{Addr: "video.teaser", Kind: "video", Request: map[string]any{"reference": "out/b.png", "shots": shots("Logo.", "Slow pan.", "End card.")}}

	pending := strings.Join(attrChanges(ch, rec, false), "\n")
	if !strings.Contains(pending, `reference: "out/a.png" -> (known after apply)`) {
		t.Errorf("before the apply:\n%s", pending)
	}
	done := strings.Join(attrChanges(ch, rec, true), "\n")
	for _, want := range []string{
		`reference: "out/a.png" -> "out/b.png"`,
		`~ shot 2: scene = "Pan." -> "Slow pan."`,
		`+ shot 3 = {duration = 2, scene = "End card."}`,
	} {
		if !strings.Contains(done, want) {
			t.Errorf("after the apply, no %q in:\n%s", want, done)
		}
	}
	if strings.Contains(done, "known after apply") || strings.Contains(done, "[{") {
		t.Errorf("after the apply:\n%s", done)
	}

	if got, want := promptOf(rec.Request), "shot 1 (2s): Logo.\nshot 2 (2s): Slow pan.\nshot 3 (2s): End card."; got != want {
		t.Errorf("a storyboard's prompt text = %q, want %q", got, want)
	}
	if got := promptOf(map[string]any{"prompt": "p", "shots": shots("x")}); got != "p" {
		t.Errorf("a video with a prompt shows %q", got)
	}
}
