package state

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Version is the state file format this genform reads and writes. A file of a higher version
// was written by a newer genform and is refused, never rewritten.
const Version = 1

// File is the state: what was generated, from what, at what cost. It holds no secrets.
type File struct {
	Lineage string             // random id made when the state is first created (uuid-like hex)
	Serial  uint64             // bumped on every write that changes the content
	Records map[string]*Record // by instance address, e.g. `image.hero["dawn"]`
	Jobs    map[string]*Job    // asynchronous jobs started but not finished, by address
}

// New returns an empty state with a fresh lineage and serial 0.
func New() *File {
	return &File{
		Lineage: newLineage(),
		Records: map[string]*Record{},
		Jobs:    map[string]*Job{},
	}
}

// Record is one generated instance.
type Record struct {
	Addr          string         // instance address; the key in File.Records
	Kind          string         // chat | image | video
	Provider      string         // provider type, e.g. "wisdomgate" (never credentials or URLs)
	Model         string         //
	InputHash     string         // hex sha256 of the canonical request encoding
	Request       map[string]any // resolved request fields as JSON values (prompt included); numbers read back as float64
	Output        *Output        // nil for a chat without a path
	Text          string         // chat reply
	Usage         *Usage         // nil when none
	Cost          *float64       // USD; nil when unknown
	JobID         string         // provenance: the gateway's job/response id
	RevisedPrompt string         //
	GeneratedAt   time.Time      // written in UTC, RFC 3339, whole seconds
}

// Output is the file an instance produced.
type Output struct {
	Path          string // project-relative, slash-separated
	SHA256        string // hex
	Size          int64
	MediaType     string
	Width, Height int     // omitted when 0
	Seconds       float64 // video; omitted when 0
}

// Usage is what a chat reply cost in tokens.
type Usage struct {
	PromptTokens, CompletionTokens, TotalTokens int64
}

// Job is a paid generation not yet in place: an asynchronous job (a video) started but not
// finished, whose id lets the next apply resume polling instead of paying again, or a receipt
// for a paid reply that named a download link, which the next apply downloads again without
// paying. It has a JobID, a URL or both.
type Job struct {
	Addr      string
	InputHash string // the input hash the job was started for; resume only if it still matches
	Provider  string
	JobID     string
	URL       string // where the paid output can be downloaded (never with a credential)
	StartedAt time.Time
}

// Entry is one line of the journal: what one finished (or started) instance changes in the
// state. Any combination of fields may be set; Apply removes first, then sets.
type Entry struct {
	Record    *Record // a finished instance (set or replace)
	Job       *Job    // an async job id to remember
	Forget    string  // an address whose record goes (delete)
	ForgetJob string  // an address whose job is done or abandoned
}

// Apply folds journal entries into f, in order.
func (f *File) Apply(entries []Entry) {
	if f.Records == nil {
		f.Records = map[string]*Record{}
	}
	if f.Jobs == nil {
		f.Jobs = map[string]*Job{}
	}
	for _, e := range entries {
		if e.Forget != "" {
			delete(f.Records, e.Forget)
		}
		if e.ForgetJob != "" {
			delete(f.Jobs, e.ForgetJob)
		}
		if e.Record != nil {
			f.Records[e.Record.Addr] = e.Record
		}
		if e.Job != nil {
			f.Jobs[e.Job.Addr] = e.Job
		}
	}
}

// newLineage makes a random version-4 UUID.
func newLineage() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
