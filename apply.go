package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/gallery"
	"github.com/genform/genform/planfile"
	"github.com/genform/genform/state"
	"github.com/genform/genform/view"
)

func cmdApply(c *cli, args []string) int {
	fs := newFlags(c, "apply", "[PLANFILE] [-auto-approve] [-parallelism N] [-json] [plan's flags]")
	pf := addPlanFlags(fs)
	auto := fs.Bool("auto-approve", false, "apply without asking for approval")
	parallelism := fs.Int("parallelism", 0, "at most `N` instances at work at once (default: the genform block's, else 8)")
	gallery := fs.Bool("gallery", false, "write the review page of what this apply changed (see genform gallery)")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 1 {
		return c.usageError(fs, "apply takes at most one argument, a saved plan")
	}
	var saved *planfile.File
	if fs.NArg() == 1 {
		var err error
		if saved, err = planfile.Read(projectPath(c.dir, fs.Arg(0))); err != nil {
			fmt.Fprintf(c.stderr, "Error: %v\n", err)
			return 1
		}
		if len(pf.targets) > 0 || len(pf.replace) > 0 {
			return c.usageError(fs, "a saved plan already holds its -target and -replace choices")
		}
		// the plan holds its -var values except secret ones, which are given again here; the
		// config hash refuses the plan if any value differs from plan time
		pf.vars.set(append(saved.Vars, pf.vars.values()...))
		pf.targets, pf.replace = saved.Targets, saved.Replace
	}

	p, ok := c.loadConfig(pf.vars.values())
	if !ok {
		return 1
	}
	lock, err := state.Lock(p.work("lock"), "apply")
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return 1
	}
	defer lock.Unlock()

	plan, ok := c.planProject(p, pf)
	if !ok {
		return 1
	}
	if saved != nil {
		if err := planfile.Check(saved, plan); err != nil {
			fmt.Fprintf(c.stderr, "Error: %v\n", err)
			return 1
		}
	}
	if !plan.HasChanges() {
		if p.journal > 0 {
			if err := c.writeState(p); err != nil {
				fmt.Fprintf(c.stderr, "Error: %v\n", err)
				return 1
			}
		}
		if pf.json {
			c.writeJSONLine(map[string]any{"type": "summary", "changes": false})
		} else {
			fmt.Fprintln(c.stdout, "No changes. Everything is up to date.")
		}
		return 0
	}
	if !pf.json {
		renderPlan(c.stdout, plan, c.color())
	}
	if saved == nil && !*auto {
		if code := c.approve(pf.json); code >= 0 {
			return code
		}
	}
	return c.apply(p, plan, applyOptions{json: pf.json, parallelism: *parallelism, gallery: *gallery})
}

type applyOptions struct {
	json        bool
	parallelism int
	gallery     bool
}

// approve asks for "yes" on a terminal; without one, or with -json (which shows no plan to
// approve), it refuses. -1 means approved.
func (c *cli) approve(jsonOut bool) int {
	if jsonOut || !isTerminal(c.stdin) {
		why := "there is no terminal to ask on"
		if jsonOut {
			why = "-json shows no plan to approve"
		}
		fmt.Fprintf(c.stderr, "\nError: apply needs approval, and %s.\n"+
			"Run 'genform apply -auto-approve', or save a plan with 'genform plan -out FILE' and run 'genform apply FILE'.\n"+
			"Nothing was generated.\n", why)
		return 1
	}
	fmt.Fprint(c.stdout, "\nDo you want to perform these actions?\n  Only 'yes' will be accepted: ")
	answer, _ := bufio.NewReader(c.stdin).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		fmt.Fprintln(c.stdout, "\nApply cancelled. Nothing was generated.")
		return 1
	}
	return -1
}

