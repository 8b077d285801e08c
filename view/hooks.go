package view

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/providers"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// outcomeLine is the one-line account of a finished instance, shared by the plain and the
// terminal views: `image.hero["dawn"]: generated in 12.3s -> out/hero-dawn.png (1.2 MB, $0.13)`.
func outcomeLine(ch *engine.Change, o *engine.Outcome) string {
	el := o.Elapsed.Round(100 * time.Millisecond).Seconds()
	amb := ""
	if o.Ambiguous > 0 {
		amb = "; " + PossiblyCharged(o.AmbiguousCost.USD, o.Ambiguous, !o.AmbiguousCost.Known)
	}
	switch o.Status {
	case engine.Failed:
		if amb != "" {
			amb = " (" + amb[2:] + ")"
		}
		return fmt.Sprintf("%s: failed after %.1fs: %v%s", ch.Addr, el, o.Err, amb)
	case engine.Skipped:
		return fmt.Sprintf("%s: skipped because %s did not finish", ch.Addr, o.Reason)
	case engine.Interrupted:
		return fmt.Sprintf("%s: interrupted; its job id is recorded and the next apply resumes it", ch.Addr)
	}
	where := ""
	if r := o.Record; r != nil && r.Output != nil {
		where = fmt.Sprintf(" -> %s (%s", r.Output.Path, ByteSize(r.Output.Size))
		if o.Action.Paid() {
			where += ", " + outcomeCost(o.Cost) + amb
		}
		where += ")"
	} else if o.Action.Paid() {
		where = " (" + outcomeCost(o.Cost) + amb + ")"
	}
	switch o.Action {
	case engine.Create, engine.Regenerate:
		return fmt.Sprintf("%s: generated in %.1fs%s", ch.Addr, el, where)
	case engine.Restore:
		return fmt.Sprintf("%s: restored from the cache%s", ch.Addr, where)
	case engine.Delete:
		return fmt.Sprintf("%s: deleted (its file is kept in the cache)", ch.Addr)
	}
	return fmt.Sprintf("%s: unchanged", ch.Addr)
}

func outcomeCost(p providers.Price) string {
	if !p.Known {
		return "cost unknown"
	}
	return fmt.Sprintf("$%.2f", p.USD)
}

// lineHook prints one plain line per event: for CI logs.
type lineHook struct {
	mu    sync.Mutex
	w     io.Writer
	phase map[string]providers.Phase
}

func newLineHook(w io.Writer) *lineHook { return &lineHook{w: w, phase: map[string]providers.Phase{}} }

func (h *lineHook) Started(ch *engine.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch ch.Action {
	case engine.Create, engine.Regenerate:
		fmt.Fprintf(h.w, "%s: generating with %s\n", ch.Addr, ch.Model)
	}
}

func (h *lineHook) Progress(ch *engine.Change, p providers.Progress) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p.Phase == providers.PhaseGenerating || h.phase[ch.Addr] == p.Phase && p.Phase != providers.PhaseRetrying {
		return // Started said it; then one line per phase, not per percent
	}
	h.phase[ch.Addr] = p.Phase
	line := fmt.Sprintf("%s: %s", ch.Addr, p.Phase)
	if p.Message != "" {
		line += " (" + p.Message + ")"
	}
	fmt.Fprintln(h.w, line)
}

func (h *lineHook) Finished(ch *engine.Change, o *engine.Outcome) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.phase, ch.Addr)
	fmt.Fprintln(h.w, outcomeLine(ch, o))
}

// jsonHook prints one JSON object per event.
type jsonHook struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newJSONHook(w io.Writer) *jsonHook {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonHook{enc: enc}
}

type eventJSON struct {
	Type     string   `json:"type"`
	Time     string   `json:"time"`
	Address  string   `json:"address,omitempty"`
	Action   string   `json:"action,omitempty"`
	Status   string   `json:"status,omitempty"`
	Phase    string   `json:"phase,omitempty"`
	Percent  *int     `json:"percent,omitempty"`
	Message  string   `json:"message,omitempty"`
	Elapsed  *float64 `json:"elapsed_s,omitempty"`
	Path     string   `json:"path,omitempty"`
	SHA256   string   `json:"sha256,omitempty"`
	Size     int64    `json:"size,omitempty"`
	CostUSD  *float64 `json:"cost_usd,omitempty"`
	Error    string   `json:"error,omitempty"`
	Upstream string   `json:"upstream,omitempty"`
	// paid attempts without a complete reply, which the gateway may have charged
	PossiblyCharged    int      `json:"possibly_charged_attempts,omitempty"`
	PossiblyChargedUSD *float64 `json:"possibly_charged_usd,omitempty"`
}

