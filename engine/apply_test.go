package engine

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/providers"
)

// independents declares n images that depend on nothing.
func independents(n int) string {
	var b strings.Builder
	b.WriteString("provider \"fake\" {}\n")
	fmt.Fprintf(&b, "image \"many\" {\n  count = %d\n  model = \"m\"\n  prompt = \"many ${count.index}\"\n  path = \"out/many-${count.index}.png\"\n}\n", n)
	return b.String()
}

func TestApplyParallelismLimit(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": independents(40)})
	p.fake.latency = 5 * time.Millisecond
	sum := p.apply(p.plan(Options{}), ApplyOptions{Parallelism: 4})
	if sum.Generated != 40 {
		t.Fatalf("generated %d of 40", sum.Generated)
	}
	if m := p.fake.maxRunning.Load(); m > 4 || m < 2 {
		t.Errorf("at most %d generations at once, want between 2 and the limit 4", m)
	}
}

func TestApplyDependencyOrder(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": chain})
	sum := p.apply(p.plan(Options{}), ApplyOptions{Parallelism: 8})
	if sum.Generated != 5 || sum.Failed != 0 {
		t.Fatalf("summary %+v", sum)
	}
	pos := map[string]int{}
	for i, prompt := range p.fake.order {
		pos[prompt] = i
	}
	if !(pos["tagline for Acme"] < pos["reply to tagline for Acme at dawn"] && pos["reply to tagline for Acme at dawn"] < pos["teaser"]) {
		t.Errorf("order %v", p.fake.order)
	}
	// the downstream prompt was evaluated with the real upstream text
	if p.fake.callsFor("reply to tagline for Acme at dusk") != 1 {
		t.Errorf("calls %v", p.fake.calls)
	}
	// the teaser's reference is the dawn image's content
	teaser := p.st.Records["video.teaser"]
	dawn := p.st.Records[`image.hero["dawn"]`]
	if teaser == nil || dawn == nil || teaser.Request["reference"] != dawn.Output.Path {
		t.Fatalf("teaser %+v", teaser)
	}
}

// A waiting instance must not hold a slot: with 2 slots, one held by a blocked generation and
// its dependent waiting, every independent instance still runs through the free slot.
func TestApplyWaitingHoldsNoSlot(t *testing.T) {
	cfg := `
provider "fake" {}
chat "slow" {
  model  = "m"
  prompt = "slow"
}
chat "after" {
  model  = "m"
  prompt = "after ${chat.slow.text}"
}
` + strings.TrimPrefix(independents(10), "provider \"fake\" {}\n")
	p := newProject(t, map[string]string{"main.gen.hcl": cfg})
	release := make(chan struct{})
	p.fake.hold["slow"] = release
	plan := p.plan(Options{})
	done := make(chan *Summary)
	hook := &countHook{finished: make(chan string, 100)}
	go func() { done <- p.apply(plan, ApplyOptions{Parallelism: 2, Hook: hook}) }()
	for i := 0; i < 10; i++ {
		select {
		case <-hook.finished:
		case <-time.After(20 * time.Second):
			close(release)
			t.Fatalf("only %d of 10 independents finished while chat.slow was held: a waiting instance holds a slot", i)
		}
	}
	close(release)
	sum := <-done
	if sum.Generated != 12 {
		t.Fatalf("generated %d of 12", sum.Generated)
	}
}

type countHook struct {
	NopHook
	finished chan string
}

func (h *countHook) Finished(ch *Change, o *Outcome) { h.finished <- ch.Addr }

func TestApplyFailureIsolation(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": chain})
	p.fake.fail["tagline for Acme"] = &providers.Error{Class: providers.Permanent, Status: 400, Message: "prompt rejected"}
	sum := p.apply(p.plan(Options{}), ApplyOptions{})
	if sum.Failed != 1 || sum.Skipped != 3 || sum.Generated != 1 {
		t.Fatalf("summary %+v, want 1 failed, 3 skipped (hero x2, teaser), 1 generated (icon)", sum)
	}
	if len(sum.Failures) != 1 || sum.Failures[0].Addr != "chat.tagline" || !strings.Contains(sum.Failures[0].Err.Error(), "prompt rejected") {
		t.Errorf("failures %+v", sum.Failures)
	}
	if p.st.Records["image.icon"] == nil || p.st.Records["chat.tagline"] != nil {
		t.Errorf("records %v", p.st.Records)
	}
	// the next apply generates only what did not finish
	delete(p.fake.fail, "tagline for Acme")
	sum = p.apply(p.plan(Options{}), ApplyOptions{})
	if sum.Generated != 4 || p.fake.callsFor("icon") != 1 {
		t.Errorf("second apply %+v, icon calls %d", sum, p.fake.callsFor("icon"))
	}
}

