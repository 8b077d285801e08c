package main

// Crash tests: the CLI runs as a real subprocess (the test binary, installed as "genform" on
// $PATH by testscript.Main in TestMain), is killed with SIGKILL in the middle of an apply, and
// the next apply must know everything that finished: nothing paid for is generated twice.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/genform/genform/providers/wisdomgate/gatetest"
	"github.com/genform/genform/state"
)

// genformCmd is a genform subprocess whose stdout is read line by line.
type genformCmd struct {
	cmd    *exec.Cmd
	lines  chan string // stdout, closed at EOF
	stderr lockedBuffer
	out    []string // every line read so far (by the reader of lines)
}

// lockedBuffer is a bytes.Buffer a test may read while the process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startGenform starts genform with args in dir. The test binary is genform itself: TestMain
// hands over to run() when it is started under that name.
func startGenform(ctx context.Context, t testing.TB, dir string, args ...string) *genformCmd {
	t.Helper()
	return startGenformEnv(ctx, t, dir, nil, args...)
}

// startGenformEnv is startGenform with more environment variables.
func startGenformEnv(ctx context.Context, t testing.TB, dir string, env []string, args ...string) *genformCmd {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL crash tests need a Unix")
	}
	bin, err := exec.LookPath("genform")
	if err != nil || !strings.Contains(bin, "testscript-main") {
		t.Fatalf("genform is not the test binary on $PATH (%q, %v): TestMain must use testscript.Main", bin, err)
	}
	g := &genformCmd{cmd: exec.CommandContext(ctx, bin, args...), lines: make(chan string, 1024)}
	g.cmd.Dir = dir
	g.cmd.Env = append(os.Environ(), "NO_COLOR=1", "WISDOM_GATE_KEY=", "GORACE=atexit_sleep_ms=0")
	g.cmd.Env = append(g.cmd.Env, env...)
	g.cmd.Stderr = &g.stderr
	stdout, err := g.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(g.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			g.lines <- sc.Text()
		}
	}()
	return g
}

// until reads lines until stop says so (then returns true) or stdout ends (false).
func (g *genformCmd) until(stop func(line string) bool) bool {
	for line := range g.lines {
		g.out = append(g.out, line)
		if stop(line) {
			return true
		}
	}
	return false
}

// kill sends SIGKILL, reads what is left of stdout and waits for the process.
func (g *genformCmd) kill(t *testing.T) {
	t.Helper()
	if err := g.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	g.until(func(string) bool { return false })
	err := g.cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("genform was not killed by SIGKILL: %v\nstdout:\n%s\nstderr:\n%s", err, strings.Join(g.out, "\n"), g.stderr.String())
	}
}

// wait reads all of stdout and waits for the process to exit with code want.
func (g *genformCmd) wait(t *testing.T, want int) {
	t.Helper()
	g.until(func(string) bool { return false })
	err := g.cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != want {
		t.Fatalf("genform %s exited with %d, want %d\nstdout:\n%s\nstderr:\n%s",
			strings.Join(g.cmd.Args[1:], " "), code, want, strings.Join(g.out, "\n"), g.stderr.String())
	}
}

// crashGeneratedLine matches the line output's account of one generation.
var crashGeneratedLine = regexp.MustCompile(`^(\S+): generated in `)

// generated returns the addresses the lines say were generated, counting each.
func crashGenerated(lines []string) map[string]int {
	n := map[string]int{}
	for _, l := range lines {
		if m := crashGeneratedLine.FindStringSubmatch(l); m != nil {
			n[m[1]]++
		}
	}
	return n
}

// journaled returns the records an interrupted apply left in the project's journal.
func crashJournal(t *testing.T, dir string) (map[string]*state.Record, map[string]*state.Job) {
	t.Helper()
	entries, err := state.ReadJournal(filepath.Join(dir, ".genform", "journal.jsonl"))
	if err != nil {
		t.Fatalf("reading the journal the killed apply left: %v", err)
	}
	recs, jobs := map[string]*state.Record{}, map[string]*state.Job{}
	for _, e := range entries {
		if e.Record != nil {
			recs[e.Record.Addr] = e.Record
		}
		if e.Job != nil {
			jobs[e.Job.Addr] = e.Job
		}
	}
	return recs, jobs
}

