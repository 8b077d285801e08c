package main

// This file holds genform init: the scaffold of a new project.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/genform/genform/schema"
)

// scaffold is the main.gen.hcl genform init writes: a project on the offline provider that
// validates, plans and applies as it is, and teaches the language as it goes.
const scaffold = `# A genform project. Each chat, image and video block declares an asset:
# "genform plan" shows what would be generated and why, "genform apply" generates it.
# Only what changed is generated again: the state file remembers every input's hash.

# Project settings (every one is optional).
genform {
  parallelism = 4 # how many generations run at once
}

# A variable. Override it with -var brand="...", a -var-file, or GENFORM_VAR_brand.
variable "brand" {
  type        = string
  default     = "Acme Tea"
  description = "The brand every asset is about."
}

# Locals name values used in more than one place.
locals {
  styles = toset(["watercolor", "pixel art"]) # a set of strings, for for_each below
}

# The offline provider renders placeholder media on this machine: no network, no key.
# To generate for real, declare provider "wisdomgate" {} (it reads WISDOM_GATE_KEY)
# and remove this block.
provider "offline" {
  latency = "200ms" # a pretend generation time
}

# A chat asset: a text reply. path is optional for chat: the text is also written there.
chat "tagline" {
  model       = "deepseek-v3"
  system      = "You write short, warm taglines."
  prompt      = "Write a tagline for ${var.brand}."
  temperature = 0.7
  path        = "out/tagline.txt"
}

# One image per style: for_each makes an instance per element, named by each.key
# (image.poster["watercolor"]). Using chat.tagline.text makes the tagline come first,
# and a new tagline regenerates the posters.
image "poster" {
  for_each     = local.styles
  model        = "gemini-3-pro-image-preview"
  prompt       = "A poster for ${var.brand} saying \"${chat.tagline.text}\", ${each.value} style"
  aspect_ratio = "16:9"
  path         = "out/poster-${replace(each.key, " ", "-")}.png"
}

# A video told as a storyboard of shots, starting from one of the posters.
video "teaser" {
  model     = "veo-3.1"
  reference = image.poster["watercolor"].path
  shot {
    duration = 2
    scene    = "The ${var.brand} logo fades in over a watercolor sky."
  }
  shot {
    duration = 2
    scene    = "The camera pans across the posters."
  }
  path = "out/teaser.gif" # the offline provider renders video as an animated GIF
}

# Outputs are values to read after apply: genform output posters.
output "posters" {
  value = [for p in image.poster : p.path]
}
`

// ignoreLine is the .gitignore line for genform's working data.
const ignoreLine = ".genform/"

func cmdInit(c *cli, args []string) int {
	flags := newFlags(c, "init", "[-migrate-state [-force] [-lock-timeout=DURATION]]")
	migrate := flags.Bool("migrate-state", false, "move the local state file into the backend the genform block names")
	force := flags.Bool("force", false, "with -migrate-state: replace a backend state of another lineage or a newer serial")
	lockTimeout := lockTimeoutFlag(flags)
	if code := parseFlags(c, flags, args); code >= 0 {
		return code
	}
	if *migrate && flags.NArg() == 0 {
		return c.migrateState(*force, *lockTimeout)
	}
	if *force {
		return c.usageError(flags, "-force goes with -migrate-state")
	}
	if flags.NArg() > 0 {
		return c.usageError(flags, fmt.Sprintf("init takes no arguments, and got %q; use genform -chdir=DIR init for another folder", flags.Arg(0)))
	}
	if fi, err := os.Stat(c.dir); err != nil || !fi.IsDir() {
		c.ui().Errorf("%s is not a folder", c.dir)
		return 1
	}
	// like terraform init, init may run again in a project: it writes what is missing and
	// says what it left alone
	existing, err := configFiles(c.dir)
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	if len(existing) == 0 {
		if err := writeFileAtomic(filepath.Join(c.dir, "main.gen.hcl"), []byte(scaffold)); err != nil {
			c.ui().Error(err)
			return 1
		}
		fmt.Fprintln(c.stdout, "Created main.gen.hcl.")
	} else {
		fmt.Fprintf(c.stdout, "Skipped the sample main.gen.hcl: the folder already has configuration (%s), left as it is.\n", strings.Join(existing, ", "))
	}
	ignored, err := ensureIgnored(filepath.Join(c.dir, ".gitignore"))
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	if ignored {
		fmt.Fprintf(c.stdout, "Added %s to .gitignore.\n", ignoreLine)
	} else {
		fmt.Fprintf(c.stdout, ".gitignore already ignores %s.\n", ignoreLine)
	}
	fmt.Fprintln(c.stdout, "\nNext: genform validate, genform plan, then genform apply.")
	return 0
}

// ensureIgnored makes sure .gitignore has a line for .genform/, creating the file or
// appending to it. It tells whether it changed anything.
func ensureIgnored(path string) (bool, error) {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	for _, line := range bytes.Split(old, []byte("\n")) {
		switch string(bytes.TrimSpace(line)) {
		case ".genform", ".genform/", "/.genform", "/.genform/":
			return false, nil
		}
	}
	data := old
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	data = append(data, ignoreLine+"\n"...)
	return true, writeFileAtomic(path, data)
}

// configFiles lists the configuration files directly in dir (what schema.Load would read),
// and a main.gen.hcl of any kind (init never overwrites it).
func configFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if n == "main.gen.hcl" || (!e.IsDir() && (strings.HasSuffix(n, schema.SuffixHCL) || strings.HasSuffix(n, schema.SuffixJSON))) {
			out = append(out, n)
		}
	}
	return out, nil
}
