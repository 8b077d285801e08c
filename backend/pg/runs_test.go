package pg

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/genform/genform/backend/pg/pgtest"
	"github.com/genform/genform/state"
)

func createRun(t *testing.T, b *Backend, tasks []Task) int64 {
	t.Helper()
	id, err := b.CreateRun(context.Background(), "confighash", "lineage-1", tasks)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func addrsOf(cs []Claim) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Addr)
	}
	return out
}

// Only tasks whose upstreams are done are handed out, tallest first; a failure skips its
// dependents all the way down; Release gives a claim back; a stopped run hands out nothing.
func TestRunOrder(t *testing.T) {
	b := open(t, pgtest.DB(t), Config{})
	ctx := context.Background()
	run := createRun(t, b, []Task{
		{Addr: "chat.a"}, {Addr: "image.b", Deps: []string{"chat.a"}}, {Addr: "video.c", Deps: []string{"image.b", "chat.outside"}},
		{Addr: "chat.d"}, {Addr: "image.e", Deps: []string{"chat.d"}}, {Addr: "image.f", Deps: []string{"image.e"}},
		{Addr: "chat.g"},
	})
	cs, err := b.Claim(ctx, run, "r1", 2, time.Minute)
	if err != nil || fmt.Sprint(addrsOf(cs)) != "[chat.a chat.d]" {
		t.Fatalf("first claim: %v, %v", addrsOf(cs), err)
	}
	more, err := b.Claim(ctx, run, "r2", 10, time.Minute)
	if err != nil || fmt.Sprint(addrsOf(more)) != "[chat.g]" {
		t.Fatalf("second claim: %v, %v", addrsOf(more), err)
	}
	if err := b.Release(ctx, more); err != nil {
		t.Fatal(err)
	}
	rec := record("chat.a", 'a')
	rec.Kind, rec.Output, rec.Addr = "chat", nil, "chat.a"
	if err := b.Finish(ctx, cs[0], false, "", state.Entry{Record: rec}); err != nil {
		t.Fatal(err)
	}
	if err := b.Finish(ctx, cs[1], true, "gateway said no"); err != nil {
		t.Fatal(err)
	}
	s, err := b.Status(ctx, run)
	if err != nil || s.Done != 1 || s.Failed != 1 || s.Skipped != 2 || s.Ready != 2 || s.Waiting != 1 || s.Left() != 3 {
		t.Fatalf("status: %+v, %v", s, err)
	}
	cs, err = b.Claim(ctx, run, "r1", 10, time.Minute)
	if err != nil || fmt.Sprint(addrsOf(cs)) != "[image.b chat.g]" {
		t.Fatalf("after chat.a: %v, %v", addrsOf(cs), err)
	}
	st, _, _ := b.Read(ctx)
	if st.Records["chat.a"] == nil {
		t.Error("the finished task's record is not in the state")
	}
	if err := b.StopRun(ctx, run, "stopped"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Claim(ctx, run, "r1", 10, time.Minute); !errors.Is(err, ErrRunStopped) {
		t.Fatalf("claim on a stopped run: %v", err)
	}
	if err := b.Finish(ctx, cs[0], false, ""); err != nil {
		t.Fatalf("a claimed task finishes after the run stopped: %v", err)
	}
}

// A claim whose lease lapsed passes to another runner with the next generation; the first
// runner's commits are refused, the second's accepted.
func TestRunLeaseTakeover(t *testing.T) {
	b := open(t, pgtest.DB(t), Config{})
	ctx := context.Background()
	run := createRun(t, b, []Task{{Addr: "video.v"}})
	first, err := b.Claim(ctx, run, "r1", 1, time.Second)
	if err != nil || len(first) != 1 {
		t.Fatalf("claim: %v, %v", first, err)
	}
	job := &state.Job{Addr: "video.v", InputHash: hash('e'), Provider: "p", JobID: "task_1"}
	if err := b.Record(ctx, first[0], state.Entry{Job: job}); err != nil {
		t.Fatal(err)
	}
	var second []Claim
	for deadline := time.Now().Add(30 * time.Second); len(second) == 0 && time.Now().Before(deadline); {
		if second, err = b.Claim(ctx, run, "r2", 1, time.Minute); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(second) != 1 || second[0].Gen != first[0].Gen+1 || second[0].Claims != 2 {
		t.Fatalf("takeover: %+v after %+v", second, first)
	}
	if lost, err := b.Renew(ctx, first, time.Minute); err != nil || len(lost) != 1 {
		t.Fatalf("renewing a lost claim: %v, %v", lost, err)
	}
	st, _, _ := b.Read(ctx)
	if st.Jobs["video.v"] == nil || st.Jobs["video.v"].JobID != "task_1" {
		t.Fatalf("the job id the first runner recorded is not there for the second to resume: %+v", st.Jobs)
	}
	late := record("video.v", 'e')
	late.Kind = "video"
	if err := b.Finish(ctx, first[0], false, "", state.Entry{Record: late, ForgetJob: "video.v"}); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("the first runner's commit: %v", err)
	}
	if err := b.Record(ctx, first[0], state.Entry{Job: job}); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("the first runner's job record: %v", err)
	}
	if err := b.Finish(ctx, second[0], false, "", state.Entry{Record: late, ForgetJob: "video.v"}); err != nil {
		t.Fatalf("the second runner's commit: %v", err)
	}
	if s, _ := b.Status(ctx, run); s.Done != 1 || s.Left() != 0 {
		t.Fatalf("status: %+v", s)
	}
}

// Runners claiming at once on a random graph: no task is held by two runners, none starts
// before its upstreams are done, each is done once.
func TestRunConcurrentRunners(t *testing.T) {
	conn := pgtest.DB(t)
	b := open(t, conn, Config{})
	ctx := context.Background()
	const n = 300
	rng := rand.New(rand.NewPCG(1, 2))
	var tasks []Task
	deps := map[string][]string{}
	for i := range n {
		addr := fmt.Sprintf("image.t[%d]", i)
		var ds []string
		for range rng.IntN(3) {
			if i > 0 {
				ds = append(ds, fmt.Sprintf("image.t[%d]", rng.IntN(i)))
			}
		}
		deps[addr] = ds
		tasks = append(tasks, Task{Addr: addr, Deps: ds})
	}
	run := createRun(t, b, tasks)

	var mu sync.Mutex
	done := map[string]int{}
	held := map[string]string{}
	var wg sync.WaitGroup
	for r := range 4 {
		runner := fmt.Sprintf("r%d", r)
		rb := open(t, conn, Config{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				cs, err := rb.Claim(ctx, run, runner, 5, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(cs) == 0 {
					s, err := rb.Status(ctx, run)
					if err != nil || s.Left() == 0 {
						return
					}
					time.Sleep(5 * time.Millisecond)
					continue
				}
				for _, c := range cs {
					mu.Lock()
					if h := held[c.Addr]; h != "" {
						t.Errorf("%s claimed by %s while %s holds it", c.Addr, runner, h)
					}
					for _, d := range deps[c.Addr] {
						if done[d] == 0 {
							t.Errorf("%s claimed before its upstream %s was done", c.Addr, d)
						}
					}
					held[c.Addr] = runner
					mu.Unlock()
				}
				for _, c := range cs {
					mu.Lock()
					delete(held, c.Addr)
					done[c.Addr]++
					mu.Unlock()
					if err := rb.Finish(ctx, c, false, ""); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(done) != n {
		t.Errorf("%d of %d tasks done", len(done), n)
	}
	for a, k := range done {
		if k != 1 {
			t.Errorf("%s done %d times", a, k)
		}
	}
}
