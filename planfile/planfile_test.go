package planfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/providers"
)

func testPlan() *engine.Plan {
	return &engine.Plan{
		ConfigHash: "c1", Lineage: "l1", Serial: 3,
		Changes: engine.Changes{
			{Addr: "image.hero", Kind: "image", Action: engine.Create, InputHash: "h1", Path: "out/hero.png",
				Request: map[string]any{"prompt": "a fox"}, Cost: providers.Price{USD: 0.04, Known: true}},
			{Addr: "chat.tag", Kind: "chat", Action: engine.NoOp, InputHash: "h2"},
		},
	}
}

func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.bin")
	f := New(testPlan())
	f.Genform = "test"
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.ConfigHash != "c1" || got.Serial != 3 || len(got.Changes) != 2 || got.Changes[0].Action != engine.Create ||
		got.Changes[0].InputHash() != "h1" || *got.Changes[0].Cost != 0.04 || got.Changes[0].After.Request["prompt"] != "a fox" {
		t.Errorf("read back %+v", got)
	}
	if err := Check(got, testPlan()); err != nil {
		t.Errorf("the same plan is stale: %v", err)
	}
	ch := got.Changes[0].Engine()
	if ch.Addr != "image.hero" || ch.Action != engine.Create || !ch.Cost.Known || ch.Path != "out/hero.png" {
		t.Errorf("Engine() = %+v", ch)
	}
}

func TestCheckStale(t *testing.T) {
	saved := New(testPlan())
	for name, edit := range map[string]func(p *engine.Plan){
		"config":  func(p *engine.Plan) { p.ConfigHash = "c2" },
		"serial":  func(p *engine.Plan) { p.Serial = 4 },
		"changes": func(p *engine.Plan) { p.Changes = p.Changes[:1] },
		"input":   func(p *engine.Plan) { p.Changes[0].InputHash = "h9" },
		"action":  func(p *engine.Plan) { p.Changes[1].Action = engine.Regenerate },
	} {
		p := testPlan()
		edit(p)
		if err := Check(saved, p); !errors.Is(err, ErrStale) {
			t.Errorf("%s changed: Check = %v, want ErrStale", name, err)
		}
	}
}

func TestReadRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"not json": "PK\x03\x04", "other version": `{"version":2,"config_hash":"c"}`, "no hash": `{"version":1}`,
	} {
		path := filepath.Join(dir, "p")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "saved plan") {
			t.Errorf("%s: Read = %v, want a refusal", name, err)
		}
	}
}
