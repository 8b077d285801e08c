package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
)

// noopVersion names the format and the meaning of a NoopRecord; a record of another
// version is not read.
const noopVersion = "genform-noop-v1"

// NoopRecord says that a plan found nothing to do, and lists everything that answer rests
// on, by content: when all of it is still the same, the same plan would find nothing to do
// again, and a command can say so after a stat of each file instead of loading and
// planning. It is working data (.genform/noop.json): without it, plan does the whole work.
//
// What it covers: Key (the caller's: genform's build and the command's options and
// variables), every configuration file of the folder (the set of names and each one's
// contents), every -var-file, every project file the configuration read (file,
// templatefile, filesha256), every fileexists answer and fileset listing, what was at each
// output path (nothing, a file, a folder, a link: an output path's check depends on it),
// every input file the plan hashed (references, mask, reference), the environment variables
// env() and the providers read (as one digest), the state file's contents, and every output
// file (path, size, sha256).
type NoopRecord struct {
	Version   string              `json:"version"`
	Key       string              `json:"key"`
	StatePath string              `json:"state_path"` // project-relative; "" when the state is not covered (validate)
	State     string              `json:"state"`      // sha256 of the state file, "" when there was none
	Config    map[string]string   `json:"config"`
	VarFiles  map[string]string   `json:"var_files,omitempty"`
	Files     map[string]string   `json:"files,omitempty"`
	Exists    map[string]bool     `json:"exists,omitempty"`
	Sets      map[string][]string `json:"sets,omitempty"`
	Paths     map[string]string   `json:"paths,omitempty"` // output path -> schema.OutputKind, but for Outputs
	EnvNames  []string            `json:"env_names,omitempty"`
	Env       string              `json:"env"` // NoopEnvDigest of EnvNames
	// Outputs are kept beside the record, in path+".outputs" (text, one "size sha256 path" a
	// line, read only once everything else held); OutputsSum is that file's sha256.
	Outputs    []NoopOutput `json:"-"`
	OutputsSum string       `json:"outputs_sum"`

	path string // where it was read from
}

// NoopOutput is one output file as the no-op plan found it.
type NoopOutput struct {
	Path   string
	Size   int64
	SHA256 string
}

// NewNoopRecord makes the record of a plan that found nothing to do. ok is false when the
// plan has changes or its inputs do not stand for one state of the project (a file changed
// while it was read). envNames are the environment variables read besides env()'s (the
// providers'); getenv gives the values the run used.
func NewNoopRecord(key string, cfg *schema.Config, plan *Plan, stateSHA string, envNames []string, getenv func(string) (string, bool)) (*NoopRecord, bool) {
	if plan.HasChanges() || len(plan.Moves) > 0 || len(plan.Targets) > 0 || len(plan.Replace) > 0 || plan.planner == nil {
		return nil, false
	}
	r, ok := planInputs(key, cfg, plan, stateSHA, envNames, getenv)
	if !ok {
		return nil, false
	}
	for _, ch := range plan.Changes {
		if ch.Before == nil || ch.Before.Output == nil || ch.Path == "" {
			continue
		}
		o := ch.Before.Output
		r.Outputs = append(r.Outputs, NoopOutput{Path: o.Path, Size: o.Size, SHA256: o.SHA256})
		delete(r.Paths, o.Path) // its contents are checked, which says it is a file
	}
	return r, true
}

// planInputs is the record of what a plan read (NewNoopRecord without the outputs), made
// whatever the plan's changes.
func planInputs(key string, cfg *schema.Config, plan *Plan, stateSHA string, envNames []string, getenv func(string) (string, bool)) (*NoopRecord, bool) {
	if plan.planner == nil {
		return nil, false
	}
	r, ok := NewValidRecord(key, cfg, envNames, getenv)
	if !ok {
		return nil, false
	}
	rel, err := filepath.Rel(cfg.Dir, filepath.Join(cfg.Dir, cfg.Settings.StatePath))
	if err != nil || rel == "" {
		return nil, false
	}
	r.StatePath, r.State = filepath.ToSlash(rel), stateSHA
	p := plan.planner
	p.files.mu.Lock()
	for name, sha := range p.files.seen {
		if old, ok := r.Files[name]; ok && old != sha {
			p.files.mu.Unlock()
			return nil, false // read twice, two contents
		}
		r.Files[name] = sha
	}
	p.files.mu.Unlock()
	return r, true
}