// apply runs the executor, with Ctrl-C handling and progress, then folds the journal into the
// state file.
func (c *cli) apply(p *project, plan *engine.Plan, o applyOptions) int {
	jsonOut, parallelism := o.json, o.parallelism
	// An interrupted apply's journal is folded into the state first, so this apply's journal
	// starts empty.
	if p.journal > 0 {
		if err := c.writeState(p); err != nil {
			fmt.Fprintf(c.stderr, "Error: %v\n", err)
			return 1
		}
	}
	if parallelism <= 0 {
		parallelism = p.cfg.Settings.Parallelism
	}
	if os.Getenv("GOGC") == "" {
		// apply waits on the network, not the CPU: collect garbage sooner and keep the
		// process small (10,000 instances: 88-96 MB peak instead of 104-114 MB)
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	// This apply holds the lock, so nothing else writes in tmp: what is there is a partial
	// download an earlier, killed apply left (finished work is renamed out of it).
	tmp := p.work("tmp")
	if err := os.RemoveAll(tmp); err != nil {
		fmt.Fprintf(c.stderr, "Error: clearing %s: %v\n", tmp, err)
		return 1
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return 1
	}
	journal, err := state.OpenJournal(p.journalPath())
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return 1
	}

	interrupt := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		fmt.Fprintln(c.stderr, "\nInterrupt received: starting nothing new, letting running requests finish. Press Ctrl-C again to stop at once (state stays intact).")
		close(interrupt)
		if _, ok := <-sigs; ok {
			fmt.Fprintln(c.stderr, "Stopped. What finished is recorded; run genform apply again to go on.")
			os.Exit(130) // the journal holds every finished instance, durably
		}
	}()
	defer func() {
		signal.Stop(sigs) // first: the signal package panics sending to a closed channel
		close(sigs)
	}()

	var hook engine.Hook
	var tty *ttyHook
	switch {
	case jsonOut:
		hook = newJSONHook(c.stdout)
	case isTerminal(c.stdout):
		n := plan.Counts()
		tty = newTTYHook(c.stdout, n.Create+n.Regenerate+n.Restore+n.Delete)
		hook = tty
	default:
		fmt.Fprintln(c.stdout)
		hook = newLineHook(c.stdout)
	}
	sum, fatal := engine.Apply(context.Background(), plan, p.st, engine.ApplyOptions{
		Parallelism: parallelism,
		Hook:        hook,
		Journal:     journal,
		Cache:       p.cache,
		Stat:        p.stat,
		TempDir:     tmp,
		Interrupt:   interrupt,
	})
	if tty != nil {
		tty.close()
	}
	if err := journal.Close(); err != nil && fatal == nil {
		fatal = err
	}
	if fatal != nil {
		fmt.Fprintf(c.stderr, "Error: %v\nWhat finished before this is in .genform/journal.jsonl and is picked up by the next run.\n", fatal)
		return 1
	}
	if err := c.writeState(p); err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\nWhat finished is in .genform/journal.jsonl and is picked up by the next run.\n", err)
		return 1
	}
	if err := p.stat.Save(); err != nil {
		fmt.Fprintf(c.stderr, "Warning: saving the stat cache: %v\n", err)
	}
	c.summary(sum, jsonOut)
	if o.gallery {
		index, err := writeGallery(p, planfile.New(plan), gallery.Options{Applied: true, Failed: gallery.Failures(sum)})
		if err != nil {
			fmt.Fprintf(c.stderr, "Error: writing the gallery: %v\n", err)
			return 1
		}
		if !jsonOut {
			fmt.Fprintf(c.stdout, "Gallery: %s\n", displayPath(index))
		}
	}
	if sum.Failed > 0 || sum.Interrupted > 0 || sum.NotStarted > 0 {
		return 1
	}
	return 0
}

// writeJSONLine writes v as one line: apply -json prints one JSON object per line, the
// final summary included.
func (c *cli) writeJSONLine(v any) {
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (c *cli) summary(s *engine.Summary, jsonOut bool) {
	if jsonOut {
		failures := []map[string]string{}
		for _, f := range s.Failures {
			failures = append(failures, map[string]string{"address": f.Addr, "error": f.Err.Error()})
		}
		usd := s.Cost
		c.writeJSONLine(map[string]any{
			"type": "summary", "changes": true,
			"generated": s.Generated, "restored": s.Restored, "deleted": s.Deleted,
			"failed": s.Failed, "skipped": s.Skipped, "interrupted": s.Interrupted, "not_started": s.NotStarted,
			"cost_usd": usd, "cost_unknown": s.CostUnknown, "failures": failures,
		})
		return
	}
	fmt.Fprintln(c.stdout)
	if s.Failed == 0 && s.Interrupted == 0 && s.NotStarted == 0 && s.Skipped == 0 {
		fmt.Fprintf(c.stdout, "Apply complete! %d generated, %d restored, %d deleted, 0 failed. Cost: %s.\n",
			s.Generated, s.Restored, s.Deleted, view.CostText(s.Cost, s.CostUnknown))
		return
	}
	word := "failed"
	if s.Failed == 0 {
		word = "stopped"
	}
	fmt.Fprintf(c.stdout, "Apply %s: %d generated, %d restored, %d deleted, %d failed, %d skipped", word,
		s.Generated, s.Restored, s.Deleted, s.Failed, s.Skipped)
	if s.Interrupted+s.NotStarted > 0 {
		fmt.Fprintf(c.stdout, ", %d interrupted, %d not started", s.Interrupted, s.NotStarted)
	}
	fmt.Fprintf(c.stdout, ". Cost: %s.\n", view.CostText(s.Cost, s.CostUnknown))
	for _, f := range s.Failures {
		fmt.Fprintf(c.stderr, "Error: %s: %v\n", f.Addr, f.Err)
	}
	if s.Interrupted+s.NotStarted > 0 {
		fmt.Fprintln(c.stdout, "Run genform apply again to finish; recorded video jobs are resumed, not paid again.")
	}
}
