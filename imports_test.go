package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportRules checks ARCHITECTURE.md's import rules with go list: schema, state and
// providers never import engine or each other; view, planfile and gallery sit above engine
// and are imported only by the CLI, as backend/* is; textdiff and asset import nothing of genform; only the
// CLI imports a concrete provider.
func TestImportRules(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/genform/genform"
	// above: the rooms that only main (and the rooms listed) may import
	above := map[string][]string{
		"view":     {"gallery"},
		"gallery":  nil,
		"planfile": {"view", "gallery"},
	}
	forbidden := map[string][]string{
		"schema":    {"engine", "state", "providers"},
		"state":     {"engine", "schema", "providers"},
		"providers": {"engine", "schema", "state"},
		"engine":    {"providers/wisdomgate", "providers/offline", "remote"},
		"remote":    {"engine", "schema", "providers", "view", "planfile", "gallery"},
		"planfile":  {"view", "gallery"},
		"view":      {"gallery"},
		"backend":   {"engine", "schema", "providers", "view", "planfile", "gallery"},
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], mod), "/")
		room := pkg
		for _, r := range []string{"providers", "backend"} {
			if strings.HasPrefix(pkg, r+"/") {
				room = r
			}
		}
		if strings.HasPrefix(pkg, "remote/") {
			room = "remote"
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, mod+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, mod+"/")
			if room == "textdiff" || room == "asset" {
				t.Errorf("%s imports %s: %s imports nothing of genform", fields[0], imp, room)
			}
			for _, bad := range forbidden[room] {
				if dep == bad || strings.HasPrefix(dep, bad+"/") {
					t.Errorf("%s imports %s: ARCHITECTURE.md forbids %s -> %s", fields[0], imp, room, bad)
				}
			}
			if importers, ok := above[dep]; ok && pkg != "" && !slices.Contains(importers, room) {
				t.Errorf("%s imports %s: only main may", fields[0], imp)
			}
			// backend/* is imported only by the CLI (and backend's own packages)
			if strings.HasPrefix(dep, "backend") && pkg != "" && room != "backend" {
				t.Errorf("%s imports %s: only main may import backend/*", fields[0], imp)
			}
			// a concrete provider is imported only by the CLI (and its own tests)
			if (strings.HasPrefix(dep, "providers/wisdomgate") || strings.HasPrefix(dep, "providers/offline")) &&
				pkg != "" && !strings.HasPrefix(pkg, dep) && !strings.HasPrefix(dep, pkg+"/") {
				t.Errorf("%s imports the concrete provider %s: only main may", fields[0], imp)
			}
			// the shared cache is wired by main alone: remote/* is imported by main and remote/*
			if strings.HasPrefix(dep, "remote") && pkg != "" && pkg != "remote" && !strings.HasPrefix(pkg, "remote/") {
				t.Errorf("%s imports %s: only main imports remote/*", fields[0], imp)
			}
		}
		checked++
	}
	if checked < 12 {
		t.Fatalf("go list saw only %d packages", checked)
	}
}