// NewValidRecord makes the record of a configuration found valid without a diagnostic:
// NoopRecord without the state and the outputs, which validate does not read.
func NewValidRecord(key string, cfg *schema.Config, envNames []string, getenv func(string) (string, bool)) (*NoopRecord, bool) {
	reads := cfg.Reads()
	if reads.Unstable {
		return nil, false
	}
	r := &NoopRecord{
		Version: noopVersion, Key: key,
		Config: reads.Config, VarFiles: reads.VarFiles, Files: reads.Files,
		Exists: reads.Exists, Sets: reads.Sets, Paths: reads.Outputs,
	}
	names := slices.Concat(reads.Env, envNames)
	slices.Sort(names)
	r.EnvNames = slices.Compact(names)
	r.Env = NoopEnvDigest(r.EnvNames, getenv)
	return r, true
}

// NoopEnvDigest is the digest of the named environment variables' values (set or not).
func NoopEnvDigest(names []string, getenv func(string) (string, bool)) string {
	h := sha256.New()
	for _, n := range names {
		v, ok := getenv(n)
		fmt.Fprintf(h, "%q %t %q\n", n, ok, v)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WriteNoopRecord writes r to path and its outputs beside it, each atomically and without
// waiting for the disk (the record names its outputs' sha256, so a pair a power cut tore
// apart does not hold). A record read from a file has its outputs only once Holds read them,
// so it is not written again.
func WriteNoopRecord(path string, r *NoopRecord) error {
	if r.path != "" {
		return fmt.Errorf("a no-op record read from %s is not written again", r.path)
	}
	var outs []byte
	for _, o := range r.Outputs {
		if strings.ContainsRune(o.Path, '\n') {
			return fmt.Errorf("an output path holds a newline: %q", o.Path)
		}
		outs = fmt.Appendf(outs, "%d %s %s\n", o.Size, o.SHA256, o.Path)
	}
	r.OutputsSum = sha256Hex(outs)
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := state.WriteRecordAtomic(path+".outputs", outs, 0o644); err != nil {
		return err
	}
	return state.WriteRecordAtomic(path, b, 0o644)
}

// ReadNoopRecord reads the record at path (its outputs are read by Holds); nil when there
// is none or it cannot be read.
func ReadNoopRecord(path string) *NoopRecord {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var r NoopRecord
	if json.Unmarshal(b, &r) != nil || r.Version != noopVersion {
		return nil
	}
	r.path = path
	return &r
}

// readOutputs reads the outputs file of a record read from its path; false when it is
// missing, not the one the record names, or not well formed.
func (r *NoopRecord) readOutputs() bool {
	if r.path == "" {
		return r.OutputsSum == "" // made in memory, not read
	}
	b, err := os.ReadFile(r.path + ".outputs")
	if err != nil || sha256Hex(b) != r.OutputsSum {
		return false
	}
	r.Outputs = r.Outputs[:0]
	for len(b) > 0 {
		line, rest, found := bytes.Cut(b, []byte{'\n'})
		if !found {
			return false
		}
		b = rest
		size, line, ok1 := bytes.Cut(line, []byte{' '})
		sha, p, ok2 := bytes.Cut(line, []byte{' '})
		n, err := strconv.ParseInt(string(size), 10, 64)
		if !ok1 || !ok2 || err != nil || len(p) == 0 {
			return false
		}
		r.Outputs = append(r.Outputs, NoopOutput{Path: string(p), Size: n, SHA256: string(sha)})
	}
	return true
}

// Holds reports whether everything r rests on is still the same in the project folder dir
// (absolute), for the caller's key: the files by stat (hashed again only when their stat
// changed; read and hashed when stat is nil, as for validate's few files), the environment
// by getenv. An interrupted apply's journal (journal, absolute;
// "" for validate, which does not read it) means it does not hold.
func (r *NoopRecord) Holds(dir, key, journal string, stat *state.StatCache, getenv func(string) (string, bool)) bool {
	return r != nil && r.Key == key && r.configHolds(dir, stat) && r.inputsHold(dir, key, journal, stat, getenv) &&
		r.readOutputs() && r.outputsHold(dir, stat)
}

// inputsHold is Holds without the configuration files and the outputs: the key, the
// environment, the journal, the state file, the var files, every file the configuration
// or the plan read, and what is at each output path checked (but the outputs').
func (r *NoopRecord) inputsHold(dir, key, journal string, stat *state.StatCache, getenv func(string) (string, bool)) bool {
	if r == nil || r.Key != key || r.Env != NoopEnvDigest(r.EnvNames, getenv) {
		return false
	}
	if journal != "" {
		if _, err := os.Lstat(journal); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	same := func(abs, sha string) bool {
		got, err := hashThrough(stat, abs)
		return err == nil && got == sha
	}
	if !r.stateHolds(dir, stat) {
		return false
	}
	for path, sha := range r.VarFiles {
		if !same(path, sha) {
			return false
		}
	}
	for rel, sha := range r.Files {
		if !same(filepath.Join(dir, filepath.FromSlash(rel)), sha) {
			return false
		}
	}
	for rel, want := range r.Exists {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
		if (err == nil && fi.Mode().IsRegular()) != want {
			return false
		}
	}
	for rel, want := range r.Paths {
		if schema.OutputKind(dir, rel) != want {
			return false
		}
	}
	for key, want := range r.Sets {
		d, pattern, _ := strings.Cut(key, "\x00")
		got, err := schema.ListFiles(dir, d, pattern)
		if err != nil || !slices.Equal(got, want) {
			return false
		}
	}
	return true
}

// stateHolds reports whether the state file is the one recorded (none when none was).
func (r *NoopRecord) stateHolds(dir string, stat *state.StatCache) bool {
	if r.StatePath == "" {
		return true
	}
	statePath := filepath.Join(dir, filepath.FromSlash(r.StatePath))
	if r.State == "" {
		_, err := os.Lstat(statePath)
		return errors.Is(err, fs.ErrNotExist)
	}
	got, err := hashThrough(stat, statePath)
	return err == nil && got == r.State
}

// hashThrough hashes a file through the stat cache, or by reading it when there is none.
func hashThrough(stat *state.StatCache, abs string) (string, error) {
	if stat == nil {
		return hashFile(abs)
	}
	sha, _, err := stat.Hash(abs)
	return sha, err
}

// configHolds checks the folder's configuration files: the same names, the same contents.
func (r *NoopRecord) configHolds(dir string, stat *state.StatCache) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, schema.SuffixHCL) || strings.HasSuffix(name, schema.SuffixJSON)) {
			continue
		}
		n++
		want, ok := r.Config[name]
		if !ok {
			return false
		}
		if got, err := hashThrough(stat, filepath.Join(dir, name)); err != nil || got != want {
			return false
		}
	}
	return n == len(r.Config)
}

// outputsHold checks every output file, as plan does: one stat when the stat cache knows
// the file, its contents only when the size is the same but the stat changed.
func (r *NoopRecord) outputsHold(dir string, stat *state.StatCache) bool {
	if stat == nil {
		return len(r.Outputs) == 0
	}
	for _, o := range r.Outputs {
		abs := filepath.Join(dir, filepath.FromSlash(o.Path))
		size, unchanged, sha, err := stat.Stat(abs)
		switch {
		case err != nil || size != o.Size:
			return false
		case unchanged:
			if sha != o.SHA256 {
				return false
			}
		default:
			if got, _, err := stat.Hash(abs); err != nil || got != o.SHA256 {
				return false
			}
		}
	}
	return true
}
