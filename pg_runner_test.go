package main

// Runners against a real PostgreSQL and the fake gateway, each a separate genform process: an
// apply starts a run and runners join it; no instance is generated twice, none before its
// upstream; a runner killed or stopped while its video renders loses the video to another
// runner, which resumes the recorded job: one create per video.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/genform/genform/backend/pg/pgtest"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
)

const pgRunnerHead = `genform {
  parallelism = %d
  backend "pg" {
    conn_str = env("GENFORM_PG")
  }
}

provider "wisdomgate" {
  base_url      = %q
  api_key       = "test-key"
  poll_interval = "50ms"
}
`

// pgTiles declares count independent images (a format for fmt.Sprintf, with the count).
const pgTiles = `
image "tile" {
  count  = %d
  model  = "gpt-image-1"
  prompt = "tile ${count.index}"
  size   = "1024x1024"
  path   = "out/tile-${count.index}.png"
}
`

// pgTwoVideos declares two videos, each long enough to be claimed and lost mid-render.
const pgTwoVideos = `
video "a" {
  model   = "veo-3.1"
  prompt  = "video a"
  seconds = 4
  size    = "1280x720"
  path    = "out/a.mp4"
}

video "b" {
  model   = "veo-3.1"
  prompt  = "video b"
  seconds = 4
  size    = "1280x720"
  path    = "out/b.mp4"
}
`

var videoPolling = regexp.MustCompile(`^(video\.[ab]): (queued|rendering)`)

var runLine = regexp.MustCompile(`^Run (\d+): other machines can join with genform runner$`)

// startRun starts an apply and waits for the line that names its run.
func startRun(ctx context.Context, t *testing.T, dir string) (*genformCmd, string) {
	t.Helper()
	apply := startGenform(ctx, t, dir, "apply", "-auto-approve")
	var run string
	if !apply.until(func(l string) bool {
		if m := runLine.FindStringSubmatch(l); m != nil {
			run = m[1]
			return true
		}
		return false
	}) {
		apply.wait(t, 0)
		t.Fatalf("apply named no run:\n%s\n%s", strings.Join(apply.out, "\n"), apply.stderr.String())
	}
	return apply, run
}

func TestPGRunners(t *testing.T) {
	t.Setenv("GENFORM_PG", pgtest.DB(t))
	gw := gatetest.New(gatetest.Options{Key: "test-key", Latency: 30 * time.Millisecond})
	defer gw.Close()
	const n = 40
	dir := crashProject(t, fmt.Sprintf(pgRunnerHead, 3, gw.URL)+fmt.Sprintf(`
chat "seed" {
  model  = "deepseek-v3"
  prompt = "seed"
}

image "tile" {
  count  = %d
  model  = "gpt-image-1"
  prompt = "tile ${count.index} after ${chat.seed.text}"
  size   = "1024x1024"
  path   = "out/tile-${count.index}.png"
}
`, n))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	apply, run := startRun(ctx, t, dir)
	r1 := startGenform(ctx, t, dir, "runner", "-run", run, "-parallelism", "2")
	r2 := startGenform(ctx, t, dir, "runner")
	r1.wait(t, 0)
	r2.wait(t, 0)
	apply.wait(t, 0)

	out := strings.Join(apply.out, "\n")
	if !strings.Contains(out, fmt.Sprintf("Apply complete! %d generated, 0 restored, 0 deleted, 0 failed.", n+1)) {
		t.Fatalf("apply's summary:\n%s", out)
	}
	generated := crashGenerated(append(append(append([]string{}, apply.out...), r1.out...), r2.out...))
	for addr, k := range generated {
		if k != 1 {
			t.Errorf("%s generated %d times", addr, k)
		}
	}
	if len(generated) != n+1 {
		t.Errorf("%d instances generated, want %d", len(generated), n+1)
	}
	reqs := gw.Requests()
	if len(reqs) != n+1 || !strings.Contains(reqs[0].Prompt, "seed") {
		t.Errorf("%d gateway requests, the first %q: the chat must come first, every instance once", len(reqs), reqs[0].Prompt)
	}
	for i := range n {
		if p := gw.Paid(fmt.Sprintf("tile %d after ", i)); p > 1 {
			t.Errorf("tile %d paid %d times", i, p)
		}
	}
	for _, r := range []*genformCmd{r1, r2} {
		if !strings.Contains(strings.Join(r.out, "\n"), "Joining run "+run+" as ") {
			t.Errorf("runner output:\n%s", strings.Join(r.out, "\n"))
		}
	}
	code, pulled, _ := runGenform(t, dir, "state", "pull")
	if code != 0 || strings.Count(pulled, `"input_hash"`) != n+1 {
		t.Errorf("state after the run:\n%s", pulled)
	}
	code, _, errOut := runGenform(t, dir, "runner")
	if code != 1 || !strings.Contains(errOut, "has no run to join") {
		t.Errorf("a runner with no open run: %d %s", code, errOut)
	}
	code, out, _ = runGenform(t, dir, "plan")
	if code != 0 || !strings.Contains(out, "No changes") {
		t.Errorf("plan after the run:\n%s", out)
	}
}

