package state

import (
	"encoding/json"
	"fmt"
	"math"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/genform/genform/asset"
)

// The on-disk shape of version 1. Field names are in alphabetical order so that the written
// JSON has sorted keys at every level; File and Record carry no JSON tags on purpose.

type diskFile struct {
	Jobs    map[string]*diskJob    `json:"jobs"`
	Lineage string                 `json:"lineage"`
	Records map[string]*diskRecord `json:"records"`
	Serial  uint64                 `json:"serial"`
	Version json.RawMessage        `json:"version"` // checked after decoding, see parse
}

type diskRecord struct {
	Cost          *float64       `json:"cost,omitempty"`
	GeneratedAt   string         `json:"generated_at,omitempty"`
	InputHash     string         `json:"input_hash"`
	JobID         string         `json:"job_id,omitempty"`
	Kind          string         `json:"kind"`
	Model         string         `json:"model,omitempty"`
	Output        *diskOutput    `json:"output,omitempty"`
	Provider      string         `json:"provider"`
	Request       map[string]any `json:"request,omitempty"`
	RevisedPrompt string         `json:"revised_prompt,omitempty"`
	Text          string         `json:"text,omitempty"`
	Usage         *diskUsage     `json:"usage,omitempty"`
}

type diskOutput struct {
	Height    int     `json:"height,omitempty"`
	MediaType string  `json:"media_type,omitempty"`
	Path      string  `json:"path"`
	Seconds   float64 `json:"seconds,omitempty"`
	SHA256    string  `json:"sha256"`
	Size      int64   `json:"size"`
	Width     int     `json:"width,omitempty"`
}

