package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/genform/genform/internal/benchproj"
)

// benchProject returns a project of n images of the shape with every output generated (by
// the offline provider). GENFORM_BENCH_DIR names a folder of projects already applied
// (internal/benchproj/cmd/benchproj), reused as <dir>/<shape>-<n>, to skip the apply.
func benchProject(b *testing.B, shape benchproj.Shape, n int) string {
	b.Helper()
	if root := os.Getenv("GENFORM_BENCH_DIR"); root != "" {
		dir := filepath.Join(root, fmt.Sprintf("%s-%d", shape, n))
		if _, err := os.Stat(filepath.Join(dir, "genform.state.json")); err == nil {
			return dir
		}
	}
	dir := b.TempDir()
	if err := benchproj.Write(dir, shape, n); err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	if code := run([]string{"-chdir=" + dir, "apply", "-auto-approve"}, &out, &out); code != 0 {
		b.Fatalf("apply: %s", out.String())
	}
	return dir
}

// BenchmarkPlanNoop runs the whole CLI's plan on projects whose outputs are all present:
// nothing to do. Compare its ns/op across n (1,000 and 10,000) for linear growth.
func BenchmarkPlanNoop(b *testing.B) {
	for _, bc := range []struct {
		shape benchproj.Shape
		n     int
	}{
		{benchproj.Blocks, 1000}, {benchproj.Blocks, 10000},
		{benchproj.Count, 10000}, {benchproj.ForEach, 10000},
	} {
		b.Run(fmt.Sprintf("%s_%d", bc.shape, bc.n), func(b *testing.B) {
			dir := benchProject(b, bc.shape, bc.n)
			b.ReportAllocs()
			for b.Loop() {
				var out bytes.Buffer
				if code := run([]string{"-chdir=" + dir, "plan", "-detailed-exitcode"}, &out, &out); code != 0 {
					b.Fatalf("plan exited %d: %.2000s", code, out.String())
				}
			}
		})
	}
}

// BenchmarkPlanChanged runs the whole CLI's plan on 10,000 separate blocks with every
// hundredth prompt changed since the apply: "whole" without a partial record (the plan does
// the whole work, and writes one), "partial" with the one the plan before left (it plans
// the hundred changed blocks only).
func BenchmarkPlanChanged(b *testing.B) {
	dir := benchProject(b, benchproj.Blocks, 10000)
	if root := os.Getenv("GENFORM_BENCH_DIR"); root != "" {
		dir = filepath.Join(root, "changed-10000") // benchproj -change of an applied copy
	} else if err := benchproj.Change(dir, 10000); err != nil {
		b.Fatal(err)
	}
	plan := func(b *testing.B) {
		var out bytes.Buffer
		if code := run([]string{"-chdir=" + dir, "plan", "-detailed-exitcode"}, &out, &out); code != 2 {
			b.Fatalf("plan exited %d: %.2000s", code, out.String())
		}
	}
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := os.Remove(partialPath(dir)); err != nil && !os.IsNotExist(err) {
				b.Fatal(err)
			}
			plan(b)
		}
	})
	b.Run("partial", func(b *testing.B) {
		plan(b) // leaves the record
		b.ReportAllocs()
		for b.Loop() {
			plan(b)
		}
	})
}

// BenchmarkValidate runs the whole CLI's validate on n separate image blocks.
func BenchmarkValidate(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("blocks_%d", n), func(b *testing.B) {
			dir := b.TempDir()
			if err := benchproj.Write(dir, benchproj.Blocks, n); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				var out bytes.Buffer
				if code := run([]string{"-chdir=" + dir, "validate"}, &out, &out); code != 0 {
					b.Fatalf("validate exited %d: %.2000s", code, out.String())
				}
			}
		})
	}
}