func (h *jsonHook) emit(e eventJSON) {
	e.Time = time.Now().UTC().Format(time.RFC3339Nano)
	h.mu.Lock()
	defer h.mu.Unlock()
	_ = h.enc.Encode(e)
}

func (h *jsonHook) Started(ch *engine.Change) {
	h.emit(eventJSON{Type: "started", Address: ch.Addr, Action: string(ch.Action)})
}

func (h *jsonHook) Progress(ch *engine.Change, p providers.Progress) {
	e := eventJSON{Type: "progress", Address: ch.Addr, Phase: string(p.Phase), Message: p.Message}
	if p.Percent >= 0 && p.Phase == providers.PhaseRendering {
		pc := p.Percent
		e.Percent = &pc
	}
	h.emit(e)
}

func (h *jsonHook) Finished(ch *engine.Change, o *engine.Outcome) {
	el := o.Elapsed.Seconds()
	e := eventJSON{Type: "finished", Address: ch.Addr, Action: string(o.Action), Status: string(o.Status), Elapsed: &el, Upstream: o.Reason}
	if o.Err != nil {
		e.Error = o.Err.Error()
	}
	if r := o.Record; r != nil && r.Output != nil {
		e.Path, e.SHA256, e.Size = r.Output.Path, r.Output.SHA256, r.Output.Size
	}
	if o.Status == engine.Done && o.Cost.Known {
		usd := o.Cost.USD
		e.CostUSD = &usd
	}
	if o.Ambiguous > 0 {
		e.PossiblyCharged = o.Ambiguous
		if o.AmbiguousCost.Known {
			usd := o.AmbiguousCost.USD
			e.PossiblyChargedUSD = &usd
		}
	}
	h.emit(e)
}

// ttyHook is the live view on a terminal: a line per running instance (phase, video
// progress, elapsed) under an overall bar with done/total, ETA and cost so far. Finished
// instances print their line above the bars.
type ttyHook struct {
	p       *mpb.Progress
	overall *mpb.Bar

	mu      sync.Mutex
	running map[string]*runningBar
	cost    float64
	unknown int
	maybe   float64 // possibly charged: paid attempts without a complete reply
}

type runningBar struct {
	bar   *mpb.Bar
	phase string
}

func newTTYHook(w io.Writer, total int) *ttyHook {
	h := &ttyHook{running: map[string]*runningBar{}}
	h.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	h.overall = h.p.AddBar(int64(total),
		mpb.BarPriority(1<<30), // always the last line
		mpb.PrependDecorators(decor.Name("apply "), decor.CountersNoUnit("%d/%d")),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string { return " " + h.costSoFar() }),
			decor.Name(" ETA "), decor.EwmaETA(decor.ET_STYLE_GO, 30),
		),
	)
	return h
}

func (h *ttyHook) costSoFar() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.maybe > 0 {
		return fmt.Sprintf("%s (+$%.2f possibly charged)", CostText(h.cost, h.unknown), h.maybe)
	}
	return CostText(h.cost, h.unknown)
}

func (h *ttyHook) Started(ch *engine.Change) {
	rb := &runningBar{phase: "starting"}
	start := time.Now()
	rb.bar = h.p.AddSpinner(0,
		mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name("  "+ch.Addr+" ", decor.WCSyncSpaceR)),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string {
				h.mu.Lock()
				defer h.mu.Unlock()
				return rb.phase
			}, decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string {
				return fmt.Sprintf(" %5.1fs", time.Since(start).Seconds())
			}),
		),
	)
	h.mu.Lock()
	h.running[ch.Addr] = rb
	h.mu.Unlock()
}

func (h *ttyHook) Progress(ch *engine.Change, p providers.Progress) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rb := h.running[ch.Addr]
	if rb == nil {
		return
	}
	rb.phase = string(p.Phase)
	if p.Phase == providers.PhaseRendering && p.Percent >= 0 {
		rb.phase = fmt.Sprintf("rendering %d%%", p.Percent)
	}
}

func (h *ttyHook) Finished(ch *engine.Change, o *engine.Outcome) {
	h.mu.Lock()
	rb := h.running[ch.Addr]
	delete(h.running, ch.Addr)
	if o.Status == engine.Done && o.Action.Paid() {
		if o.Cost.Known {
			h.cost += o.Cost.USD
		} else {
			h.unknown++
		}
	}
	h.maybe += o.AmbiguousCost.USD
	h.mu.Unlock()
	if rb != nil {
		rb.bar.Abort(true)
	}
	fmt.Fprintln(h.p, outcomeLine(ch, o))
	h.overall.Increment()
}

// Close stops the live view.
func (h *ttyHook) Close() {
	h.overall.Abort(false)
	h.p.Wait()
}
