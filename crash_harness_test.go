package main

// The crash harness: a mixed project against the fake gateway, apply killed with SIGKILL at
// a uniformly random moment, then applied to completion; the gateway's count of paid requests
// per prompt (each asset has its own prompt, so per input hash) must show nothing paid twice
// for a reply genform had received, and the state must hold every asset (nothing lost).
//
// The one window that cannot close: the gateway has sent a synchronous reply and the process
// dies before its receipt is durable. The gateway logs when each reply was fully sent, the
// CLI (GENFORM_LOG=debug) when each receipt became durable; a generation paid twice whose
// first reply was fully sent before the kill, with no receipt in the journal, is counted as a
// hit of that window, not a failure. Run `make crashtest` for 200 rounds.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/genform/genform/providers/wisdomgate/gatetest"
	"github.com/genform/genform/state"
)

var crashRounds = flag.Int("crash.rounds", 0, "rounds of the SIGKILL crash harness (default 30 when CI=true, else 4)")

// crashAsset is one asset of the harness project.
type crashAsset struct {
	addr, prompt string
}

// crashMixedProject writes the harness project: Gemini images, images-API images (base64),
// chat-completions images (download links), chats and videos.
func crashMixedProject(t *testing.T, gw *gatetest.Server) (string, []crashAsset) {
	var b strings.Builder
	fmt.Fprintf(&b, `provider "wisdomgate" {
  base_url      = %q
  api_key       = "test-key"
  poll_interval = "100ms"
}
`, gw.URL)
	var assets []crashAsset
	add := func(kind, name string, n int, model, extra, ext string) {
		for i := range n {
			prompt := fmt.Sprintf("crash %s %s %d", kind, name, i)
			addr := fmt.Sprintf("%s.%s[%d]", kind, name, i)
			assets = append(assets, crashAsset{addr: addr, prompt: prompt})
			if i > 0 {
				continue
			}
			path := ""
			if ext != "" {
				path = fmt.Sprintf("\n  path   = \"out/%s-${count.index}.%s\"", name, ext)
			}
			fmt.Fprintf(&b, `
%s %q {
  count  = %d
  model  = %q
  prompt = "crash %s %s ${count.index}"%s%s
}
`, kind, name, n, model, kind, name, extra, path)
		}
	}
	add("image", "gem", 8, "gemini-2.5-flash-image", "", "png")
	add("image", "gpt", 5, "gpt-image-1", "\n  size   = \"1024x1024\"", "png")
	add("image", "dalle", 5, "dall-e-3", "\n  size   = \"1024x1024\"", "png")
	add("image", "grok", 3, "grok-4-image", "", "png")
	add("chat", "line", 5, "wisdom-ai-gpt5", "", "txt")
	add("chat", "note", 5, "wisdom-ai-gpt5", "", "")
	add("video", "clip", 3, "sora-2", "\n  seconds = 4\n  size   = \"1280x720\"", "mp4")
	return crashProject(t, b.String()), assets
}

// crashHeldBound is the longest a complete reply may wait for its receipt before a kill that
// makes it paid twice counts as a failure rather than a hit of the window: the window is
// measured in milliseconds (see the latencies the harness logs); a download link, a video
// job id or bytes held longer were not recorded when they should have been.
const crashHeldBound = 500 * time.Millisecond

var receiptLine = regexp.MustCompile(`^genform: receipt (written|durable): (\S+) at (\d+)$`)

// crashRound is what one round found.
type crashRound struct {
	killed    bool // the kill landed before the apply ended
	window    int  // paid twice: reply fully sent before the kill, no receipt (the window)
	inFlight  int  // paid twice: the reply was not fully sent when the process died
	journaled int
	toWritten []time.Duration // from reply fully sent to receipt written (safe from a kill)
	toDurable []time.Duration // from reply fully sent to receipt synced (safe from a power cut)
}

func TestCrashHarness(t *testing.T) {
	rounds := *crashRounds
	if rounds == 0 {
		rounds = 4
		if os.Getenv("CI") == "true" {
			rounds = 30
		}
	}
	// one clean apply tells how long an apply takes; kills land uniformly over that span
	span := crashCalibrate(t)
	t.Logf("a whole apply takes %v; kills land uniformly in [0, %v)", span, span)
	var (
		mu      sync.Mutex
		results []crashRound
	)
	sem := make(chan struct{}, 3)
	var wg sync.WaitGroup
	for r := range rounds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, ok := crashOneRound(t, r, span)
			if ok {
				mu.Lock()
				results = append(results, res)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var killed, window, inFlight, journaled int
	var written, durable []time.Duration
	for _, r := range results {
		if r.killed {
			killed++
		}
		window += r.window
		inFlight += r.inFlight
		journaled += r.journaled
		written = append(written, r.toWritten...)
		durable = append(durable, r.toDurable...)
	}
	t.Logf("%d rounds, %d killed mid-apply; lost 0, paid twice with a receipt 0; %d generations paid twice in the window (reply sent, receipt not yet durable), %d paid twice with the reply not fully sent; %d receipts durable at the kills",
		len(results), killed, window, inFlight, journaled)
	crashLatencies(t, "written (safe from a kill)", written)
	crashLatencies(t, "synced (safe from a power cut)", durable)
}

// crashLatencies logs the spread of the times from a reply fully sent to its receipt.
func crashLatencies(t *testing.T, what string, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("reply fully sent -> receipt %s: median %v, p90 %v, p99 %v, max %v (%d receipts; a video's reply is its create, its receipt the job id)",
		what, lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)*99/100], lat[len(lat)-1], len(lat))
}