// A runner that loses its lease while its video renders (killed, or stopped past the lease),
// or gives it back (Ctrl-C): the apply takes the video over and resumes the recorded job; each
// video is created once.
func TestPGRunnerLosesVideo(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Setenv("GENFORM_PG", pgtest.DB(t))
			t.Setenv("GENFORM_PG_LEASE", "2s")
			gw := gatetest.New(gatetest.Options{Key: "test-key", VideoPolls: 2, VideoRenderTime: time.Hour})
			defer gw.Close()
			// a 1s timeout keeps the claims' lease short (runLease): the lost video passes on soon
			dir := crashProject(t, withTimeout(fmt.Sprintf(pgRunnerHead, 1, gw.URL), "1s")+pgTwoVideos)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			apply, run := startRun(ctx, t, dir)
			runner := startGenform(ctx, t, dir, "runner", "-run", run, "-parallelism", "1")
			// the apply and the runner each claim one video, whichever comes first
			held := ""
			if !runner.until(func(l string) bool {
				if m := videoPolling.FindStringSubmatch(l); m != nil {
					held = m[1]
				}
				return held != ""
			}) {
				runner.wait(t, 0)
				t.Fatalf("the runner did not start a video:\n%s\n%s", strings.Join(runner.out, "\n"), runner.stderr.String())
			}
			switch sig {
			case syscall.SIGKILL:
				runner.kill(t)
			case syscall.SIGINT: // Ctrl-C: the job id is recorded; the claim is given back at once
				if err := runner.cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				runner.wait(t, 0)
				if !strings.Contains(runner.stderr.String(), "Interrupt received") {
					t.Errorf("runner:\n%s", runner.stderr.String())
				}
			default:
				if err := runner.cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
			}
			gw.Update(func(o *gatetest.Options) { o.VideoRenderTime = 0 })
			apply.wait(t, 0)
			if !strings.Contains(strings.Join(apply.out, "\n"), "Apply complete! 2 generated") {
				t.Fatalf("apply:\n%s\n%s", strings.Join(apply.out, "\n"), apply.stderr.String())
			}
			if sig == syscall.SIGSTOP {
				if err := runner.cmd.Process.Signal(syscall.SIGCONT); err != nil {
					t.Fatal(err)
				}
				runner.wait(t, 0)
				if !strings.Contains(runner.stderr.String(), held+" (run "+run+") is no longer held by this runner; nothing of it is recorded") {
					t.Errorf("the stopped runner's commit was not refused:\n%s\n%s", strings.Join(runner.out, "\n"), runner.stderr.String())
				}
			}
			if c := gw.Calls(gatetest.VideosCreate); c != 2 {
				t.Errorf("%d video jobs created, want 2 (one per video)", c)
			}
			for _, p := range []string{"video a", "video b"} {
				if n := gw.Paid(p); n != 1 {
					t.Errorf("%q paid %d times", p, n)
				}
			}
		})
	}
}

