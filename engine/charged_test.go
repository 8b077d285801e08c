package engine

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/genform/genform/providers"
)

// chargingProvider reports ambiguous attempts (sent, no complete reply) before it generates,
// as the gateway client does, and gives up when the job refuses another attempt.
type chargingProvider struct {
	*fakeProvider
	attempts map[string]int // by prompt
}

func (c *chargingProvider) Generate(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	for range c.attempts[req.Prompt] {
		if err := job.PossiblyCharged(); err != nil {
			return nil, &providers.Error{Class: providers.Permanent, Message: "timeout; not sent again: " + err.Error()}
		}
	}
	return c.fakeProvider.Generate(ctx, req, job)
}

func TestApplyCountsPossiblyCharged(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": `
genform { budget = 0.5 }
provider "fake" {}
image "a" {
  count  = 3
  model  = "m"
  prompt = "a ${count.index}"
  path   = "out/a-${count.index}.png"
}
`})
	prov := &chargingProvider{fakeProvider: p.fake, attempts: map[string]int{"a 0": 1, "a 1": 5}}
	plan := p.plan(Options{Providers: map[string]providers.Provider{"fake": prov}})
	hook := &outcomes{got: map[string]*Outcome{}}
	sum := p.apply(plan, ApplyOptions{Parallelism: 1, Hook: hook})
	// The plan is $0.30. a[0]'s attempt may have cost $0.10 (worst case $0.50 with one more,
	// within the budget); a[1]'s first attempt makes that $0.50 and a second would be $0.60:
	// refused.
	if sum.Generated != 2 || sum.Failed != 1 {
		t.Fatalf("summary %+v, want 2 generated and a[1] failed", sum)
	}
	if sum.Ambiguous != 2 || sum.AmbiguousCost < 0.199 || sum.AmbiguousCost > 0.201 || sum.AmbiguousUnknown != 0 {
		t.Errorf("possibly charged %d attempts, $%.2f; want 2, $0.20", sum.Ambiguous, sum.AmbiguousCost)
	}
	if o := hook.got["image.a[0]"]; o == nil || o.Status != Done || o.Ambiguous != 1 || !o.AmbiguousCost.Known || o.AmbiguousCost.USD != 0.10 {
		t.Errorf("a[0]: %+v", o)
	}
	if o := hook.got["image.a[1]"]; o == nil || o.Status != Failed || o.Ambiguous != 1 ||
		!strings.Contains(o.Err.Error(), "above the budget of $0.50") {
		t.Errorf("a[1]: %+v", o)
	}
	if o := hook.got["image.a[2]"]; o == nil || o.Ambiguous != 0 {
		t.Errorf("a[2]: %+v", o)
	}
}

type outcomes struct {
	NopHook
	mu  sync.Mutex
	got map[string]*Outcome
}

func (h *outcomes) Finished(ch *Change, o *Outcome) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got[ch.Addr] = o
}