// crashCalibrate times one whole apply of the harness project.
func crashCalibrate(t *testing.T) time.Duration {
	gw := crashGateway()
	defer gw.Close()
	dir, _ := crashMixedProject(t, gw)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	g := startGenform(ctx, t, dir, "apply", "-auto-approve", "-parallelism", "6")
	g.wait(t, 0)
	return time.Since(start)
}

func crashGateway() *gatetest.Server {
	return gatetest.New(gatetest.Options{Key: "test-key", Latency: 150 * time.Millisecond, FilesLatency: 2 * time.Second,
		VideoPolls: 2, VideoRenderTime: time.Second})
}

// crashOneRound runs one round; it reports failures on t and returns what it saw.
func crashOneRound(t *testing.T, round int, span time.Duration) (crashRound, bool) {
	var res crashRound
	gw := crashGateway()
	defer gw.Close()
	dir, assets := crashMixedProject(t, gw)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	fail := func(format string, args ...any) {
		t.Errorf("round %d (%s): %s", round, dir, fmt.Sprintf(format, args...))
	}

	env := []string{"GENFORM_LOG=debug"}
	first := startGenformEnv(ctx, t, dir, env, "apply", "-auto-approve", "-parallelism", "6")
	drained := make(chan struct{})
	go func() { first.until(func(string) bool { return false }); close(drained) }()
	time.Sleep(time.Duration(rand.Int64N(int64(span))))
	killAt := time.Now()
	res.killed = first.killNow(drained)
	sent := gw.Sent()
	logged := map[string]map[string]time.Time{"written": {}, "durable": {}}
	for _, line := range strings.Split(first.stderrText(), "\n") {
		if m := receiptLine.FindStringSubmatch(line); m != nil {
			ns, _ := strconv.ParseInt(m[3], 10, 64)
			if _, seen := logged[m[1]][m[2]]; !seen { // a video's first receipt is its job id
				logged[m[1]][m[2]] = time.Unix(0, ns)
			}
		}
	}
	recs, jobs := crashJournal(t, dir)
	res.journaled = len(recs) + len(jobs)
	sentAt := map[string]time.Time{} // prompt -> when its paid reply was first fully sent
	for _, s := range sent {
		switch s.Endpoint {
		case gatetest.Chat, gatetest.Gemini, gatetest.ImagesGenerations, gatetest.VideosCreate:
			if _, seen := sentAt[s.Prompt]; !seen && s.Prompt != "" {
				sentAt[s.Prompt] = s.At
			}
		}
	}
	for _, a := range assets {
		s, ok := sentAt[a.prompt]
		if !ok {
			continue
		}
		if at, ok := logged["written"][a.addr]; ok {
			res.toWritten = append(res.toWritten, at.Sub(s))
		}
		if at, ok := logged["durable"][a.addr]; ok {
			res.toDurable = append(res.toDurable, at.Sub(s))
		}
	}
	paid1 := map[string]int{}
	for _, a := range assets {
		paid1[a.prompt] = gw.Paid(a.prompt)
	}

	second := startGenform(ctx, t, dir, "apply", "-auto-approve", "-parallelism", "6")
	second.wait(t, 0)
	st, err := state.Read(filepath.Join(dir, "genform.state.json"))
	if err != nil {
		fail("%v", err)
		return res, false
	}
	for _, a := range assets {
		r := st.Records[a.addr]
		if r == nil {
			fail("%s is lost: no record after the second apply", a.addr)
			continue
		}
		if r.Output != nil {
			sha, err := hashOf(filepath.Join(dir, filepath.FromSlash(r.Output.Path)))
			if err != nil || sha != r.Output.SHA256 {
				fail("%s: its file %s is not the recorded one (%v)", a.addr, r.Output.Path, err)
			}
		}
		n := gw.Paid(a.prompt)
		switch {
		case n == 1:
		case n == 0:
			fail("%s was never paid for, yet it is recorded", a.addr)
		case recs[a.addr] != nil || jobs[a.addr] != nil:
			fail("%s paid %d times although the killed apply had its receipt in the journal", a.addr, n)
		case paid1[a.prompt] > 1:
			fail("%s paid %d times by the killed apply alone", a.addr, paid1[a.prompt])
		case !sentAt[a.prompt].IsZero() && killAt.Sub(sentAt[a.prompt]) > crashHeldBound:
			fail("%s paid %d times: genform held its complete reply for %v before the kill without a receipt", a.addr, n, killAt.Sub(sentAt[a.prompt]))
		case !sentAt[a.prompt].IsZero() && sentAt[a.prompt].Before(killAt):
			res.window++
			t.Logf("round %d: %s paid twice: its reply was fully sent %v before the kill, which came before its receipt was durable (the window)", round, a.addr, killAt.Sub(sentAt[a.prompt]))
		default:
			res.inFlight++
		}
	}
	if len(st.Jobs) != 0 {
		fail("jobs left pending after a complete apply: %v", crashKeys(st.Jobs))
	}
	plan := startGenform(ctx, t, dir, "plan")
	plan.wait(t, 0)
	if !crashHasLine(plan.out, "No changes. Everything is up to date.") {
		fail("the plan after the second apply has changes:\n%s", strings.Join(plan.out, "\n"))
	}
	tmp, _ := filepath.Glob(filepath.Join(dir, "out", ".*.tmp-*"))
	if len(tmp) > 0 {
		fail("temporary files left beside the outputs: %v", tmp)
	}
	return res, true
}

