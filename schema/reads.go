package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"slices"
	"sync"
)

// Reads is everything a Load, and the evaluations since, read besides its options: the
// configuration and -var-file files, the project files the file functions read, the
// answers of fileexists and fileset, what was at each output path checked, and the
// environment variables env() read. Together
// with the options it is all a configuration's values depend on, so a caller can tell that
// a result computed from them still holds (the plan's no-op record does).
type Reads struct {
	Config   map[string]string   // configuration file name -> sha256 of the bytes parsed
	VarFiles map[string]string   // -var-file, absolute path -> sha256 of the bytes parsed
	Files    map[string]string   // project-relative path -> sha256 of the contents read
	Exists   map[string]bool     // fileexists: project-relative path -> its answer
	Sets     map[string][]string // fileset: FileSetKey(dir, pattern) -> the names listed
	Outputs  map[string]string   // output path checked: project-relative path -> OutputKind's answer
	Env      []string            // names env() read, sorted
	// Unstable is set when one thing was read twice with different answers (a file
	// rewritten during the run): the reads then stand for no single state of the project.
	Unstable bool
}

// FileSetKey is the key of a fileset call in Reads.Sets.
func FileSetKey(dir, pattern string) string { return dir + "\x00" + pattern }

// readLog records Reads; safe for concurrent use.
type readLog struct {
	mu sync.Mutex
	r  Reads
}

func newReadLog() *readLog {
	return &readLog{r: Reads{
		Config: map[string]string{}, VarFiles: map[string]string{}, Files: map[string]string{},
		Exists: map[string]bool{}, Sets: map[string][]string{}, Outputs: map[string]string{},
	}}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func logValue[V comparable](l *readLog, m map[string]V, key string, v V) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := m[key]; ok && old != v {
		l.r.Unstable = true
	}
	m[key] = v
}

// readLog's methods do nothing on a nil log (a Config not made by Load).

func (l *readLog) file(rel, sha string) {
	if l != nil {
		logValue(l, l.r.Files, rel, sha)
	}
}

func (l *readLog) exists(rel string, ok bool) {
	if l != nil {
		logValue(l, l.r.Exists, rel, ok)
	}
}

func (l *readLog) output(rel, kind string) {
	if l != nil {
		logValue(l, l.r.Outputs, rel, kind)
	}
}

func (l *readLog) set(key string, names []string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.r.Sets[key]; ok && !slices.Equal(old, names) {
		l.r.Unstable = true
	}
	l.r.Sets[key] = slices.Clone(names)
}

func (l *readLog) env(name string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if i, found := slices.BinarySearch(l.r.Env, name); !found {
		l.r.Env = slices.Insert(l.r.Env, i, name)
	}
}

// Reads returns what the Load and the evaluations so far read (a copy).
func (c *Config) Reads() Reads {
	l := c.reads
	if l == nil {
		return Reads{Unstable: true} // nothing was recorded: it stands for nothing
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.r
	r.Config = cloneMap(r.Config)
	r.VarFiles = cloneMap(r.VarFiles)
	r.Files = cloneMap(r.Files)
	r.Exists = cloneMap(r.Exists)
	r.Sets = cloneMap(r.Sets)
	r.Outputs = cloneMap(r.Outputs)
	r.Env = slices.Clone(r.Env)
	return r
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ListFiles is what fileset(dir, pattern) lists in the project folder projectDir now, or an
// error when the call would fail: for checking a recorded Reads.Sets entry.
func ListFiles(projectDir, dir, pattern string) ([]string, error) {
	c := &Config{Dir: projectDir, files: &fileCache{entries: map[string]*fileEntry{}}, reads: newReadLog()}
	real, err := filepath.EvalSymlinks(projectDir)
	if err != nil {
		return nil, err
	}
	c.realDir = real
	return c.fileSet(dir, pattern)
}
