package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/genform/genform/state"
)

// A Plan built by hand (as show once did from a saved plan) is refused by Apply before
// anything starts, instead of crashing on the planner it does not have.
func TestApplyRefusesHandMadePlan(t *testing.T) {
	for _, plan := range []*Plan{
		nil,
		{Changes: Changes{{Addr: "image.hero", Kind: "image", Action: Create, Path: "out/hero.png"}}},
	} {
		st := state.New()
		sum, err := Apply(context.Background(), plan, st, ApplyOptions{Journal: nil})
		if !errors.Is(err, ErrNotPlanned) || sum != nil {
			t.Errorf("Apply(%v) = %v, %v; want ErrNotPlanned", plan, sum, err)
		}
		if len(st.Records) != 0 {
			t.Errorf("a refused plan recorded %d instances", len(st.Records))
		}
	}
}

// ApplyMoves records a plan's moves and nothing else: the state has the moved record at its
// new address, and planning again there finds no move and the change still to make.
func TestApplyMovesOnly(t *testing.T) {
	if _, err := ApplyMoves(nil, state.New(), nil); !errors.Is(err, ErrNotPlanned) {
		t.Errorf("ApplyMoves(nil) = %v, want ErrNotPlanned", err)
	}
	p := applied(t, map[string]string{"main.gen.hcl": `provider "fake" {}

chat "a" {
  model  = "m-chat"
  prompt = "one"
}
`})
	p.write(map[string]string{"main.gen.hcl": `provider "fake" {}

moved {
  from = chat.a
  to   = chat.b
}

chat "b" {
  model  = "m-chat"
  prompt = "one, changed"
}
`})
	plan := p.plan(Options{})
	if len(plan.Moves) != 1 || actions(plan)["chat.b"] != Regenerate {
		t.Fatalf("moves %v, actions %v: want chat.a moved to chat.b and regenerated", plan.Moves, actions(plan))
	}
	j, err := state.OpenJournal(p.dir + "/.genform/journal.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	n, err := ApplyMoves(plan, p.st, j)
	if err != nil || n != 1 {
		t.Fatalf("ApplyMoves = %d, %v; want 1 move", n, err)
	}
	if p.st.Records["chat.a"] != nil || p.st.Records["chat.b"] == nil {
		t.Errorf("records after the move: %v", p.st.Records)
	}
	if calls := p.fake.totalCalls(); calls != 1 {
		t.Errorf("%d generations, want the first apply's only", calls)
	}
	again := p.plan(Options{})
	if len(again.Moves) != 0 || actions(again)["chat.b"] != Regenerate {
		t.Errorf("the plan after the move: moves %v, actions %v", again.Moves, actions(again))
	}
}
