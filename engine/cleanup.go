package engine

import (
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/genform/genform/state"
)

// RemoveLeftovers removes the temporary files a killed apply left beside the outputs of the
// plan (".NAME.tmp-*" next to NAME, where an output is written before its rename) and in the
// cache, when there is one. Call it under the lock: nothing else writes them then. Only names
// that belong to an output the plan knows are touched beside outputs. It returns how many it
// removed.
func RemoveLeftovers(plan *Plan, cache *state.Cache) int {
	dir := plan.planner.cfg.Dir
	byFolder := map[string]map[string]bool{} // folder -> output base names
	add := func(p string) {
		if p == "" {
			return
		}
		folder, base := path.Split(p)
		if byFolder[folder] == nil {
			byFolder[folder] = map[string]bool{}
		}
		byFolder[folder][base] = true
	}
	for _, ch := range plan.Changes {
		add(ch.Path)
		if ch.Before != nil && ch.Before.Output != nil {
			add(ch.Before.Output.Path)
		}
	}
	removed := 0
	if cache != nil {
		removed += cache.RemoveTemp()
	}
	for folder, bases := range byFolder {
		abs, err := InsideProject(dir, strings.TrimSuffix(folder, "/"))
		if folder == "" {
			abs, err = dir, nil
		}
		if err != nil {
			continue
		}
		entries, err := os.ReadDir(abs)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			i := strings.LastIndex(name, ".tmp-")
			if !strings.HasPrefix(name, ".") || i < 1 || !bases[name[1:i]] || !e.Type().IsRegular() {
				continue
			}
			if os.Remove(filepath.Join(abs, name)) == nil {
				removed++
			}
		}
	}
	return removed
}
