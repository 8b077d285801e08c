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