func TestApplyInterrupt(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": independents(20)})
	release := make(chan struct{})
	started := make(chan struct{})
	p.fake.hold["many 0"] = release
	p.fake.started["many 0"] = started
	interrupt := make(chan struct{})
	plan := p.plan(Options{})
	done := make(chan *Summary)
	go func() { done <- p.apply(plan, ApplyOptions{Parallelism: 1, Interrupt: interrupt}) }()
	<-started
	close(interrupt) // before the slot frees: the executor must start nothing after it
	close(release)
	sum := <-done
	if sum.Generated != 1 || sum.NotStarted != 19 {
		t.Fatalf("summary %+v: want the running one finished and 19 not started", sum)
	}
	if p.st.Records["image.many[0]"] == nil {
		t.Error("the running generation was not recorded")
	}
}

func TestApplyResumesVideoJob(t *testing.T) {
	cfg := "provider \"fake\" {}\nvideo \"v\" {\n model = \"m\"\n prompt = \"film\"\n path = \"v.gif\"\n}\n"
	p := newProject(t, map[string]string{"main.gen.hcl": cfg})
	p.fake.async = true
	release := make(chan struct{})
	started := make(chan struct{})
	p.fake.hold["film"] = release
	p.fake.started["film"] = started
	interrupt := make(chan struct{})
	plan := p.plan(Options{})
	done := make(chan *Summary)
	go func() { done <- p.apply(plan, ApplyOptions{Interrupt: interrupt}) }()
	<-started
	close(interrupt) // the job id is recorded: polling stops, the job is not abandoned
	sum := <-done
	if sum.Interrupted != 1 || p.st.Jobs["video.v"] == nil {
		t.Fatalf("summary %+v, jobs %v", sum, p.st.Jobs)
	}
	close(release)
	plan = p.plan(Options{})
	ch := change(t, plan, "video.v")
	if ch.ResumeJob != "job-1" {
		t.Fatalf("plan does not resume the job: %+v", ch)
	}
	sum = p.apply(plan, ApplyOptions{})
	if sum.Generated != 1 || p.fake.jobs != 1 || len(p.fake.resumed) != 1 || p.fake.resumed[0] != "job-1" {
		t.Fatalf("summary %+v, jobs created %d, resumed %v", sum, p.fake.jobs, p.fake.resumed)
	}
	if p.st.Jobs["video.v"] != nil {
		t.Error("finished job still pending")
	}
}

func TestApplyUpstreamSameResultSkipsDownstream(t *testing.T) {
	// a regenerated chat that answers the same text leaves its dependents unchanged: the
	// image's input is the same, so it is not paid for again
	cfg := `
provider "fake" {}
chat "c" {
  model  = "m"
  prompt = "same"
  temperature = 0.5
}
image "i" {
  model  = "m"
  prompt = "${chat.c.text}"
  path   = "i.png"
}
`
	p := applied(t, map[string]string{"main.gen.hcl": cfg})
	p.write(map[string]string{"main.gen.hcl": strings.Replace(cfg, "0.5", "0.7", 1)})
	plan := p.plan(Options{})
	assertActions(t, plan, map[string]Action{"chat.c": Regenerate, "image.i": Regenerate})
	sum := p.apply(plan, ApplyOptions{})
	if sum.Generated != 1 || p.fake.callsFor("reply to same") != 1 {
		t.Fatalf("summary %+v calls %v", sum, p.fake.calls)
	}
}

func TestOutputPathEscapes(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, dir+"/link"); err != nil {
		t.Skip(err)
	}
	for _, rel := range []string{"../x.png", "/etc/x.png", "link/x.png"} {
		if _, err := InsideProject(dir, rel); err == nil {
			t.Errorf("%s: accepted", rel)
		}
	}
	if _, err := InsideProject(dir, "out/new/x.png"); err != nil {
		t.Errorf("a new folder inside: %v", err)
	}
}

// The longest chain starts first: with one slot, the head of a three-step chain runs before
// independents declared ahead of it, so the chain does not wait behind them.
func TestApplyCriticalPathFirst(t *testing.T) {
	cfg := independents(5) + `
chat "c0" {
  model  = "m"
  prompt = "c0"
}
chat "c1" {
  model  = "m"
  prompt = "c1 ${chat.c0.text}"
}
chat "c2" {
  model  = "m"
  prompt = "c2 ${chat.c1.text}"
}
`
	p := newProject(t, map[string]string{"main.gen.hcl": cfg})
	sum := p.apply(p.plan(Options{}), ApplyOptions{Parallelism: 1})
	if sum.Generated != 8 {
		t.Fatalf("summary %+v", sum)
	}
	// only the head is sure to go first: once c0's reply is in, its slot goes back while its
	// result is made durable, and an independent may take it before c1 is ready
	if p.fake.order[0] != "c0" {
		t.Errorf("order %v: the chain should start first", p.fake.order)
	}
}

