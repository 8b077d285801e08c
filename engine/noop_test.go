package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/state"
)

// A no-op record holds only while each thing it covers is the same: the state, an output, the
// outputs file beside it, an environment variable.
func TestNoopRecordHolds(t *testing.T) {
	p := applied(t, map[string]string{"main.gen.hcl": chain})
	cfg := p.load()
	plan, diags := NewPlan(cfg, p.st, p.cache, Options{Providers: map[string]providers.Provider{"fake": p.fake}, Stat: p.stat})
	if diags.HasErrors() {
		t.Fatalf("plan: %v", diags)
	}
	if plan.HasChanges() {
		t.Fatalf("changes after apply: %v", actions(plan))
	}
	env := map[string]string{"A": "1"}
	getenv := func(n string) (string, bool) { v, ok := env[n]; return v, ok }
	if _, err := state.Write(filepath.Join(p.dir, "genform.state.json"), p.st, ""); err != nil {
		t.Fatal(err)
	}
	stateSHA, err := hashFile(filepath.Join(p.dir, "genform.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	rec, ok := NewNoopRecord("k", cfg, plan, stateSHA, []string{"A"}, getenv)
	if !ok || len(rec.Outputs) == 0 {
		t.Fatalf("no record (%v) or no outputs", ok)
	}
	if len(rec.Paths) != 0 { // each output's contents are checked: no stat of its path besides
		t.Errorf("the plan's record keeps output paths its outputs cover: %v", rec.Paths)
	}
	if valid, ok := NewValidRecord("k", cfg, nil, getenv); !ok || len(valid.Paths) != len(rec.Outputs) {
		t.Errorf("validate's record covers the output paths %v, want %d of them", valid.Paths, len(rec.Outputs))
	}
	path := filepath.Join(p.dir, ".genform", "noop.json")
	if err := WriteNoopRecord(path, rec); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(p.dir, ".genform", "journal.jsonl")
	holds := func() bool {
		stat, err := state.OpenStatCache(filepath.Join(t.TempDir(), "stat.cache"))
		if err != nil {
			t.Fatal(err)
		}
		return ReadNoopRecord(path).Holds(p.dir, "k", journal, stat, getenv)
	}
	if !holds() {
		t.Fatal("a fresh record does not hold")
	}
	if err := WriteNoopRecord(path, ReadNoopRecord(path)); err == nil {
		t.Fatal("a record read without its outputs was written again")
	}
	for _, c := range []struct {
		name   string
		change func() (undo func())
	}{
		{"another key", func() func() {
			rec.Key = "other"
			WriteNoopRecord(path, rec)
			return func() { rec.Key = "k"; WriteNoopRecord(path, rec) }
		}},
		{"environment", func() func() { env["A"] = "2"; return func() { env["A"] = "1" } }},
		{"journal", func() func() {
			os.WriteFile(journal, nil, 0o644)
			return func() { os.Remove(journal) }
		}},
		{"outputs file", func() func() {
			b, _ := os.ReadFile(path + ".outputs")
			os.WriteFile(path+".outputs", append([]byte("1 x out/y.png\n"), b...), 0o644)
			return func() { os.WriteFile(path+".outputs", b, 0o644) }
		}},
		{"output", func() func() {
			out := filepath.Join(p.dir, rec.Outputs[0].Path)
			b, _ := os.ReadFile(out)
			os.Remove(out)
			return func() { os.WriteFile(out, b, 0o644) }
		}},
		{"state", func() func() {
			st := filepath.Join(p.dir, "genform.state.json")
			b, _ := os.ReadFile(st)
			os.WriteFile(st, append(b, ' '), 0o644)
			return func() { os.WriteFile(st, b, 0o644) }
		}},
	} {
		undo := c.change()
		if holds() {
			t.Errorf("%s changed, and the record still holds", c.name)
		}
		undo()
		if !holds() {
			t.Fatalf("%s changed back, and the record does not hold", c.name)
		}
	}
}
