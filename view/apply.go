package view

import (
	"fmt"

	"github.com/genform/genform/engine"
)

// Apply shows an apply: the plan and a question on a terminal, then the progress and the
// summary; with -json, one JSON object per line and no plan.
type Apply interface {
	// NoChanges says there is nothing to do.
	NoChanges()
	// Plan shows the plan about to be applied.
	Plan(cs engine.Changes)
	// Progress is the hook that shows the progress of total changes; call Done after.
	Progress(total int) engine.Hook
	// Done stops the progress view.
	Done()
	// Summary says how the apply went.
	Summary(s *engine.Summary)
	// Gallery says where the review page was written.
	Gallery(path string)
}

// NewApply is the apply view a command chose: JSON lines, a live terminal view, or plain
// lines for a log.
func NewApply(v *View, asJSON bool) Apply {
	if asJSON {
		return &applyJSON{v: v}
	}
	return &applyText{v: v}
}

type applyText struct {
	v   *View
	tty *ttyHook
}

func (a *applyText) NoChanges()             { fmt.Fprintln(a.v.Stdout, "No changes. Everything is up to date.") }
func (a *applyText) Plan(cs engine.Changes) { renderPlan(a.v.Stdout, cs, a.v.color) }
func (a *applyText) Gallery(path string)    { fmt.Fprintf(a.v.Stdout, "Gallery: %s\n", path) }

func (a *applyText) Progress(total int) engine.Hook {
	if IsTerminal(a.v.Stdout) {
		a.tty = newTTYHook(a.v.Stdout, total)
		return a.tty
	}
	fmt.Fprintln(a.v.Stdout)
	return newLineHook(a.v.Stdout)
}

func (a *applyText) Done() {
	if a.tty != nil {
		a.tty.Close()
	}
}

func (a *applyText) Summary(s *engine.Summary) {
	w := a.v.Stdout
	fmt.Fprintln(w)
	if s.Failed == 0 && s.Interrupted == 0 && s.NotStarted == 0 && s.Skipped == 0 {
		fmt.Fprintf(w, "Apply complete! %d generated, %d restored, %s%d deleted, 0 failed. Cost: %s.\n",
			s.Generated, s.Restored, MovesText(s.Moved, "moved"), s.Deleted, CostText(s.Cost, s.CostUnknown))
		a.ambiguous(s)
		return
	}
	word := "failed"
	if s.Failed == 0 {
		word = "stopped"
	}
	fmt.Fprintf(w, "Apply %s: %d generated, %d restored, %s%d deleted, %d failed, %d skipped", word,
		s.Generated, s.Restored, MovesText(s.Moved, "moved"), s.Deleted, s.Failed, s.Skipped)
	if s.Interrupted+s.NotStarted > 0 {
		fmt.Fprintf(w, ", %d interrupted, %d not started", s.Interrupted, s.NotStarted)
	}
	fmt.Fprintf(w, ". Cost: %s.\n", CostText(s.Cost, s.CostUnknown))
	a.ambiguous(s)
	for _, f := range s.Failures {
		a.v.Errorf("%s: %v", f.Addr, f.Err)
	}
	if s.Interrupted+s.NotStarted > 0 {
		fmt.Fprintln(w, "Run genform apply again to finish; recorded video jobs are resumed, not paid again.")
	}
}

// RunnerDone is a runner's last line, what it did in the run, worded as apply's summary.
func (v *View) RunnerDone(runner string, run int64, s *engine.Summary) {
	fmt.Fprintf(v.Stdout, "\nRunner %s done with run %d: %d generated, %d restored, %s%d deleted, %d failed. Cost: %s.\n",
		runner, run, s.Generated, s.Restored, MovesText(s.Moved, "moved"), s.Deleted, s.Failed, CostText(s.Cost, s.CostUnknown))
}

// ambiguous says what paid attempts without a complete reply may have cost, on top of Cost.
func (a *applyText) ambiguous(s *engine.Summary) {
	if s.Ambiguous == 0 {
		return
	}
	usd := fmt.Sprintf("$%.2f", s.AmbiguousCost)
	if s.AmbiguousUnknown > 0 {
		usd = CostText(s.AmbiguousCost, s.AmbiguousUnknown)
	}
	plural := "s"
	if s.Ambiguous == 1 {
		plural = ""
	}
	fmt.Fprintf(a.v.Stdout, "Also possibly charged %s for %d paid attempt%s that got no complete reply (a timeout, a reset or a 5xx): the gateway may have billed them; they count against budget.\n",
		usd, s.Ambiguous, plural)
}

type applyJSON struct{ v *View }

func (a *applyJSON) NoChanges() {
	a.v.JSONLine(map[string]any{"type": "summary", "changes": false})
}
func (a *applyJSON) Plan(engine.Changes)      {}
func (a *applyJSON) Progress(int) engine.Hook { return newJSONHook(a.v.Stdout) }
func (a *applyJSON) Done()                    {}
func (a *applyJSON) Gallery(string)           {}

func (a *applyJSON) Summary(s *engine.Summary) {
	failures := []map[string]string{}
	for _, f := range s.Failures {
		failures = append(failures, map[string]string{"address": f.Addr, "error": f.Err.Error()})
	}
	a.v.JSONLine(map[string]any{
		"type": "summary", "changes": true,
		"generated": s.Generated, "restored": s.Restored, "moved": s.Moved, "deleted": s.Deleted,
		"failed": s.Failed, "skipped": s.Skipped, "interrupted": s.Interrupted, "not_started": s.NotStarted,
		"cost_usd": s.Cost, "cost_unknown": s.CostUnknown, "failures": failures,
		"possibly_charged_usd": s.AmbiguousCost, "possibly_charged_attempts": s.Ambiguous,
		"possibly_charged_unknown": s.AmbiguousUnknown,
	})
}
