// Package providers is the contract between genform's engine and the services that generate
// media. It owns the Provider interface, the request and result types, the error classes, and
// the generic retry and limit wrappers. It knows nothing of HCL files, state or plans: the
// engine resolves a configuration into a Request, and a concrete provider (providers/wisdomgate,
// providers/offline) turns it into bytes.
package providers

import (
	"context"
	"time"

	"github.com/genform/genform/asset"
	"github.com/hashicorp/hcl/v2"
)

// Kind is what an asset produces; the kinds are asset's.
type Kind = asset.Kind

// The kinds of asset genform knows.
const (
	Chat  = asset.Chat
	Image = asset.Image
	Video = asset.Video
)

// Provider generates media for resolved requests.
//
// Check and Price are pure (no network, no files) and are called at validate and plan time.
// Generate is called at apply time, from many goroutines at once: implementations must be safe
// for concurrent use.
type Provider interface {
	// Check reports what is wrong with a request against what the provider knows of its model:
	// unknown or misspelt enumerated values, out-of-range numbers, too many references, a model
	// of the wrong kind. Zero-valued fields are unset (or not yet known) and are not checked.
	Check(req *Request) []Problem

	// Price estimates what generating req costs. An unpriced model gives Price{Known: false},
	// never a zero price.
	Price(req *Request) Price

	// Generate produces the output of req. Media is written to a new file in job.Dir and
	// returned as Result.File (the caller owns the file from then on), or, when the provider
	// holds it whole in memory anyway (an image that came inline in a reply), returned as
	// Result.Data. The context bounds the
	// whole generation (retries and polling included). Errors are *Error where the class is
	// known; anything else is treated as Retryable by callers that retry.
	Generate(ctx context.Context, req *Request, job *Job) (*Result, error)
}

// Pooled is a provider that keeps connections open: apply tells it, before it starts, how
// many generations run at once, so that it keeps that many connections to its service instead
// of opening new ones (providers/wisdomgate). Requests already in flight finish as they began.
type Pooled interface {
	SetParallelism(n int)
}

// Timed is a provider whose requests each have a time limit (its `timeout`): whoever must
// hold something for as long as a request may last (a runner's claim lease) sizes it from
// this. An asynchronous job's polling is not one request: each poll is.
type Timed interface {
	RequestTimeout() time.Duration
}

// Limited is a provider with client-side limits from its block: at most concurrency requests
// at once and requestsPerMinute (0: no limit). Runners of one run share them through the
// backend, so that they hold for the run as a whole.
type Limited interface {
	Limits() (concurrency int, requestsPerMinute float64)
}

// Request is one fully resolved generation. Every file it reads is listed with its hash.
// Optional values are pointers or zero strings; zero means "not set".
type Request struct {
	Kind   Kind
	Model  string
	Prompt string // the rendered prompt; empty for a video made only of Shots
	System string // chat: the system message

	// chat
	Temperature      *float64
	TopP             *float64
	PresencePenalty  *float64
	FrequencyPenalty *float64
	MaxTokens        *int64
	Seed             *int64

	// image
	AspectRatio  string // Gemini: "16:9"
	Resolution   string // Gemini image_size: "1K", "2K", "4K"
	Size         string // images API and video: "1024x1024", "1280x720"
	Quality      string
	Background   string
	Style        string
	OutputFormat string
	References   []File // input images (image), in order
	Mask         *File  // images API edits mask

	// video
	Seconds   int    // 0: the model's default
	Shots     []Shot // storyboard; the provider renders it into its prompt format
	Reference *File  // image-to-video input

	// Options holds extra gateway fields from `options = {...}`, as JSON-ready values
	// (string, float64, bool, nil, []any, map[string]any), merged into the request body.
	Options map[string]any

	// OutputPath is the project-relative path the output will be written to. Its extension
	// tells the wanted format (".png", ".jpg", ".webp", ".gif", ".mp4", ".txt").
	OutputPath string
}

// Shot is one storyboard shot of a video.
type Shot struct {
	Duration float64 // seconds
	Scene    string
}

// File is an input file the request reads.
type File struct {
	Path   string // absolute path on disk
	Name   string // project-relative path, as the user wrote it
	SHA256 string // hex
}