// Runners in separate checkouts exchange outputs through the shared cache: a runner restores
// the reference image another made before it makes the video, and the apply that started the
// run places every output the runner made in its own checkout. Nothing is paid twice.
func TestPGRunnersSharedCache(t *testing.T) {
	t.Setenv("GENFORM_PG", pgtest.DB(t))
	t.Setenv("SHARED_CACHE", t.TempDir())
	gw := gatetest.New(gatetest.Options{Key: "test-key", Latency: 20 * time.Millisecond, VideoPolls: 1})
	defer gw.Close()
	const n = 6
	config := strings.Replace(fmt.Sprintf(pgRunnerHead, 2, gw.URL), "  backend", "  cache \"dir\" { path = env(\"SHARED_CACHE\") }\n  backend", 1) + fmt.Sprintf(`
image "hero" {
  count  = %d
  model  = "gpt-image-1"
  prompt = "hero ${count.index}"
  size   = "1024x1024"
  path   = "out/hero-${count.index}.png"
}

video "teaser" {
  count     = %d
  model     = "veo-3.1"
  prompt    = "teaser ${count.index}"
  seconds   = 4
  size      = "1280x720"
  reference = image.hero[count.index].path
  path      = "out/teaser-${count.index}.mp4"
}
`, n, n)
	a, b := crashProject(t, config), crashProject(t, config)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	apply, run := startRun(ctx, t, a)
	runner := startGenform(ctx, t, b, "runner", "-run", run)
	runner.wait(t, 0)
	t.Logf("runner stderr:\n%s", runner.stderr.String())
	apply.wait(t, 0)
	out := strings.Join(apply.out, "\n")
	if !strings.Contains(out, fmt.Sprintf("Apply complete! %d generated", 2*n)) || strings.Contains(apply.stderr.String(), "Warning") {
		t.Fatalf("apply:\n%s\n%s", out, apply.stderr.String())
	}
	for i := range n {
		for _, p := range []string{fmt.Sprintf("hero %d", i), fmt.Sprintf("teaser %d", i)} {
			if k := gw.Paid(p); k != 1 {
				t.Errorf("%q paid %d times", p, k)
			}
		}
		for _, f := range []string{fmt.Sprintf("out/hero-%d.png", i), fmt.Sprintf("out/teaser-%d.mp4", i)} {
			if _, err := os.Stat(filepath.Join(a, f)); err != nil {
				t.Errorf("the starting apply's checkout lacks %s: %v", f, err)
			}
		}
	}
	if len(crashGenerated(runner.out)) == 0 {
		t.Errorf("the runner did nothing (the test shows nothing):\n%s", strings.Join(runner.out, "\n"))
	}
	code, planOut, _ := runGenform(t, a, "plan")
	if code != 0 || !strings.Contains(planOut, "No changes") {
		t.Errorf("plan in the starting checkout after the run:\n%s", planOut)
	}
}

// Ctrl-C on the apply that started a run: the run stops being handed out (a runner finds no
// run to join), the video in flight keeps its recorded job, and the next apply resumes it:
// one create in all.
func TestPGApplyInterruptStopsRun(t *testing.T) {
	t.Setenv("GENFORM_PG", pgtest.DB(t))
	gw := gatetest.New(gatetest.Options{Key: "test-key", VideoPolls: 2, VideoRenderTime: time.Hour})
	defer gw.Close()
	dir := crashProject(t, fmt.Sprintf(pgRunnerHead, 1, gw.URL)+pgTwoVideos)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	apply, _ := startRun(ctx, t, dir)
	if !apply.until(func(l string) bool { return videoPolling.MatchString(l) }) {
		apply.wait(t, 1)
		t.Fatalf("the apply polled no video:\n%s", strings.Join(apply.out, "\n"))
	}
	if err := apply.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	apply.wait(t, 1)
	if !strings.Contains(apply.stderr.String(), "the run hands out nothing more") ||
		!strings.Contains(strings.Join(apply.out, "\n"), "Apply stopped: 0 generated") {
		t.Fatalf("interrupted apply:\n%s\n%s", strings.Join(apply.out, "\n"), apply.stderr.String())
	}
	if code, _, errOut := runGenform(t, dir, "runner"); code != 1 || !strings.Contains(errOut, "has no run to join") {
		t.Fatalf("a runner after the interrupt: %d %s", code, errOut)
	}
	gw.Update(func(o *gatetest.Options) { o.VideoRenderTime = 0 })
	code, out, errOut := runGenform(t, dir, "apply", "-auto-approve")
	if code != 0 || !strings.Contains(out, "Apply complete! 2 generated") {
		t.Fatalf("the next apply: %d\n%s\n%s", code, out, errOut)
	}
	if c := gw.Calls(gatetest.VideosCreate); c != 2 {
		t.Errorf("%d video jobs created, want 2 (the interrupted one resumed)", c)
	}
}
