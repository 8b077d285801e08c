package planfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
)

// Version is the saved-plan format this genform writes and reads.
const Version = 1

// File is a saved plan: what it was made from and what it decided. apply re-plans from the
// same inputs and refuses the saved plan when anything differs (Check).
type File struct {
	Version    int               `json:"version"`
	Genform    string            `json:"genform_version"`
	ConfigHash string            `json:"config_hash"`
	Lineage    string            `json:"lineage"`
	Serial     uint64            `json:"serial"`
	Vars       []schema.VarValue `json:"vars,omitempty"`
	Targets    []string          `json:"targets,omitempty"`
	Replace    []string          `json:"replace,omitempty"`
	Changes    []Change          `json:"changes"`
}

// New is the saved form of a plan; the caller adds the genform version and the inputs.
func New(plan *engine.Plan) *File {
	f := &File{
		Version: Version, ConfigHash: plan.ConfigHash, Lineage: plan.Lineage, Serial: plan.Serial,
		Targets: plan.Targets, Replace: plan.Replace,
	}
	for _, ch := range plan.Changes {
		f.Changes = append(f.Changes, FromEngine(ch))
	}
	return f
}

// Write writes the saved plan to path, atomically.
func Write(path string, f *File) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return state.WriteFileAtomic(path, append(b, '\n'), 0o644)
}

// Read reads a saved plan.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s is not a saved plan: %v", path, err)
	}
	if f.Version != Version || f.ConfigHash == "" {
		return nil, fmt.Errorf("%s is not a saved plan of this genform version", path)
	}
	return &f, nil
}

// PublicVars drops the -var values a saved plan must not hold: sensitive variables and any
// variable a provider block reads (an api_key = var.key). The plan's config hash still
// covers their values, so apply takes them again (-var, -var-file, GENFORM_VAR_) and refuses
// the plan if they differ.
func PublicVars(cfg *schema.Config, vals []schema.VarValue) []schema.VarValue {
	secret := map[string]bool{}
	for name, v := range cfg.Variables {
		if v.Sensitive {
			secret[name] = true
		}
	}
	for _, pc := range cfg.Providers {
		attrs, _ := pc.Body.JustAttributes()
		for _, a := range attrs {
			for _, tr := range a.Expr.Variables() {
				if tr.RootName() != "var" || len(tr) < 2 {
					continue
				}
				if at, ok := tr[1].(hcl.TraverseAttr); ok {
					secret[at.Name] = true
				}
			}
		}
	}
	var out []schema.VarValue
	for _, v := range vals {
		if v.File != "" || !secret[v.Name] {
			out = append(out, v)
		}
	}
	return out
}

// ErrStale is the refusal of a saved plan that no longer matches.
var ErrStale = errors.New("saved plan is stale")

// Check compares a fresh plan with a saved one; the error wraps ErrStale.
func Check(saved *File, plan *engine.Plan) error {
	switch {
	case saved.ConfigHash != plan.ConfigHash:
		return fmt.Errorf("%w: the configuration changed since it was made; run genform plan again", ErrStale)
	case saved.Lineage != plan.Lineage || saved.Serial != plan.Serial:
		return fmt.Errorf("%w: the state changed since it was made (serial %d, now %d); run genform plan again", ErrStale, saved.Serial, plan.Serial)
	}
	if len(saved.Changes) != len(plan.Changes) {
		return fmt.Errorf("%w: the plan is different now; run genform plan again", ErrStale)
	}
	for i, ch := range plan.Changes {
		s := saved.Changes[i]
		if s.Address != ch.Addr || s.Action != ch.Action || s.InputHash() != ch.InputHash {
			return fmt.Errorf("%w: %s would be planned differently now (input files changed?); run genform plan again", ErrStale, ch.Addr)
		}
	}
	return nil
}