func crashProject(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.gen.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func crashKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestCrashApplyNeverGeneratesTwice kills an apply of 30 instances (offline provider, 300 ms
// each, 4 at a time) with SIGKILL after some have finished. The next apply generates exactly
// the instances that had not finished: every instance is generated once across both runs.
func TestCrashApplyNeverGeneratesTwice(t *testing.T) {
	const total, killAfter = 30, 8
	dir := crashProject(t, fmt.Sprintf(`
provider "offline" {
  latency = "300ms"
}

image "tile" {
  count  = %d
  model  = "gpt-image-1"
  prompt = "Tile number ${count.index}"
  size   = "64x64"
  path   = "out/tile-${count.index}.png"
}
`, total))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	all := map[string]bool{}
	for i := range total {
		all[fmt.Sprintf("image.tile[%d]", i)] = true
	}

	// Run 1: killed once killAfter instances say they are generated.
	first := startGenform(ctx, t, dir, "apply", "-auto-approve", "-parallelism", "4")
	seen := 0
	if !first.until(func(line string) bool {
		if crashGeneratedLine.MatchString(line) {
			seen++
		}
		return seen == killAfter
	}) {
		first.wait(t, 0)
		t.Fatalf("the apply finished before it could be killed:\n%s", strings.Join(first.out, "\n"))
	}
	first.kill(t)
	gen1 := crashGenerated(first.out)

	// Every instance reported generated is durable in the journal; the apply was cut short.
	recs, _ := crashJournal(t, dir)
	for addr, n := range gen1 {
		if n != 1 {
			t.Errorf("run 1 generated %s %d times", addr, n)
		}
		if recs[addr] == nil {
			t.Errorf("run 1 reported %s generated, but the journal does not have it", addr)
		}
	}
	if len(recs) >= total {
		t.Fatalf("all %d instances finished before the kill landed: the test proves nothing", total)
	}
	if _, err := os.Stat(filepath.Join(dir, "genform.state.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the killed apply wrote the state file (%v): the journal alone should hold its work", err)
	}
	t.Logf("killed after %d reported generations; %d instances journaled", len(gen1), len(recs))

	// The plan of run 2 knows every journaled instance: only the rest is left to create.
	plan := startGenform(ctx, t, dir, "plan")
	plan.wait(t, 0)
	wantLine := fmt.Sprintf("Plan: %d to create, 0 to regenerate, 0 to restore, 0 to delete. Estimated cost: $0.00.", total-len(recs))
	if !crashHasLine(plan.out, wantLine) {
		t.Fatalf("plan after the crash: want %q in\n%s", wantLine, strings.Join(plan.out, "\n"))
	}

	// Run 2 finishes; it generates exactly what was not journaled.
	second := startGenform(ctx, t, dir, "apply", "-auto-approve", "-parallelism", "4")
	second.wait(t, 0)
	gen2 := crashGenerated(second.out)
	wantDone := fmt.Sprintf("Apply complete! %d generated, 0 restored, 0 deleted, 0 failed. Cost: $0.00.", total-len(recs))
	if !crashHasLine(second.out, wantDone) {
		t.Errorf("run 2: want %q in\n%s", wantDone, strings.Join(second.out, "\n"))
	}
	for addr := range all {
		n1, n2, j := gen1[addr], gen2[addr], recs[addr] != nil
		switch {
		case n1+n2 > 1:
			t.Errorf("%s generated %d times in run 1 and %d times in run 2", addr, n1, n2)
		case j && n2 > 0:
			t.Errorf("%s finished in run 1 (journaled) and was generated again in run 2", addr)
		case !j && n2 != 1:
			t.Errorf("%s did not finish in run 1 but run 2 generated it %d times", addr, n2)
		case j && n1 == 0:
			// finished and journaled in the instant between the journal write and its line:
			// generated once, in run 1, all the same
			t.Logf("%s was journaled by run 1 just before the kill, before its line was printed", addr)
		}
	}
	for addr := range gen2 {
		if !all[addr] {
			t.Errorf("run 2 generated an unknown instance %s", addr)
		}
	}

	// The state has all of them, and run 1's records are the ones it made, untouched.
	st, err := state.Read(filepath.Join(dir, "genform.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := crashKeys(st.Records); len(got) != total {
		t.Fatalf("the state has %d records, want %d: %v", len(got), total, got)
	}
	for addr, r1 := range recs {
		r := st.Records[addr]
		if r == nil || !r.GeneratedAt.Equal(r1.GeneratedAt) || r.InputHash != r1.InputHash || r.Output == nil || r.Output.SHA256 != r1.Output.SHA256 {
			t.Errorf("%s: the state's record differs from the one run 1 journaled:\n got %+v\nwant %+v", addr, r, r1)
		}
	}
	for addr, r := range st.Records {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(r.Output.Path))); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".genform", "journal.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the journal is still there after a complete apply (%v)", err)
	}

	// And a third apply has nothing to do.
	third := startGenform(ctx, t, dir, "apply", "-auto-approve")
	third.wait(t, 0)
	if !crashHasLine(third.out, "No changes. Everything is up to date.") {
		t.Errorf("run 3 had something to do:\n%s", strings.Join(third.out, "\n"))
	}
}

