package main

// This file holds genform models: the model ids a gateway offers (GET /v1/models).

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/view"
	"github.com/hashicorp/hcl/v2"
)

// modelLister is a provider that can list its gateway's models.
type modelLister interface {
	Models(ctx context.Context) ([]string, error)
}

func cmdModels(c *cli, args []string) int {
	fs := newFlags(c, "models", "[-json] [-var NAME=VALUE]... [-var-file FILE]... [PROVIDER]")
	jsonOut := fs.Bool("json", false, "print the model ids as a JSON array")
	vars := addVarFlags(fs)
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	// flags may follow the provider: genform models wisdomgate.fast -json
	var name string
	if fs.NArg() > 0 {
		name = fs.Arg(0)
		if code := parseFlags(c, fs, fs.Args()[1:]); code >= 0 {
			return code
		}
		if fs.NArg() > 0 {
			return c.usageError(fs, fmt.Sprintf("models takes one provider, and got %q too", fs.Arg(0)))
		}
	}
	prov, addr, ok := c.modelsProvider(name, vars.values())
	if !ok {
		return 1
	}
	lister, ok := prov.(modelLister)
	if !ok {
		c.ui().Errorf("provider %s has no model list.", addr)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ids, err := lister.Models(ctx)
	if err != nil {
		c.ui().Errorf("listing the models of %s: %v", addr, err)
		return 1
	}
	sort.Strings(ids)
	view.NewModels(c.ui(), *jsonOut).List(ids)
	return 0
}

// modelsProvider finds the provider to ask: the one named; else the unaliased wisdomgate
// provider, or the only provider that lists models; else (no configuration files, or none of
// its providers lists models) a wisdomgate provider with its defaults, reading WISDOM_GATE_KEY.
func (c *cli) modelsProvider(name string, vars []schema.VarValue) (providers.Provider, string, bool) {
	if !hasConfig(c.dir) {
		if name != "" && name != "wisdomgate" {
			c.ui().Errorf("there is no provider %s: this folder has no configuration files, so only wisdomgate (with its defaults) can be asked.", name)
			return nil, "", false
		}
		return c.defaultGateway()
	}
	p, ok := c.loadConfig(vars)
	if !ok {
		return nil, "", false
	}
	var addrs, listers []string
	for addr, prov := range p.providers {
		addrs = append(addrs, addr)
		if _, ok := prov.(modelLister); ok {
			listers = append(listers, addr)
		}
	}
	sort.Strings(addrs)
	sort.Strings(listers)
	switch {
	case name != "":
		if prov := p.providers[name]; prov != nil {
			return prov, name, true
		}
		c.ui().Errorf("there is no provider %s in the configuration. The providers are: %s.", name, strings.Join(addrs, ", "))
		return nil, "", false
	case p.providers["wisdomgate"] != nil:
		return p.providers["wisdomgate"], "wisdomgate", true
	case len(listers) == 1:
		return p.providers[listers[0]], listers[0], true
	case len(listers) == 0:
		return c.defaultGateway()
	}
	c.ui().Errorf("several providers list models (%s): name the one to ask, e.g. genform models %s", strings.Join(listers, ", "), listers[0])
	return nil, "", false
}

// defaultGateway is the wisdomgate provider with its defaults.
func (c *cli) defaultGateway() (providers.Provider, string, bool) {
	dir, _ := filepath.Abs(c.dir)
	prov, diags := registry()["wisdomgate"](providers.Config{
		Type: "wisdomgate", Body: hcl.EmptyBody(), Dir: dir, Getenv: os.Getenv,
	})
	if c.ui().Diagnostics(diags, nil) || prov == nil {
		return nil, "", false
	}
	return prov, "wisdomgate", true
}

// hasConfig tells whether dir holds configuration files.
func hasConfig(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return true // let loading report it
	}
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), schema.SuffixHCL) || strings.HasSuffix(e.Name(), schema.SuffixJSON)) {
			return true
		}
	}
	return false
}
