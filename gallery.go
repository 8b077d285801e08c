package main

// This file holds genform gallery: the review page of the generated media, and of what a saved
// plan changes (the page itself is package gallery).

import (
	"fmt"

	"github.com/genform/genform/gallery"
	"github.com/genform/genform/planfile"
	"github.com/genform/genform/state"
)

func cmdGallery(c *cli, args []string) int {
	fs := newFlags(c, "gallery", "[-out DIR] [-plan PLANFILE] [-changed]")
	out := fs.String("out", "", "write the page into `DIR` (default .genform/gallery)")
	planPath := fs.String("plan", "", "show what the saved plan `PLANFILE` changes, before and after")
	changed := fs.Bool("changed", false, "show only the instances the plan changes (needs -plan)")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "gallery takes no arguments")
	}
	if *changed && *planPath == "" {
		return c.usageError(fs, "-changed needs -plan PLANFILE: without a plan nothing is changed")
	}
	p, ok := c.stateOnly()
	if !ok || c.noProject(p, "to show") {
		return 1
	}
	var plan *planfile.File
	if *planPath != "" {
		var err error
		if plan, err = readSavedPlan(p.dir, *planPath); err != nil {
			c.ui().Error(err)
			return 1
		}
	}
	cache, err := state.OpenCache(p.work("cache"))
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	p.cache = cache
	index, err := writeGallery(p, plan, gallery.Options{Out: *out, Changed: *changed})
	if err != nil {
		c.ui().Errorf("writing the gallery: %v", err)
		return 1
	}
	fmt.Fprintln(c.stdout, displayPath(index))
	return 0
}

// writeGallery writes the gallery of p's state (p.st, with p.cache for earlier outputs; p.cache
// may be nil) and, when plan is not nil, of what the plan changes. It returns the absolute
// path of index.html. apply -gallery calls it after the state is written, with
// planfile.New(plan) and gallery.Options{Applied: true, Failed: gallery.Failures(summary)}.
func writeGallery(p *project, plan *planfile.File, opts gallery.Options) (string, error) {
	in := gallery.Input{Dir: p.dir, State: p.st, Cache: p.cache, Plan: plan}
	if plan != nil {
		in.Moved = opts.Applied || gallery.Moved(p.st, p.stExists, plan)
	}
	return gallery.Write(in, opts)
}