// Job carries what one Generate call needs beyond the request itself.
type Job struct {
	// Addr is the address of the instance the request is for ("image.hero[0]"), for wrappers
	// that hold something per instance (a runner's claim); providers need not read it.
	Addr string
	// Dir is the folder for output files: the caller renames them into place from there.
	Dir string
	// ResumeID, when set, names an asynchronous job started earlier for this same request:
	// the provider polls it instead of creating (and paying for) a new one.
	ResumeID string
	// Started is called once, as soon as an asynchronous job has an id: the first thing done
	// with the create reply, before polling. The caller records the id durably (a receipt);
	// an error from Started aborts the generation.
	Started func(id string) error
	// Linked is called as soon as a paid reply names a download link, before downloading it.
	// The caller records the link durably (a receipt): should the download fail, or the
	// process die, the next apply downloads again from it instead of paying again. The link
	// must carry no credential (the provider adds its key when it downloads). An error from
	// Linked aborts the generation. A reply that carries its bytes or text needs no call: the
	// Result Generate returns is its receipt, made durable before anything else is done.
	Linked func(url string) error
	// ResumeURL, when set, is a link recorded by Linked for this same request: the provider
	// downloads the output from it and sends no (paid) request.
	ResumeURL string
	// Progress, when not nil, is told what the generation is doing.
	Progress func(Progress)
	// PossiblyCharged, when not nil, is called once for every attempt that sent a paid
	// request and got no complete reply (a timeout, a reset, a 5xx): the gateway may have
	// charged for it. It is called before the attempt is retried; an error from it (the
	// budget would not cover another attempt) means the request is not sent again.
	PossiblyCharged func() error
}

// Phase names a step of a generation.
type Phase string

// The phases a provider reports.
const (
	PhaseGenerating  Phase = "generating"
	PhaseQueued      Phase = "queued"
	PhaseRendering   Phase = "rendering"
	PhaseDownloading Phase = "downloading"
	PhaseRetrying    Phase = "retrying"
	// PhaseStalled: an asynchronous job's progress has not moved for a long while (a
	// warning; the Message says since when and what happens next).
	PhaseStalled Phase = "stalled"
)

// Progress is one progress report.
type Progress struct {
	Phase   Phase
	Percent int    // 0-100 while rendering; -1 when not known
	Message string // e.g. the reason of a retry
}

// Result is what a generation produced.
type Result struct {
	Text          string // chat: the reply text
	File          string // image, video: the output file, inside Job.Dir (or Data)
	Data          []byte // image, video: the output's bytes, when held in memory (no File)
	MediaType     string // "image/png", "video/mp4", "text/plain"
	SHA256        string // hex, of File's (or Data's) bytes
	Size          int64  // bytes of File (or Data)
	Width         int    // pixels, where known
	Height        int
	Seconds       float64 // video length, where known
	Usage         Usage
	JobID         string // the gateway's job or response id
	RevisedPrompt string // when the gateway rewrote the prompt
}

// Usage is the token accounting a gateway reports.
type Usage struct {
	PromptTokens     int64 `json:"prompt_tokens,omitempty"`
	CompletionTokens int64 `json:"completion_tokens,omitempty"`
	TotalTokens      int64 `json:"total_tokens,omitempty"`
}

// Price is an estimated cost in US dollars.
type Price struct {
	USD   float64
	Known bool
	// Free: the provider never bills (the offline renderer), unlike a paid model whose
	// estimate happens to be $0.00.
	Free bool
}

// Problem is one thing Check found wrong with a request.
type Problem struct {
	Warning bool   // a warning does not stop validate, plan or apply
	Field   string // the attribute as the user writes it ("resolution"), or "" for the block
	Summary string // a short phrase: `Unsupported resolution "4k"`
	Detail  string // how to fix it, with a suggestion where one is obvious
}

// Config is what a provider factory gets from a `provider` block.
type Config struct {
	Type  string // "wisdomgate"
	Alias string // "" or "fast"
	// Body holds the block's arguments other than alias; the factory decodes it (gohcl works)
	// with EvalContext, and reports unknown arguments as diagnostics. Body is an empty body
	// for a provider that was not declared and is used with its defaults.
	Body        hcl.Body
	EvalContext *hcl.EvalContext
	// Dir is the absolute project folder.
	Dir string
	// Getenv reads the environment (os.Getenv in the CLI, a map in tests). A provider reads
	// its defaults through it, e.g. the API key from WISDOM_GATE_KEY.
	Getenv func(key string) string
}

// Factory builds a provider from its configuration. It must not touch the network: a missing
// API key is reported by Generate, so validate and plan work without one.
type Factory func(cfg Config) (Provider, hcl.Diagnostics)

// Registry maps provider type names to their factories. main builds it in one function.
type Registry map[string]Factory
