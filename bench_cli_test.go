package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/genform/genform/providers/wisdomgate/gatetest"
	"golang.org/x/sync/errgroup"
)

// cliBenchProject writes n independent instances against the fake gateway: chats written to
// files, or Gemini images (64x64 PNG), each with its own prompt.
func cliBenchProject(b *testing.B, gw *gatetest.Server, kind string, n int) string {
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "provider \"wisdomgate\" {\n  base_url = %q\n  api_key  = \"test-key\"\n}\n", gw.URL)
	switch kind {
	case "chat":
		fmt.Fprintf(&cfg, "chat \"c\" {\n  count  = %d\n  model  = \"wisdom-ai-gpt5\"\n  prompt = \"line ${count.index}\"\n  path   = \"out/c-${count.index}.txt\"\n}\n", n)
	default:
		fmt.Fprintf(&cfg, "image \"i\" {\n  count  = %d\n  model  = \"gemini-2.5-flash-image\"\n  prompt = \"tile ${count.index}\"\n  path   = \"out/i-${count.index}.png\"\n}\n", n)
	}
	dir, err := os.MkdirTemp(benchRoot(b), kind+"-")
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.gen.hcl"), []byte(cfg.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchDirs holds the CLI benchmarks' projects until the test binary exits (removeBenchDirs).
// b.TempDir would remove each run's thousands of outputs just before the next run, whose file
// creations then pay for ext4's scan of recently deleted inodes (on a file system without a
// journal, as here, every inode allocation reads it): 1.34 s of system time per 2,000 chats
// instead of 0.35 s, measured with the same binary a minute apart. A user's apply does not
// follow the removal of thousands of files, so the benchmark should not either.
var benchDirs struct {
	once sync.Once
	root string
	err  error
}

func benchRoot(b *testing.B) string {
	benchDirs.once.Do(func() { benchDirs.root, benchDirs.err = os.MkdirTemp("", "genform-bench-") })
	if benchDirs.err != nil {
		b.Fatal(benchDirs.err)
	}
	return benchDirs.root
}

// removeBenchDirs removes the benchmarks' projects, after every test and benchmark ran;
// with GENFORM_BENCH_KEEP set it keeps them and says where. (Deleting thousands of files
// makes the file creations of the next few minutes dearer on ext4 without a journal, where
// the inodes deleted in the last 60 to 300 s are stepped over one by one: runs to compare
// keep their projects, and they are removed once all have run.)
func removeBenchDirs() {
	if benchDirs.root == "" {
		return
	}
	if os.Getenv("GENFORM_BENCH_KEEP") != "" {
		fmt.Fprintf(os.Stderr, "GENFORM_BENCH_KEEP: the benchmarks' projects are kept in %s\n", benchDirs.root)
		return
	}
	os.RemoveAll(benchDirs.root)
}

// cliApply runs genform apply in dir and returns its wall time, plan included. With
// GENFORM_BENCH_STRACE=FILE the CLI runs under strace -f -c, its syscall counts in FILE.
func cliApply(b *testing.B, dir string, par int) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := exec.LookPath("genform")
	if err != nil {
		b.Fatal(err)
	}
	args := []string{bin, "apply", "-auto-approve", "-parallelism", fmt.Sprint(par)}
	if out := os.Getenv("GENFORM_BENCH_STRACE"); out != "" {
		args = append([]string{"strace", "-f", "-c", "-o", out}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "WISDOM_GATE_KEY=")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("apply: %v\n%s", err, out)
	}
	wall := time.Since(start)
	if os.Getenv("GENFORM_BENCH_STRACE") == "" { // the CPU genform itself used, less noisy than wall time on a shared machine
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		b.ReportMetric(float64(cpu.Microseconds())/1000, "cpu-ms")
	}
	return wall
}

// BenchmarkCLIMakespan: 1,000 instances through the CLI and the fake gateway, parallelism 32,
// 100 ms latency, plan included. The ideal is ceil(1000/32) x 100 ms = 3.2 s.
func BenchmarkCLIMakespan(b *testing.B) {
	const n, par, lat = 1000, 32, 100 * time.Millisecond
	for _, kind := range []string{"chat", "image"} {
		b.Run(kind, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				gw := gatetest.New(gatetest.Options{Key: "test-key", Latency: lat})
				dir := cliBenchProject(b, gw, kind, n)
				b.StartTimer()
				wall := cliApply(b, dir, par)
				gw.Close()
				ideal := time.Duration(math.Ceil(float64(n)/par)) * lat
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(wall.Seconds()/ideal.Seconds(), "x-ideal")
				reportTurnarounds(b, gw)
			}
		})
	}
}

// BenchmarkClientFloor is the floor of BenchmarkCLIMakespan: the same 1,000 chat requests
// against the same fake gateway, parallelism 32, 100 ms latency, sent by a bare Go client
// (no plan, no disk, no state). genform's makespan is read against it, run side by side: the
// ideal 3.2 s is out of reach of any client on a loopback fake whose timers and goroutines
// share the machine's 2 cores.
func BenchmarkClientFloor(b *testing.B) {
	const n, par, lat = 1000, 32, 100 * time.Millisecond
	for range b.N {
		b.StopTimer()
		gw := gatetest.New(gatetest.Options{Key: "test-key", Latency: lat})
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * par}, Timeout: time.Minute}
		b.StartTimer()
		start := time.Now()
		var g errgroup.Group
		g.SetLimit(par)
		for i := range n {
			g.Go(func() error { return floorChat(client, gw.URL, i) })
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		client.CloseIdleConnections()
		gw.Close()
		ideal := time.Duration(math.Ceil(float64(n)/par)) * lat
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(wall.Seconds()/ideal.Seconds(), "x-ideal")
		reportTurnarounds(b, gw)
	}
}

// reportTurnarounds reports the median and 90th percentile of the client's time from a reply
// to its next request on the same connection (as the fake saw it): the part of the makespan
// over the ideal that each wave of 32 requests adds, apart from the start and the end.
func reportTurnarounds(b *testing.B, gw *gatetest.Server) {
	t := gw.Turnarounds()
	if len(t) == 0 {
		return
	}
	slices.Sort(t)
	ms := func(q float64) float64 { return float64(t[int(q*float64(len(t)-1))].Microseconds()) / 1000 }
	b.ReportMetric(ms(0.5), "turn-p50-ms")
	b.ReportMetric(ms(0.9), "turn-p90-ms")
}

// floorChat sends one chat completion as genform would, and reads the whole reply.
func floorChat(client *http.Client, base string, i int) error {
	body := fmt.Sprintf(`{"messages":[{"content":"line %d","role":"user"}],"model":"wisdom-ai-gpt5"}`, i)
	req, err := http.NewRequest(http.MethodPost, base+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer test-key")
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("chat %d: %s", i, resp.Status)
	}
	return nil
}

// BenchmarkCLIOverhead: 2,000 instances through the CLI against a fake gateway that answers
// at once, with full durability: instances per second end to end, plan included.
func BenchmarkCLIOverhead(b *testing.B) {
	const n, par = 2000, 32
	for _, kind := range []string{"chat", "image"} {
		b.Run(kind, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				gw := gatetest.New(gatetest.Options{Key: "test-key"})
				dir := cliBenchProject(b, gw, kind, n)
				b.StartTimer()
				wall := cliApply(b, dir, par)
				gw.Close()
				b.ReportMetric(n/wall.Seconds(), "inst/s")
			}
		})
	}
}