// killNow sends SIGKILL whether or not the process has ended, waits for stdout to be drained
// (drained) and for the process; it reports whether the kill ended it.
func (g *genformCmd) killNow(drained <-chan struct{}) bool {
	_ = g.cmd.Process.Signal(syscall.SIGKILL)
	<-drained
	err := g.cmd.Wait()
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
}

func (g *genformCmd) stderrText() string { return g.stderr.String() }

func hashOf(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

var chargedLine = regexp.MustCompile(`^May have been charged without a result \(requests sent, no complete reply yet\): (.*)$`)

// TestDoubleInterruptHarness presses Ctrl-C twice at random moments of an apply of the mixed
// project, 20 rounds: the apply exits 130 at once, after writing the replies already complete;
// the next apply finishes the rest. Nothing is lost, and nothing is paid twice but requests
// the message named as possibly charged (in flight when the process exited).
func TestDoubleInterruptHarness(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 4
	}
	span := crashCalibrate(t)
	sem := make(chan struct{}, 3)
	var wg sync.WaitGroup
	var mu sync.Mutex
	exited, charged, twice := 0, 0, 0
	for r := range rounds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			e, c, tw := doubleInterruptRound(t, r, span)
			mu.Lock()
			exited, charged, twice = exited+e, charged+c, twice+tw
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("%d rounds, %d stopped by the second Ctrl-C; %d requests named as possibly charged, %d of them paid twice; lost 0", rounds, exited, charged, twice)
}

func doubleInterruptRound(t *testing.T, round int, span time.Duration) (exited, charged, twice int) {
	gw := crashGateway()
	defer gw.Close()
	dir, assets := crashMixedProject(t, gw)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	fail := func(format string, args ...any) {
		t.Errorf("round %d (%s): %s", round, dir, fmt.Sprintf(format, args...))
	}
	g := startGenform(ctx, t, dir, "apply", "-auto-approve", "-parallelism", "6")
	drained := make(chan struct{})
	go func() { g.until(func(string) bool { return false }); close(drained) }()
	// the first press after start-up (before it, Ctrl-C kills the process: nothing was sent),
	// the second soon after, while requests are out
	const startup = 300 * time.Millisecond
	time.Sleep(startup + time.Duration(rand.Int64N(int64(span-startup))))
	_ = g.cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(time.Duration(rand.Int64N(int64(50 * time.Millisecond))))
	_ = g.cmd.Process.Signal(syscall.SIGINT)
	<-drained
	err := g.cmd.Wait()
	var ee *exec.ExitError
	named := map[string]bool{}
	if errors.As(err, &ee) && ee.ExitCode() == 130 {
		exited = 1
		stderr := g.stderrText()
		if !strings.Contains(stderr, "Stopped. Kept: ") {
			fail("the second Ctrl-C does not say what was kept:\n%s", stderr)
		}
		for _, line := range strings.Split(stderr, "\n") {
			if m := chargedLine.FindStringSubmatch(line); m != nil {
				for _, a := range strings.Split(m[1], ", ") {
					named[a] = true
				}
			}
		}
	}
	charged = len(named)
	again := startGenform(ctx, t, dir, "apply", "-auto-approve", "-parallelism", "6")
	again.wait(t, 0)
	st, err := state.Read(filepath.Join(dir, "genform.state.json"))
	if err != nil {
		fail("%v", err)
		return
	}
	for _, a := range assets {
		if st.Records[a.addr] == nil {
			fail("%s is lost", a.addr)
		}
		switch n := gw.Paid(a.prompt); {
		case n == 1:
		case n == 2 && named[a.addr]:
			twice++
		default:
			fail("%s paid %d times (named as possibly charged: %v)", a.addr, n, named[a.addr])
		}
	}
	return exited, charged, twice
}
