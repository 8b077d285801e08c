// Package offline is genform's deterministic local renderer: a Provider that needs no network
// and no key and accepts any model name. It owns turning a request into media on this machine:
// images (PNG, JPEG, GIF) painted from the prompt's hash with the prompt's words on them,
// videos as animated GIFs with one scene per storyboard shot, and chat replies that rework the
// prompt's words. The same request gives the same bytes on any machine: every choice comes
// from a PRNG seeded by a sha256 of the inputs, and the painting uses integer arithmetic only
// (no floating-point rounding that could differ between CPUs).
//
// It leaves the rest to others: the engine decides when to generate and moves Result.File
// into place; the providers package owns the contract and the error classes.
package offline

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/genform/genform/providers"
)

// Provider is the offline renderer. It holds only its configuration, so it is safe for
// concurrent use.
type Provider struct {
	latency time.Duration
}

// config is the provider block's schema.
type config struct {
	Latency *hcl.Attribute `hcl:"latency,optional"`
}

// New builds the offline provider from its block. The only argument is latency, a duration
// string ("200ms") waited before each generation so that progress displays can be seen.
func New(cfg providers.Config) (providers.Provider, hcl.Diagnostics) {
	p := &Provider{}
	if cfg.Body == nil {
		return p, nil
	}
	var c config
	diags := gohcl.DecodeBody(cfg.Body, cfg.EvalContext, &c)
	if diags.HasErrors() {
		return nil, diags
	}
	if c.Latency != nil {
		d, more := decodeLatency(c.Latency, cfg.EvalContext)
		diags = append(diags, more...)
		if more.HasErrors() {
			return nil, diags
		}
		p.latency = d
	}
	return p, diags
}

// decodeLatency evaluates the latency argument: a non-negative duration string.
func decodeLatency(attr *hcl.Attribute, ctx *hcl.EvalContext) (time.Duration, hcl.Diagnostics) {
	v, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return 0, diags
	}
	if v.IsNull() || !v.IsWhollyKnown() {
		return 0, diags
	}
	bad := func(detail string) (time.Duration, hcl.Diagnostics) {
		return 0, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid latency",
			Detail:   detail,
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return bad(`latency is a duration string such as "200ms" or "1.5s".`)
	}
	d, err := time.ParseDuration(s.AsString())
	if err != nil {
		return bad(fmt.Sprintf(`%q is not a duration: write a number and a unit, such as "200ms" or "1.5s".`, s.AsString()))
	}
	if d < 0 {
		return bad(fmt.Sprintf(`latency %q is negative: use "0s" for no delay, or a positive duration such as "200ms".`, s.AsString()))
	}
	return d, diags
}

// Price is always zero and known: the offline provider is free.
func (p *Provider) Price(req *providers.Request) providers.Price {
	return providers.Price{USD: 0, Known: true, Free: true}
}

// RequestTimeout implements providers.Timed: a generation takes the block's latency and the
// time to draw its output on this machine, which is small.
func (p *Provider) RequestTimeout() time.Duration { return p.latency + time.Second }

// Generate renders req. It waits the configured latency first (returning early with the
// context's error if ctx ends), then paints and writes the output into job.Dir.
func (p *Provider) Generate(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	for _, pr := range p.Check(req) {
		if !pr.Warning {
			return nil, &providers.Error{Class: providers.Permanent, Message: pr.Summary + ": " + pr.Detail}
		}
	}
	report(job, providers.Progress{Phase: providers.PhaseGenerating, Percent: -1})
	if err := p.wait(ctx); err != nil {
		return nil, err
	}
	switch req.Kind {
	case providers.Chat:
		return chat(req), nil
	case providers.Image:
		return renderImage(ctx, req, job)
	case providers.Video:
		return renderVideo(ctx, req, job)
	}
	// Check has refused any other kind.
	panic(fmt.Sprintf("offline: unchecked kind %q", req.Kind))
}

// wait sleeps for the configured latency, or until ctx ends.
func (p *Provider) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("offline: %w", err)
	}
	if p.latency <= 0 {
		return nil
	}
	t := time.NewTimer(p.latency)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("offline: %w", ctx.Err())
	}
}

// report tells the job's progress callback, if any.
func report(job *providers.Job, pr providers.Progress) {
	if job != nil && job.Progress != nil {
		job.Progress(pr)
	}
}

// output is a file written into the job folder.
type output struct {
	path   string
	sha256 string
	size   int64
}

// writeOutput creates a new file in dir with the given extension and fills it with encode's
// bytes, hashing them on the way. The file is synced before it is returned; on any error it
// is removed.
func writeOutput(dir, ext string, encode func(io.Writer) error) (out output, err error) {
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "offline-*"+ext)
	if err != nil {
		return output{}, fmt.Errorf("offline: create output: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	bw := bufio.NewWriterSize(cw, 64<<10)
	if err := encode(bw); err != nil {
		return output{}, fmt.Errorf("offline: encode %s: %w", ext, err)
	}
	if err := bw.Flush(); err != nil {
		return output{}, fmt.Errorf("offline: write output: %w", err)
	}
	// CreateTemp makes the file private; an output is an ordinary project file.
	if err := f.Chmod(0o644); err != nil {
		return output{}, fmt.Errorf("offline: chmod output: %w", err)
	}
	if err := f.Sync(); err != nil {
		return output{}, fmt.Errorf("offline: sync output: %w", err)
	}
	if err := f.Close(); err != nil {
		return output{}, fmt.Errorf("offline: close output: %w", err)
	}
	return output{path: f.Name(), sha256: hex.EncodeToString(h.Sum(nil)), size: cw.n}, nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
