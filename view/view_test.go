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

// A runner's last line words what it did as apply's summary does: moves only when there are.
func TestRunnerDone(t *testing.T) {
	v, out, _ := newTestView()
	v.RunnerDone("vm:1", 3, &engine.Summary{Generated: 2, Restored: 1, Moved: 2, Deleted: 1, Cost: 0.26, CostUnknown: 1})
	v.RunnerDone("vm:2", 3, &engine.Summary{Generated: 1})
	want := "\nRunner vm:1 done with run 3: 2 generated, 1 restored, 2 moved, 1 deleted, 0 failed. Cost: $0.26 + 1 of unknown cost.\n" +
		"\nRunner vm:2 done with run 3: 1 generated, 0 restored, 0 deleted, 0 failed. Cost: $0.00.\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
	v, out, _ = newTestView()
	NewApply(v, false).Summary(&engine.Summary{Generated: 2, Restored: 1, Moved: 2, Deleted: 1, Cost: 0.26, CostUnknown: 1})
	if got := out.String(); !strings.Contains(got, "2 generated, 1 restored, 2 moved, 1 deleted, 0 failed. Cost: $0.26 + 1 of unknown cost.") {
		t.Errorf("apply's summary: %q", got)
	}
}
