package main

// This file holds genform apply: plan (or take a saved plan), ask, run the executor with
// Ctrl-C handling and progress, and fold the journal into the state.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/genform/genform/backend"
	"github.com/genform/genform/backend/pg"
	"github.com/genform/genform/engine"
	"github.com/genform/genform/gallery"
	"github.com/genform/genform/planfile"
	"github.com/genform/genform/providers/wisdomgate"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/view"
)

func cmdApply(c *cli, args []string) int {
	fs := newFlags(c, "apply", "[PLANFILE] [-auto-approve] [-parallelism N] [-json] [plan's flags]")
	pf := addPlanFlags(fs)
	auto := fs.Bool("auto-approve", false, "apply without asking for approval")
	parallelism := fs.Int("parallelism", 0, "at most `N` instances at work at once (default: the genform block's, else 8)")
	withGallery := fs.Bool("gallery", false, "write the review page of what this apply changed (see genform gallery)")
	lockTimeout := lockTimeoutFlag(fs)
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 1 {
		return c.usageError(fs, "apply takes at most one argument, a saved plan")
	}
	var saved *planfile.File
	if fs.NArg() == 1 {
		var err error
		if saved, err = readSavedPlan(c.dir, fs.Arg(0)); err != nil {
			c.ui().Error(err)
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

	v := view.NewApply(c.ui(), pf.json)
	p, ok := c.loadConfig(pf.vars.values())
	if !ok {
		return 1
	}
	defer p.closeBackend()
	if !c.lockProject(p, "apply", *lockTimeout) {
		return 1
	}
	defer p.lock.Unlock()

	plan, ok := c.planProject(p, pf)
	if !ok {
		return 1
	}
	if saved != nil {
		if err := planfile.Check(saved, plan); err != nil {
			c.ui().Error(err)
			return 1
		}
	}
	if !plan.HasChanges() {
		if p.journal > 0 {
			if err := c.writeState(p); err != nil {
				c.ui().Error(err)
				return 1
			}
		}
		v.NoChanges()
		return 0
	}
	if !c.checkCredentials(p, plan) {
		return 1
	}
	v.Plan(plan.Changes)
	if saved == nil && !*auto {
		if code := c.approve(pf.json); code >= 0 {
			return code
		}
	}
	return c.apply(p, plan, v, applyOptions{parallelism: *parallelism, gallery: *withGallery, json: pf.json, vars: pf.vars.values()})
}

// checkCredentials refuses, before anything starts, a plan whose generations need a
// provider's credentials that are missing (no WISDOM_GATE_KEY), instead of failing each of
// them. Restores and deletes need none.
func (c *cli) checkCredentials(p *project, plan *engine.Plan) bool {
	type credentialed interface{ MissingCredentials() string }
	need := map[string][]string{} // provider address -> the changes that call it
	for _, ch := range plan.Changes {
		if ch.Action == engine.Create || ch.Action == engine.Regenerate {
			need[ch.Provider] = append(need[ch.Provider], ch.Addr)
		}
	}
	ok := true
	for _, name := range slices.Sorted(maps.Keys(need)) {
		cp, is := p.providers[name].(credentialed)
		if !is || cp.MissingCredentials() == "" {
			continue
		}
		addrs := need[name]
		if len(addrs) > 3 {
			addrs = append(addrs[:3:3], fmt.Sprintf("and %d more", len(need[name])-3))
		}
		c.ui().Errorf("%s.\n%s to generate with provider %s: %s. Nothing was generated.",
			cp.MissingCredentials(), plural(len(need[name]), "change needs it", "changes need it"), name, strings.Join(addrs, ", "))
		ok = false
	}
	return ok
}

type applyOptions struct {
	parallelism int
	gallery     bool
	json        bool
	vars        []schema.VarValue // the -var and -var-file arguments, for the partial record's key
}

// approve asks for "yes" on a terminal; without one, or with -json (which shows no plan to
// approve), it refuses. -1 means approved.
func (c *cli) approve(jsonOut bool) int {
	if jsonOut || !c.input || !view.IsTerminal(c.stdin) {
		why := "there is no terminal to ask on"
		switch {
		case jsonOut:
			why = "-json shows no plan to approve"
		case !c.input:
			why = "-input=false asks nothing"
		}
		fmt.Fprintln(c.stderr)
		c.ui().Errorf("apply needs approval, and %s.\n"+
			"Run 'genform apply -auto-approve', or save a plan with 'genform plan -out FILE' and run 'genform apply FILE'.\n"+
			"Nothing was generated.", why)
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
func (c *cli) apply(p *project, plan *engine.Plan, v view.Apply, o applyOptions) int {
	if be, ok := p.backend.(*pg.Backend); ok {
		return c.applyRun(p, plan, be, v, o)
	}
	parallelism := o.parallelism
	if parallelism <= 0 {
		parallelism = p.cfg.Settings.Parallelism
	}
	if os.Getenv("GOGC") == "" {
		// apply waits on the network, not the CPU: collect garbage sooner and keep the
		// process small (10,000 instances: 88-96 MB peak instead of 104-114 MB)
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	tmp, journal, err := c.prepareApply(p)
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	engine.RemoveLeftovers(plan, p.cache) // temporary files beside outputs and in the cache, left by a killed apply
	ledger := engine.NewLedger(receiptLog(c.stderr))
	interrupt, stop := onInterrupt(c.stderr, ledger)
	defer stop()

	n := plan.Counts()
	clean := c.ui().Rendered == 0 // the plan printed no diagnostic: the partial record may stand for it
	watch := engine.WatchApply(plan, v.Progress(n.Create+n.Regenerate+n.Restore+n.Delete))
	if beforeRun != nil {
		beforeRun()
	}
	sum, fatal := engine.Apply(context.Background(), plan, p.st, engine.ApplyOptions{
		Parallelism: parallelism,
		Hook:        watch,
		Journal:     journal,
		Cache:       p.cache,
		Stat:        p.stat,
		TempDir:     tmp,
		Interrupt:   interrupt,
		Ledger:      ledger,
		Shared:      p.sharedCache(),
		Upload:      p.upload,
	})
	v.Done()
	if err := journal.Close(); err != nil && fatal == nil {
		fatal = err
	}
	if fatal != nil {
		c.ui().Errorf("%v\nWhat finished before this is recorded (in .genform/journal.jsonl) and is picked up by the next run.", fatal)
		return 1
	}
	if err := c.writeState(p); err != nil {
		c.ui().Errorf("%v\nWhat finished is recorded (in .genform/journal.jsonl) and is picked up by the next run.", err)
		return 1
	}
	c.recordApplied(p, plan, watch, clean, o.vars)
	if err := p.stat.Save(); err != nil {
		c.ui().Warnf("saving the stat cache: %v", err)
	}
	v.Summary(sum)
	c.uploadWarnings(sum)
	if o.gallery && !c.applyGallery(p, plan, sum, v) {
		return 1
	}
	if sum.Failed > 0 || sum.Interrupted > 0 || sum.NotStarted > 0 {
		return 1
	}
	return 0
}

// applyGallery writes the review page of what the apply changed (apply -gallery).
func (c *cli) applyGallery(p *project, plan *engine.Plan, sum *engine.Summary, v view.Apply) bool {
	index, err := writeGallery(p, planfile.New(plan), gallery.Options{Applied: true, Failed: gallery.Failures(sum)})
	if err != nil {
		c.ui().Errorf("writing the gallery: %v", err)
		return false
	}
	v.Gallery(displayPath(index))
	return true
}

// beforeRun, when a test sets it, runs once apply planned and before the executor starts:
// it edits or interrupts the project while an apply runs.
var beforeRun func()

// prepareApply folds an interrupted apply's journal into the state first, so this apply's
// journal starts empty; clears the temporary folder; and opens the journal.
func (c *cli) prepareApply(p *project) (tmp string, journal backend.Recorder, err error) {
	if tmp, err = c.startApply(p); err != nil {
		return "", nil, err
	}
	journal, err = p.lock.Recorder(context.Background(), p.st)
	return tmp, journal, err
}

// startApply folds an interrupted apply's journal into the state, so this apply's journal
// starts empty, and empties the temporary folder, which it returns.
func (c *cli) startApply(p *project) (tmp string, err error) {
	if p.journal > 0 {
		if err := c.writeState(p); err != nil {
			return "", err
		}
	}
	// This apply holds the lock, so nothing else writes in tmp: what is there is a partial
	// download an earlier, killed apply left (finished work is renamed out of it).
	tmp = p.work("tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return "", fmt.Errorf("clearing %s: %v", tmp, err)
	}
	return tmp, os.MkdirAll(tmp, 0o755)
}

// onInterrupt handles Ctrl-C and SIGTERM during an apply: the first closes the returned
// channel (start nothing new, let running requests finish), the second exits at once. stop
// ends the handling.
func onInterrupt(stderr io.Writer, ledger *engine.Ledger) (interrupt chan struct{}, stop func()) {
	interrupt = make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		fmt.Fprintln(stderr, "\nInterrupt received: starting nothing new, letting running requests finish. Press Ctrl-C again to stop at once (state stays intact).")
		close(interrupt)
		if _, ok := <-sigs; ok {
			// replies already complete are journaled first, within a bounded moment
			stopNow(stderr, ledger.Settle(stopWait))
			os.Exit(130) // the journal holds every finished instance and receipt, durably
		}
	}()
	return interrupt, func() {
		signal.Stop(sigs) // first: the signal package panics sending to a closed channel
		close(sigs)
	}
}

// stopWait bounds how long a second Ctrl-C waits for complete replies to become durable.
const stopWait = 3 * time.Second

// stopNow says, on a second Ctrl-C, what is kept and what may have been charged.
func stopNow(stderr io.Writer, s engine.Settlement) {
	fmt.Fprintf(stderr, "Stopped. Kept: %d paid result(s) this apply recorded; run genform apply again to place what is not in place yet, without paying.\n", len(s.Kept))
	if s.Unsaved > 0 {
		fmt.Fprintf(stderr, "%d complete reply(ies) were still being recorded after %v: they may have been charged without a result.\n", s.Unsaved, stopWait)
	}
	if len(s.InFlight) > 0 {
		fmt.Fprintf(stderr, "May have been charged without a result (requests sent, no complete reply yet): %s\n", strings.Join(s.InFlight, ", "))
	}
}

// receiptLog logs, with GENFORM_LOG=debug, when each receipt is written (safe from a kill)
// and synced (safe from a power cut): the crash harness measures the window with it.
func receiptLog(stderr io.Writer) func(what, addr string) {
	if !wisdomgate.LogEnabled(os.Getenv("GENFORM_LOG")) {
		return nil
	}
	var mu sync.Mutex
	return func(what, addr string) {
		at := time.Now().UnixNano()
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stderr, "genform: receipt %s: %s at %d\n", what, addr, at)
	}
}