// TestCrashResumesVideoJob kills an apply while it polls a video job on the gateway. The job
// id was recorded when the gateway returned it, so the next apply polls the same job instead
// of paying for a new one.
func TestCrashResumesVideoJob(t *testing.T) {
	gw := gatetest.New(gatetest.Options{Key: "test-key", VideoPolls: 2, VideoRenderTime: time.Hour})
	defer gw.Close()
	dir := crashProject(t, fmt.Sprintf(`
provider "wisdomgate" {
  base_url      = %q
  api_key       = "test-key"
  poll_interval = "50ms"
}

video "teaser" {
  model   = "sora-2"
  prompt  = "A teaser for the crash test"
  seconds = 4
  size    = "1280x720"
  path    = "out/teaser.mp4"
}
`, gw.URL))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Run 1: killed once it polls (the job id is recorded before the first poll).
	first := startGenform(ctx, t, dir, "apply", "-auto-approve")
	if !first.until(func(line string) bool {
		return strings.HasPrefix(line, "video.teaser: queued") || strings.HasPrefix(line, "video.teaser: rendering")
	}) {
		first.wait(t, 0)
		t.Fatalf("the apply ended without polling:\n%s", strings.Join(first.out, "\n"))
	}
	first.kill(t)
	if n := gw.Calls(gatetest.VideosCreate); n != 1 {
		t.Fatalf("run 1 created %d video jobs, want 1", n)
	}
	polls := gw.Calls(gatetest.VideosGet)
	if polls == 0 {
		t.Fatal("run 1 never polled")
	}
	_, jobs := crashJournal(t, dir)
	job := jobs["video.teaser"]
	if job == nil || job.JobID == "" {
		t.Fatalf("the killed apply did not journal the video job id: %+v", jobs)
	}

	// The plan says it resumes the job, already paid.
	plan := startGenform(ctx, t, dir, "plan")
	plan.wait(t, 0)
	for _, want := range []string{
		"  # video.teaser will be created (already paid)",
		"  #   because resumes job " + job.JobID + " (already paid)",
	} {
		if !crashHasLine(plan.out, want) {
			t.Errorf("plan after the crash: want %q in\n%s", want, strings.Join(plan.out, "\n"))
		}
	}

	// Run 2 polls the same job to the end and downloads it: no second job is created.
	gw.Update(func(o *gatetest.Options) { o.VideoRenderTime = 0 })
	second := startGenform(ctx, t, dir, "apply", "-auto-approve")
	second.wait(t, 0)
	if n := gw.Calls(gatetest.VideosCreate); n != 1 {
		t.Errorf("run 2 created a new video job: %d creates in all, want 1", n)
	}
	if n := gw.Paid("A teaser for the crash test"); n != 1 {
		t.Errorf("the gateway billed the video %d times, want 1", n)
	}
	if gw.Calls(gatetest.VideosGet) <= polls {
		t.Errorf("run 2 did not poll the job")
	}
	for _, r := range gw.Requests() {
		if r.Endpoint == gatetest.VideosGet && !strings.HasSuffix(r.Path, "/"+job.JobID) {
			t.Errorf("a poll went to %s, not to the recorded job %s", r.Path, job.JobID)
		}
	}
	if gen := crashGenerated(second.out); gen["video.teaser"] != 1 {
		t.Errorf("run 2 did not finish the video:\n%s", strings.Join(second.out, "\n"))
	}
	st, err := state.Read(filepath.Join(dir, "genform.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := st.Records["video.teaser"]
	if r == nil || r.JobID != job.JobID || r.Output == nil || r.Output.Path != "out/teaser.mp4" {
		t.Fatalf("the state's record of the video: %+v, want job %s and out/teaser.mp4", r, job.JobID)
	}
	if len(st.Jobs) != 0 {
		t.Errorf("the finished job is still pending in the state: %+v", st.Jobs)
	}
	if fi, err := os.Stat(filepath.Join(dir, "out", "teaser.mp4")); err != nil || fi.Size() != r.Output.Size {
		t.Errorf("out/teaser.mp4: %v (size %v, recorded %d)", err, fi, r.Output.Size)
	}
}

func crashHasLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
