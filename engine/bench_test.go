package engine

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
)

// BenchmarkApplyMakespan applies 1,000 independent instances at parallelism 32 against a
// provider with a fixed latency of 100 ms. The ideal makespan is ceil(1000/32) x 100 ms =
// 3.2 s; the ratio metric is the measured wall time over that (goal: within 1.05).
func BenchmarkApplyMakespan(b *testing.B) {
	const n, par, lat = 1000, 32, 100 * time.Millisecond
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := newProject(b, map[string]string{"main.gen.hcl": independents(n)})
		p.fake.latency = lat
		plan := p.plan(Options{})
		b.StartTimer()
		start := time.Now()
		sum := p.apply(plan, ApplyOptions{Parallelism: par})
		wall := time.Since(start)
		if sum.Generated != n {
			b.Fatalf("generated %d", sum.Generated)
		}
		ideal := time.Duration(math.Ceil(float64(n)/par)) * lat
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(wall.Seconds()/ideal.Seconds(), "x-ideal")
	}
}

// BenchmarkApplyChain applies a chain of 10 instances (each waiting for the one before) next
// to 300 independents at parallelism 8 with 100 ms latency. The critical-path bound is
// max(10 x 100 ms, ceil(310/8) x 100 ms) = 3.9 s.
func BenchmarkApplyChain(b *testing.B) {
	const chainLen, indep, par, lat = 10, 300, 8, 100 * time.Millisecond
	var cfg strings.Builder
	cfg.WriteString(independents(indep))
	cfg.WriteString("chat \"c0\" {\n model = \"m\"\n prompt = \"c0\"\n}\n")
	for i := 1; i < chainLen; i++ {
		fmt.Fprintf(&cfg, "chat \"c%d\" {\n model = \"m\"\n prompt = \"c%d ${chat.c%d.text}\"\n}\n", i, i, i-1)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := newProject(b, map[string]string{"main.gen.hcl": cfg.String()})
		p.fake.latency = lat
		plan := p.plan(Options{})
		b.StartTimer()
		start := time.Now()
		sum := p.apply(plan, ApplyOptions{Parallelism: par})
		wall := time.Since(start)
		if sum.Generated != chainLen+indep {
			b.Fatalf("generated %d", sum.Generated)
		}
		bound := max(chainLen*lat, time.Duration(math.Ceil(float64(chainLen+indep)/par))*lat)
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(wall.Seconds()/bound.Seconds(), "x-bound")
	}
}

// BenchmarkApplyOverhead applies 2,000 instances with a zero-latency provider, journal (with
// fsync), cache and output files included: instances per second end to end.
func BenchmarkApplyOverhead(b *testing.B) {
	const n = 2000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := newProject(b, map[string]string{"main.gen.hcl": independents(n)})
		plan := p.plan(Options{})
		b.StartTimer()
		start := time.Now()
		sum := p.apply(plan, ApplyOptions{Parallelism: 8})
		if sum.Generated != n {
			b.Fatalf("generated %d", sum.Generated)
		}
		b.ReportMetric(n/time.Since(start).Seconds(), "inst/s")
	}
}

// BenchmarkApplyMemory applies 10,000 small instances and reports the heap in use after.
func BenchmarkApplyMemory(b *testing.B) {
	const n = 10000
	for i := 0; i < b.N; i++ {
		p := newProject(b, map[string]string{"main.gen.hcl": independents(n)})
		plan := p.plan(Options{})
		sum := p.apply(plan, ApplyOptions{Parallelism: 8})
		if sum.Generated != n {
			b.Fatalf("generated %d", sum.Generated)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.Sys)/(1<<20), "sys-MB")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	}
}

// BenchmarkPlanNoop plans 10,000 instances whose outputs are all present and unchanged.
func BenchmarkPlanNoop(b *testing.B) {
	const n = 10000
	p := newProject(b, map[string]string{"main.gen.hcl": independents(n)})
	p.apply(p.plan(Options{}), ApplyOptions{Parallelism: 8})
	if err := p.stat.Save(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		plan := p.plan(Options{})
		if plan.HasChanges() {
			b.Fatal("changes in a no-op plan")
		}
	}
}
