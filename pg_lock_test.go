package main

// The pg backend's lock between processes: two applies at once on two checkouts of one
// project, a killed holder's lease lapsing by itself, and force-unlock. Every genform here is
// a separate process of the test binary, against a real PostgreSQL.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/genform/genform/backend/pg/pgtest"
)

const pgLockConfig = `genform {
  backend "pg" {
    conn_str = env("GENFORM_PG")
  }
}

provider "offline" {
  latency = env("LATENCY")
}

image "hero" {
  model  = "gpt-image-1"
  prompt = "a hero"
  path   = "out/hero.png"
}
`

// checkout writes the project into a new folder: one of the team's checkouts.
func checkout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.gen.hcl"), []byte(pgLockConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runGenform runs genform to the end in dir and returns its exit code and output.
func runGenform(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	g := startGenform(context.Background(), t, dir, args...)
	g.until(func(string) bool { return false })
	err := g.cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, strings.Join(g.out, "\n"), g.stderr.String()
}

var lockHolderRE = regexp.MustCompile(`^Error: the project is locked by genform apply \(pid (\d+) on [^,]+, user [^,]+, since \d\d:\d\d:\d\d, lock ID ([0-9a-f]{16})\)(; waited 700ms)?\. The lock lapses by itself 2s after its holder stops; 'genform force-unlock ([0-9a-f]{16})' releases it now\n$`)

func TestPGTwoApplies(t *testing.T) {
	t.Setenv("GENFORM_PG", pgtest.DB(t))
	t.Setenv("GENFORM_PG_LEASE", "2s")
	a, b := checkout(t), checkout(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// checkout A applies slowly; B, meanwhile, waits 700ms for the lock and gives up naming A
	t.Setenv("LATENCY", "1h")
	holder := startGenform(ctx, t, a, "apply", "-auto-approve")
	if !holder.until(func(l string) bool { return strings.Contains(l, "image.hero: generating") }) {
		t.Fatalf("the first apply did not start: %s", holder.stderr.String())
	}
	t.Setenv("LATENCY", "0s")
	code, out, errOut := runGenform(t, b, "apply", "-auto-approve", "-lock-timeout=700ms")
	m := lockHolderRE.FindStringSubmatch(errOut)
	if code != 1 || m == nil || m[1] != strconv.Itoa(holder.cmd.Process.Pid) || m[3] == "" || m[2] != m[4] {
		t.Fatalf("the second apply: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(b, "out")); !os.IsNotExist(err) {
		t.Errorf("the refused apply generated something: %v", err)
	}

	// A is killed: its lease lapses by itself, and B, waiting, gets the lock
	holder.kill(t)
	code, out, errOut = runGenform(t, b, "apply", "-auto-approve", "-lock-timeout=1m")
	if code != 0 || !strings.Contains(out, "Apply complete! 1 generated") {
		t.Fatalf("apply after the holder was killed: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// A again, killed again; force-unlock with the ID the refusal names frees the lock at once
	t.Setenv("LATENCY", "1h")
	holder = startGenform(ctx, t, a, "apply", "-auto-approve", "-replace", "image.hero")
	if !holder.until(func(l string) bool { return strings.Contains(l, "image.hero: generating") }) {
		t.Fatalf("the third apply did not start: %s", holder.stderr.String())
	}
	holder.kill(t)
	t.Setenv("LATENCY", "0s")
	_, _, errOut = runGenform(t, b, "apply", "-auto-approve", "-replace", "image.hero")
	m = lockHolderRE.FindStringSubmatch(errOut)
	if m == nil || m[3] != "" {
		t.Fatalf("apply while a killed holder's lease runs: %s", errOut)
	}
	code, out, errOut = runGenform(t, b, "force-unlock", m[2])
	if code != 0 || !strings.HasPrefix(out, "Released lock "+m[2]) {
		t.Fatalf("force-unlock: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runGenform(t, b, "apply", "-auto-approve", "-replace", "image.hero")
	if code != 0 || !strings.Contains(out, "Apply complete! 1 generated") {
		t.Fatalf("apply after force-unlock: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, _, errOut = runGenform(t, b, "force-unlock", m[2])
	if code != 1 || !strings.Contains(errOut, "is not locked") {
		t.Fatalf("force-unlock of a released lock: exit %d, %s", code, errOut)
	}
}

// An apply on the pg backend killed midway loses nothing: each finished instance is a row at
// once, and the next apply (once the killed one's lease lapses) generates only the rest; the
// serial counts the fold of the killed apply's rows and this apply, as the file's does.
func TestPGKilledApply(t *testing.T) {
	t.Setenv("GENFORM_PG", pgtest.DB(t))
	dir := t.TempDir()
	config := strings.Replace(pgLockConfig, `image "hero" {`, `image "hero" {
  count  = 6`, 1)
	config = strings.Replace(config, `"out/hero.png"`, `"out/hero-${count.index}.png"`, 1)
	config = strings.Replace(config, `genform {`, "genform {\n  parallelism = 2", 1)
	if err := os.WriteFile(filepath.Join(dir, "main.gen.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LATENCY", "300ms")
	t.Setenv("GENFORM_PG_LEASE", "2s")
	g := startGenform(context.Background(), t, dir, "apply", "-auto-approve")
	n := 0
	if !g.until(func(l string) bool {
		if strings.Contains(l, ": generated in ") {
			n++
		}
		return n == 2
	}) {
		t.Fatalf("apply ended early: %s", g.stderr.String())
	}
	g.kill(t)
	first := crashGenerated(g.out)
	code, out, errOut := runGenform(t, dir, "apply", "-auto-approve", "-lock-timeout=1m")
	if code != 0 {
		t.Fatalf("apply after the kill: %d\n%s\n%s", code, out, errOut)
	}
	second := crashGenerated(strings.Split(out, "\n"))
	for addr := range first {
		if second[addr] > 0 {
			t.Errorf("%s was generated again after the kill", addr)
		}
	}
	if len(first)+len(second) != 6 {
		t.Errorf("generated %d before the kill and %d after, want 6 in all", len(first), len(second))
	}
	code, out, _ = runGenform(t, dir, "state", "pull")
	if code != 0 || !strings.Contains(out, `"serial": 2`) || strings.Count(out, `"input_hash"`) != 6 {
		t.Errorf("state after both applies:\n%s", out)
	}
}
