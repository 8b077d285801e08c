package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/backend/pg/pgtest"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
)

// TestPGRunnerMeasure measures the figure: one plan of 1,000 independent images at
// 100 ms of gateway latency, worked on by 1, 2 and 4 processes (the apply and 0, 1 or 3
// runners, 8 slots each), against the ideal makespan (instances x latency / slots), and again
// with runners reading the whole state for every batch as they did before (-read-all). It only
// runs with GENFORM_MEASURE_RUNNERS=1 and asserts what must hold on any machine: every
// instance generated exactly once.
//
//	GENFORM_MEASURE_RUNNERS=1 go test -run TestPGRunnerMeasure -v .
func TestPGRunnerMeasure(t *testing.T) {
	if os.Getenv("GENFORM_MEASURE_RUNNERS") != "1" {
		t.Skip("set GENFORM_MEASURE_RUNNERS=1 to measure")
	}
	n, latency, slots := 1000, 100*time.Millisecond, 8
	if s := os.Getenv("GENFORM_MEASURE_SLOTS"); s != "" {
		fmt.Sscan(s, &slots)
	}
	t.Run("file", func(t *testing.T) { // the same plan on one machine, without a backend block
		gw := gatetest.New(gatetest.Options{Key: "test-key", Latency: latency})
		defer gw.Close()
		head := strings.Replace(fmt.Sprintf(pgRunnerHead, slots, gw.URL), "backend \"pg\"", "# no backend", 1)
		head = strings.Replace(head, "conn_str = env(\"GENFORM_PG\")", "", 1)
		head = strings.Replace(head, "# no backend {\n    \n  }\n", "", 1)
		dir := crashProject(t, head+fmt.Sprintf(pgTiles, n))
		start := time.Now()
		code, out, errOut := runGenform(t, dir, "apply", "-auto-approve")
		if code != 0 {
			t.Fatalf("%s\n%s", out, errOut)
		}
		ideal := time.Duration(n) * latency / time.Duration(slots)
		t.Logf("file backend, 1 process x %d slots: makespan %.1fs, ideal %.1fs (%.2fx ideal)", slots, time.Since(start).Seconds(), ideal.Seconds(), time.Since(start).Seconds()/ideal.Seconds())
	})
	for _, m := range []struct {
		name    string
		readAll bool
	}{{"1", false}, {"2", false}, {"4", false}, {"1-read-all", true}, {"4-read-all", true}} {
		var procs int
		fmt.Sscan(m.name, &procs)
		t.Run(m.name, func(t *testing.T) {
			if m.readAll { // how runners read before readState: the whole state per batch
				t.Setenv(readAllEnv, "1")
			}
			t.Setenv("GENFORM_PG", pgtest.DB(t))
			gw := gatetest.New(gatetest.Options{Key: "test-key", Latency: latency})
			defer gw.Close()
			dir := crashProject(t, fmt.Sprintf(pgRunnerHead, slots, gw.URL)+fmt.Sprintf(pgTiles, n))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			start := time.Now()
			apply, run := startRun(ctx, t, dir)
			var runners []*genformCmd
			for range procs - 1 {
				runners = append(runners, startGenform(ctx, t, dir, "runner", "-run", run))
			}
			for _, r := range runners {
				r.wait(t, 0)
			}
			apply.wait(t, 0)
			makespan := time.Since(start)
			twice := 0
			for i := range n {
				if gw.Paid(fmt.Sprintf("tile %d", i)) > 1 {
					twice++
				}
			}
			ideal := time.Duration(n) * latency / time.Duration(slots*procs)
			t.Logf("%s: %d process(es) x %d slots: makespan %.1fs, ideal %.1fs (%.2fx ideal); gateway requests %d; generated twice %d",
				m.name, procs, slots, makespan.Seconds(), ideal.Seconds(), makespan.Seconds()/ideal.Seconds(), len(gw.Requests()), twice)
			if twice > 0 || len(gw.Requests()) != n {
				t.Errorf("%d requests for %d instances, %d generated twice", len(gw.Requests()), n, twice)
			}
			if !strings.Contains(strings.Join(apply.out, "\n"), fmt.Sprintf("Apply complete! %d generated", n)) {
				t.Errorf("apply:\n%s", strings.Join(apply.out[max(0, len(apply.out)-5):], "\n"))
			}
		})
	}
}