// A delete frees its output path; an instance that writes the same path must wait for it, or
// the delete moves the new file into the cache and apply reports a file that is not there.
func TestApplyDeleteBeforeWriterOfSamePath(t *testing.T) {
	const cfg = `
provider "fake" {}
image "a" {
  model  = "m"
  prompt = "p"
  path   = "out/x.png"
}
`
	for _, tc := range []struct {
		name, renamed string
		want          Action
	}{
		{"renamed block restores", strings.Replace(cfg, `image "a"`, `image "b"`, 1), Restore},
		{"renamed block with a new prompt generates", strings.NewReplacer(`image "a"`, `image "b"`, `"p"`, `"q"`).Replace(cfg), Create},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := applied(t, map[string]string{"main.gen.hcl": cfg})
			p.write(map[string]string{"main.gen.hcl": tc.renamed})
			plan := p.plan(Options{})
			assertActions(t, plan, map[string]Action{"image.b": tc.want, "image.a": Delete})
			// one slot: without the ordering, image.b (first in plan order) runs first
			sum := p.apply(plan, ApplyOptions{Parallelism: 1})
			if sum.Failed != 0 || sum.Deleted != 1 {
				t.Fatalf("summary %+v", sum)
			}
			if _, err := os.Stat(p.dir + "/out/x.png"); err != nil {
				t.Fatalf("image.b's file is gone after apply: %v", err)
			}
			if plan := p.plan(Options{}); plan.HasChanges() {
				t.Errorf("changes after apply: %v", actions(plan))
			}
		})
	}
}

// A paid generation whose output cannot be put in place (here the path is a folder) fails,
// but stays findable by its input hash: the next apply restores it instead of paying again.
func TestApplyKeepsPaidResultWhenPlacingFails(t *testing.T) {
	const cfg = `
provider "fake" {}
chat "c" {
  model  = "m"
  prompt = "c"
  path   = "out/c.txt"
}
image "i" {
  model  = "m"
  prompt = "i"
  path   = "out/i.png"
}
video "v" {
  model  = "m"
  prompt = "v"
  path   = "out/v.gif"
}
`
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			testKeepsPaidResult(t, cfg, async)
		})
	}
}

func testKeepsPaidResult(t *testing.T, cfg string, async bool) {
	p := newProject(t, map[string]string{"main.gen.hcl": cfg})
	p.fake.async = async // with a job id recorded as the generation starts, as a video has
	first := p.plan(Options{})
	// a folder put where each output goes after the plan (plan refuses one that is there
	// already), so placing the paid result fails
	for _, name := range []string{"c.txt", "i.png", "v.gif"} {
		if err := os.MkdirAll(p.dir+"/out/"+name+"/in-the-way", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sum := p.apply(first, ApplyOptions{})
	if sum.Failed != 3 || p.fake.totalCalls() != 3 {
		t.Fatalf("summary %+v, calls %d: want 3 failed after 3 calls", sum, p.fake.totalCalls())
	}
	for _, name := range []string{"c.txt", "i.png", "v.gif"} {
		if err := os.RemoveAll(p.dir + "/out/" + name); err != nil {
			t.Fatal(err)
		}
	}
	plan := p.plan(Options{})
	assertActions(t, plan, map[string]Action{"chat.c": Restore, "image.i": Restore, "video.v": Restore})
	sum = p.apply(plan, ApplyOptions{})
	if sum.Restored != 3 || p.fake.totalCalls() != 3 {
		t.Fatalf("summary %+v, calls %d: want 3 restored and no new call", sum, p.fake.totalCalls())
	}
	if b, err := os.ReadFile(p.dir + "/out/c.txt"); err != nil || string(b) != "reply to c" {
		t.Errorf("out/c.txt: %q, %v", b, err)
	}
	if len(p.st.Jobs) != 0 {
		t.Errorf("jobs left in the state after their results were restored: %v", p.st.Jobs)
	}
	if plan := p.plan(Options{}); plan.HasChanges() {
		t.Errorf("changes after the restore: %v", actions(plan))
	}
}

// An instance key that HCL must escape (a literal "${") still names the same instance in the
// apply graph: the downstream waits for it and sees its real value.
func TestApplyEscapedInstanceKey(t *testing.T) {
	cfg := `
provider "fake" {}
chat "c" {
  for_each = toset(["price $${n}"])
  model    = "m"
  prompt   = "key ${each.key}"
}
chat "d" {
  model  = "m"
  prompt = "after ${chat.c["price $${n}"].text}"
}
`
	p := newProject(t, map[string]string{"main.gen.hcl": cfg})
	sum := p.apply(p.plan(Options{}), ApplyOptions{})
	if sum.Generated != 2 || sum.Failed != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if p.fake.callsFor("after reply to key price ${n}") != 1 {
		t.Errorf("calls %v", p.fake.calls)
	}
}
