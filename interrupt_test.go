package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/genform/genform/state"
)

const interruptProject = `
provider "offline" {
  latency = "1s"
}

image "slow" {
  count = 10
  model = "painter"
  prompt = "slow ${count.index}"
  size = "32x32"
  path = "out/slow-${count.index}.png"
}
`

// The first Ctrl-C starts nothing new, lets running generations finish and saves the state;
// the apply exits 1 with a summary. The next apply generates only what did not finish.
func TestInterruptFinishesRunningWork(t *testing.T) {
	dir := crashProject(t, interruptProject)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	g := startGenform(ctx, t, dir, "apply", "-auto-approve", "-parallelism", "2")
	started := 0
	if !g.until(func(line string) bool {
		if strings.Contains(line, ": generating with") {
			started++
		}
		return started == 2
	}) {
		g.wait(t, 0)
		t.Fatal("the apply ended before two generations started")
	}
	if err := g.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	g.wait(t, 1)
	out := strings.Join(g.out, "\n")
	generated := crashGenerated(g.out)
	if len(generated) < 2 || len(generated) > 4 {
		t.Fatalf("%d generated after Ctrl-C; want the running ones to finish and nothing new:\n%s", len(generated), out)
	}
	if !strings.Contains(out, "Apply stopped:") || !strings.Contains(out, "not started") {
		t.Errorf("no summary of what did not finish:\n%s", out)
	}
	if !strings.Contains(g.stderr.String(), "Interrupt received") {
		t.Errorf("stderr does not say the interrupt was heard:\n%s", g.stderr.String())
	}
	st, err := state.Read(filepath.Join(dir, "genform.state.json"))
	if err != nil {
		t.Fatalf("the state was not saved: %v", err)
	}
	if len(st.Records) != len(generated) {
		t.Errorf("state has %d records, %d were generated", len(st.Records), len(generated))
	}
	if _, err := os.Stat(filepath.Join(dir, ".genform", "journal.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the journal was not folded into the state: %v", err)
	}

	again := startGenform(ctx, t, dir, "apply", "-auto-approve", "-parallelism", "8")
	again.wait(t, 0)
	for addr := range crashGenerated(again.out) {
		if generated[addr] > 0 {
			t.Errorf("%s generated again after the interrupted apply finished it", addr)
		}
	}
	if n := len(crashGenerated(again.out)) + len(generated); n != 10 {
		t.Errorf("%d generated over both runs, want 10", n)
	}
}

// A second Ctrl-C exits at once (130); what finished is in the journal, and the next plan
// knows it.
func TestSecondInterruptExitsAtOnce(t *testing.T) {
	dir := crashProject(t, interruptProject)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	g := startGenform(ctx, t, dir, "apply", "-auto-approve", "-parallelism", "2")
	if !g.until(func(line string) bool { return strings.Contains(line, ": generated in") }) {
		g.wait(t, 0)
		t.Fatal("the apply ended before anything was generated")
	}
	g.cmd.Process.Signal(syscall.SIGINT)
	// Two SIGINTs sent before the process handles the first merge into one: send the second
	// once the first is heard, and a moment later, as a person would.
	for !strings.Contains(g.stderr.String(), "Interrupt received") && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	g.cmd.Process.Signal(syscall.SIGINT)
	g.until(func(string) bool { return false })
	err := g.cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\nstderr:\n%s", err, g.stderr.String())
	}
	recs, _ := crashJournal(t, dir)
	if len(recs) == 0 {
		t.Fatal("nothing in the journal after an instance finished")
	}
	plan := startGenform(ctx, t, dir, "plan")
	plan.wait(t, 0)
	for addr := range recs {
		for _, line := range plan.out {
			// restoring a journaled result whose file the second Ctrl-C left unplaced is free
			if strings.Contains(line, "# "+addr+" will be") && !strings.Contains(line, "will be restored") {
				t.Errorf("the plan after a second Ctrl-C wants %s again: %s", addr, line)
			}
		}
	}
}
