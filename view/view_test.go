package view

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/genform/genform/engine"
)

func newTestView() (*View, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return New(&out, &errb), &out, &errb
}

func TestErrorsGoToStderr(t *testing.T) {
	v, out, errb := newTestView()
	v.Errorf("there is no output %q.", "x")
	v.Error(errors.New("boom"))
	v.Warnf("careful")
	if out.Len() != 0 {
		t.Errorf("stdout got %q", out)
	}
	want := "Error: there is no output \"x\".\nError: boom\nWarning: careful\n"
	if errb.String() != want {
		t.Errorf("stderr %q, want %q", errb, want)
	}
}

func TestPlanViewIsChosenOnce(t *testing.T) {
	changes := engine.Changes{{Addr: "image.hero", Kind: "image", Action: engine.Create, Path: "out/hero.png",
		Request: map[string]any{"prompt": "a fox"}}}

	v, out, _ := newTestView()
	text := NewPlan(v, false)
	text.Plan(changes)
	text.Saved("p.bin")
	for _, want := range []string{"# image.hero will be created", `+ prompt = "a fox"`, "Plan: 1 to create", "Saved the plan to p.bin"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text plan has no %q:\n%s", want, out)
		}
	}

	v, out, _ = newTestView()
	js := NewPlan(v, true)
	js.Plan(changes)
	js.Saved("p.bin")
	var doc PlanDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("plan -json is not one JSON document: %v\n%s", err, out)
	}
	if doc.Summary.Create != 1 || !doc.Summary.Changes || len(doc.Changes) != 1 || doc.Changes[0].Action != engine.Create {
		t.Errorf("plan -json = %+v", doc)
	}
}