type diskUsage struct {
	CompletionTokens int64 `json:"completion_tokens"`
	PromptTokens     int64 `json:"prompt_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

type diskJob struct {
	InputHash string `json:"input_hash"`
	JobID     string `json:"job_id,omitempty"`
	Provider  string `json:"provider"`
	StartedAt string `json:"started_at,omitempty"`
	URL       string `json:"url,omitempty"`
}

// addrRecord and addrJob are a record and a job outside the state file (journal lines, cache
// index files), where no map key carries the address.
type addrRecord struct {
	Addr string `json:"addr"`
	diskRecord
}

type addrJob struct {
	Addr string `json:"addr"`
	diskJob
}

func recordToDisk(r *Record) *diskRecord {
	d := &diskRecord{
		Cost:          r.Cost,
		GeneratedAt:   formatTime(r.GeneratedAt),
		InputHash:     r.InputHash,
		JobID:         r.JobID,
		Kind:          r.Kind,
		Model:         r.Model,
		Provider:      r.Provider,
		Request:       r.Request,
		RevisedPrompt: r.RevisedPrompt,
		Text:          r.Text,
	}
	if o := r.Output; o != nil {
		d.Output = &diskOutput{
			Height: o.Height, MediaType: o.MediaType, Path: o.Path, Seconds: o.Seconds,
			SHA256: o.SHA256, Size: o.Size, Width: o.Width,
		}
	}
	if u := r.Usage; u != nil {
		d.Usage = &diskUsage{
			CompletionTokens: u.CompletionTokens, PromptTokens: u.PromptTokens, TotalTokens: u.TotalTokens,
		}
	}
	return d
}

// recordFromDisk converts and checks one record; the string is what is wrong, "" if nothing.
func recordFromDisk(addr string, d *diskRecord) (*Record, string) {
	if d == nil {
		return nil, "is null; it must be an object"
	}
	at, why := parseTime("generated_at", d.GeneratedAt)
	if why != "" {
		return nil, why
	}
	r := &Record{
		Addr:          addr,
		Kind:          d.Kind,
		Provider:      d.Provider,
		Model:         d.Model,
		InputHash:     d.InputHash,
		Request:       d.Request,
		Text:          d.Text,
		Cost:          d.Cost,
		JobID:         d.JobID,
		RevisedPrompt: d.RevisedPrompt,
		GeneratedAt:   at,
	}
	if len(r.Request) == 0 {
		r.Request = nil // written as absent: read back the same way
	}
	if o := d.Output; o != nil {
		r.Output = &Output{
			Path: o.Path, SHA256: o.SHA256, Size: o.Size, MediaType: o.MediaType,
			Width: o.Width, Height: o.Height, Seconds: o.Seconds,
		}
	}
	if u := d.Usage; u != nil {
		r.Usage = &Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	}
	return r, checkRecord(r)
}

func jobToDisk(j *Job) *diskJob {
	return &diskJob{InputHash: j.InputHash, JobID: j.JobID, Provider: j.Provider, StartedAt: formatTime(j.StartedAt), URL: j.URL}
}

func jobFromDisk(addr string, d *diskJob) (*Job, string) {
	if d == nil {
		return nil, "is null; it must be an object"
	}
	at, why := parseTime("started_at", d.StartedAt)
	if why != "" {
		return nil, why
	}
	j := &Job{Addr: addr, InputHash: d.InputHash, Provider: d.Provider, JobID: d.JobID, URL: d.URL, StartedAt: at}
	return j, checkJob(j)
}

// checkRecord reports the first invariant r breaks, or "".
func checkRecord(r *Record) string {
	kind, why := checkAddr(r.Addr)
	if why != "" {
		return why
	}
	switch {
	case !asset.Known(r.Kind):
		return fmt.Sprintf("kind %q is not one of %s", r.Kind, strings.Join(asset.Names(), ", "))
	case r.Kind != kind:
		return fmt.Sprintf("kind %q does not match the address, which is a %s", r.Kind, kind)
	case r.Provider == "":
		return "has no provider"
	case !isSHA256(r.InputHash):
		return fmt.Sprintf("input_hash %q is not a hex sha256 (64 lowercase hex digits)", r.InputHash)
	case r.Output == nil && !asset.IsText(r.Kind):
		return fmt.Sprintf("has no output; every %s has one", r.Kind)
	case r.Cost != nil && (math.IsNaN(*r.Cost) || math.IsInf(*r.Cost, 0) || *r.Cost < 0):
		return fmt.Sprintf("cost %v is not a price (a finite number of USD, 0 or more)", *r.Cost)
	}
	if u := r.Usage; u != nil && (u.PromptTokens < 0 || u.CompletionTokens < 0 || u.TotalTokens < 0) {
		return "usage has a negative token count"
	}
	if o := r.Output; o != nil {
		if why := checkOutputPath(o.Path); why != "" {
			return why
		}
		switch {
		case !isSHA256(o.SHA256):
			return fmt.Sprintf("output sha256 %q is not a hex sha256 (64 lowercase hex digits)", o.SHA256)
		case o.Size < 0:
			return fmt.Sprintf("output size %d is negative", o.Size)
		case o.Width < 0 || o.Height < 0:
			return fmt.Sprintf("output dimensions %dx%d are negative", o.Width, o.Height)
		case math.IsNaN(o.Seconds) || math.IsInf(o.Seconds, 0) || o.Seconds < 0:
			return fmt.Sprintf("output seconds %v is not a duration", o.Seconds)
		}
	}
	return checkTime("generated_at", r.GeneratedAt)
}

// checkJob reports the first invariant j breaks, or "".
func checkJob(j *Job) string {
	if _, why := checkAddr(j.Addr); why != "" {
		return why
	}
	switch {
	case j.JobID == "" && j.URL == "":
		return "has neither a job_id nor a url"
	case j.URL != "" && !strings.HasPrefix(j.URL, "https://") && !strings.HasPrefix(j.URL, "http://"):
		return fmt.Sprintf("url %q is not an http(s) link", j.URL)
	case j.Provider == "":
		return "has no provider"
	case !isSHA256(j.InputHash):
		return fmt.Sprintf("input_hash %q is not a hex sha256 (64 lowercase hex digits)", j.InputHash)
	}
	return checkTime("started_at", j.StartedAt)
}

// checkAddr checks an instance address: kind.name, kind.name[0] or kind.name["key"]. It
// returns the kind.
func checkAddr(a string) (kind, why string) {
	bad := func(what string) (string, string) {
		return "", fmt.Sprintf("address %q %s; addresses look like image.hero, image.hero[0] or image.hero[\"key\"]", a, what)
	}
	dot := strings.IndexByte(a, '.')
	if dot < 0 {
		return bad("has no kind")
	}
	kind, rest := a[:dot], a[dot+1:]
	name, key := rest, ""
	if i := strings.IndexByte(rest, '['); i >= 0 {
		name, key = rest[:i], rest[i:]
	}
	if !isIdent(kind) || !isIdent(name) {
		return bad("has a bad name")
	}
	if key != "" {
		if len(key) < 3 || key[len(key)-1] != ']' {
			return bad("has a bad index")
		}
		in := key[1 : len(key)-1]
		quoted := len(in) >= 2 && in[0] == '"' && in[len(in)-1] == '"'
		if !quoted && !isIndex(in) {
			return bad("has a bad index")
		}
	}
	return kind, ""
}

// isIdent accepts a kind or block name. It is looser than the configuration's identifiers
// (HCL's: Unicode ID_Start or _, then ID_Continue or -, which admit combining marks such as
// the accent of a decomposed "café"): the state refuses only what would make an address
// ambiguous or unreadable, so that no name genform's configuration takes can make its record
// impossible to write after it was paid for.
func isIdent(s string) bool {
	for i, r := range s {
		switch {
		case r == utf8.RuneError, unicode.IsSpace(r), unicode.IsControl(r), strings.ContainsRune(`.[]"\`, r):
			return false
		case i == 0 && (r == '-' || unicode.IsDigit(r)):
			return false
		}
	}
	return s != ""
}

func isIndex(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkOutputPath checks that p is project-relative, slash-separated and canonical.
func checkOutputPath(p string) string {
	clean := path.Clean(p)
	switch {
	case p == "":
		return "output path is empty"
	case strings.ContainsAny(p, "\\\x00"):
		return fmt.Sprintf("output path %q must use forward slashes and no NUL", p)
	case path.IsAbs(p) || (len(p) >= 2 && p[1] == ':'):
		return fmt.Sprintf("output path %q is absolute; it must be relative to the project folder", p)
	case p == "." || clean == "..":
		return fmt.Sprintf("output path %q is not a file in the project folder", p)
	case strings.HasPrefix(clean, "../") || strings.Contains("/"+p+"/", "/../"):
		return fmt.Sprintf("output path %q has \"..\"; it must stay inside the project folder", p)
	case clean != p:
		return fmt.Sprintf("output path %q is not canonical (it would be %q)", p, clean)
	}
	return ""
}

const timeLayout = time.RFC3339

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// parseTime reads an RFC 3339 time, normalized to UTC whole seconds as Write writes it.
func parseTime(field, s string) (time.Time, string) {
	if s == "" {
		return time.Time{}, ""
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Sprintf("%s %q is not an RFC 3339 time like 2025-01-02T15:04:05Z", field, s)
	}
	t = t.UTC()
	t = t.Add(-time.Duration(t.Nanosecond()))
	return t, checkTime(field, t)
}

func checkTime(field string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Sprintf("%s is in year %d, outside 0000-9999", field, y)
	}
	return ""
}
