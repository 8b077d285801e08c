package main

// A runner's claim and the requests it sends: no request starts on a lease shorter than its
// timeout, however short GENFORM_PG_LEASE is.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/backend/pg/pgtest"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
	"github.com/jackc/pgx/v5"
)

// withTimeout sets the provider block's timeout in a pgRunnerHead.
func withTimeout(head, timeout string) string {
	return strings.Replace(head, "  poll_interval", fmt.Sprintf("  timeout       = %q\n  poll_interval", timeout), 1)
}

func TestPGRunnerLeaseCoversTimeout(t *testing.T) {
	conn := pgtest.DB(t)
	t.Setenv("GENFORM_PG", conn)
	t.Setenv("GENFORM_PG_LEASE", "1s")
	gw := gatetest.New(gatetest.Options{Key: "test-key", Latency: 3 * time.Second})
	defer gw.Close()
	dir := crashProject(t, withTimeout(fmt.Sprintf(pgRunnerHead, 1, gw.URL), "20s")+`
chat "slow" {
  model  = "deepseek-v3"
  prompt = "slow"
}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	apply, _ := startRun(ctx, t, dir)
	for gw.InFlight() == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	db, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	var left float64
	if err := db.QueryRow(ctx, "SELECT extract(epoch FROM lease_expires - now())::float8 FROM genform.tasks WHERE addr = 'chat.slow' AND status = 'claimed'").Scan(&left); err != nil {
		t.Fatalf("the claim of chat.slow while its request is in flight: %v", err)
	}
	if gw.InFlight() == 0 {
		t.Fatal("the request ended before the lease was read: the test shows nothing")
	}
	if left < 20 {
		t.Errorf("the request was sent on a claim with %.1fs of lease left, shorter than its 20s timeout", left)
	}
	apply.wait(t, 0)
	if out := strings.Join(apply.out, "\n"); !strings.Contains(out, "Apply complete! 1 generated") {
		t.Errorf("apply:\n%s", out)
	}
}

// A provider's concurrency holds for the run as a whole: with concurrency = 1, an apply and two
// runners never have two requests at the gateway at once.
func TestPGRunnersShareConcurrency(t *testing.T) {
	t.Setenv("GENFORM_PG", pgtest.DB(t))
	gw := gatetest.New(gatetest.Options{Key: "test-key", Latency: 60 * time.Millisecond})
	defer gw.Close()
	const n = 12
	head := strings.Replace(fmt.Sprintf(pgRunnerHead, 2, gw.URL), "  poll_interval", "  concurrency   = 1\n  poll_interval", 1)
	dir := crashProject(t, head+fmt.Sprintf(pgTiles, n))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	apply, run := startRun(ctx, t, dir)
	r1 := startGenform(ctx, t, dir, "runner", "-run", run)
	r2 := startGenform(ctx, t, dir, "runner", "-run", run)
	r1.wait(t, 0)
	r2.wait(t, 0)
	apply.wait(t, 0)
	if out := strings.Join(apply.out, "\n"); !strings.Contains(out, fmt.Sprintf("Apply complete! %d generated", n)) {
		t.Fatalf("apply:\n%s\n%s", out, apply.stderr.String())
	}
	workers := 0
	for _, out := range [][]string{apply.out, r1.out, r2.out} {
		if len(crashGenerated(out)) > 0 {
			workers++
		}
	}
	if workers < 2 {
		t.Fatalf("only %d process(es) generated anything: the test shows nothing", workers)
	}
	all := strings.Join(append(append(append([]string{}, apply.out...), r1.out...), r2.out...), "\n")
	if !strings.Contains(all, ": queued (waiting for provider wisdomgate's concurrency or requests_per_minute, shared by the run's runners)") {
		t.Errorf("no instance said it waited for the run's concurrency:\n%s", all)
	}
	if m := gw.MaxInFlight(); m != 1 {
		t.Errorf("the gateway saw %d requests at once; the provider's concurrency is 1 for the run", m)
	}
	for i := range n {
		if p := gw.Paid(fmt.Sprintf("tile %d", i)); p != 1 {
			t.Errorf("tile %d paid %d times", i, p)
		}
	}
}
