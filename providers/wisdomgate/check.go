package wisdomgate

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/genform/genform/providers"
)

// Check implements providers.Provider: it compares a request with the model table.
func (p *Provider) Check(req *providers.Request) []providers.Problem {
	if req.Model == "" {
		return nil
	}
	var probs []providers.Problem
	m, known := models[req.Model]
	switch {
	case !known && p.declared(req.Model):
		m = nil // declared in the provider block: sent as written, priced by prices if given
	case !known:
		detail := fmt.Sprintf("wisdomgate does not know the model %q.", req.Model)
		if sug := providers.Suggest(req.Model, modelsOf(req.Kind)); sug != "" {
			detail = fmt.Sprintf("Did you mean %q? ", sug) + detail
		}
		if names := modelsOf(req.Kind); len(names) > 0 {
			detail += fmt.Sprintf(" Known %s models: %s.", req.Kind, strings.Join(names, ", "))
		}
		detail += fmt.Sprintf(` If the gateway serves it, declare it in the provider block: extra_models = [%q], and give its price for budgets: prices = { %q = 0.10 }.`, req.Model, req.Model)
		probs = append(probs, providers.Problem{Field: "model",
			Summary: fmt.Sprintf("Unknown model %q", req.Model), Detail: detail})
		m = nil
	case m.kind != req.Kind:
		return append(probs, providers.Problem{Field: "model",
			Summary: fmt.Sprintf("%q is %s %s model", req.Model, article(string(m.kind)), m.kind),
			Detail: fmt.Sprintf("%s %s block needs %s %s model, such as %s.",
				strings.ToUpper(article(string(req.Kind))[:1])+article(string(req.Kind))[1:], req.Kind,
				article(string(req.Kind)), req.Kind, quoteList(modelsOf(req.Kind), "or"))})
	case m.shutdown != "":
		probs = append(probs, p.shutdownProblem(req.Model, m.shutdown))
	}
	c := checker{req: req, m: m, ep: p.endpointFor(req.Kind, req.Model)}
	switch req.Kind {
	case providers.Image:
		c.image()
	case providers.Video:
		c.video()
	}
	if m != nil && m.maxPrompt > 0 {
		if n := len([]rune(req.Prompt)); n > m.maxPrompt {
			c.add(false, "prompt", fmt.Sprintf("Prompt too long for %s", req.Model),
				fmt.Sprintf("The prompt has %d characters; %s takes at most %d. Shorten it.", n, req.Model, m.maxPrompt))
		}
	}
	return append(probs, c.probs...)
}

// checker collects the problems of one request.
type checker struct {
	req   *providers.Request
	m     *model // nil for a model not in the table
	ep    endpoint
	probs []providers.Problem
}

func (c *checker) add(warn bool, field, summary, detail string) {
	c.probs = append(c.probs, providers.Problem{Warning: warn, Field: field, Summary: summary, Detail: detail})
}

// unused reports a field the model's endpoint has no place for.
func (c *checker) unused(field, value, instead string) {
	if value == "" {
		return
	}
	c.add(false, field, fmt.Sprintf("%s does not take %s", c.req.Model, field),
		fmt.Sprintf("%s is served through %s, which has no %s. %s", c.req.Model, c.ep.describe(), field, instead))
}

// enum checks a value against a list: a nil list on a known model means the model does not
// take the field; an unknown model's values are not checked.
func (c *checker) enum(field, value string, allowed []string) {
	if value == "" || c.m == nil || slices.Contains(allowed, value) {
		return
	}
	if allowed == nil {
		c.add(false, field, fmt.Sprintf("%s does not take %s", c.req.Model, field),
			fmt.Sprintf("Remove %s: %s has no such option.", field, c.req.Model))
		return
	}
	detail := fmt.Sprintf("%s takes %s %s.", c.req.Model, field, quoteList(allowed, "or"))
	if sug := providers.Suggest(value, allowed); sug != "" {
		detail = fmt.Sprintf("Did you mean %q? ", sug) + detail
	}
	c.add(false, field, fmt.Sprintf("Unsupported %s %q", field, value), detail)
}

func (c *checker) image() {
	r := c.req
	switch c.ep {
	case viaGemini, viaChat:
		const instead = "Use aspect_ratio and resolution."
		c.unused("size", r.Size, instead)
		c.unused("quality", r.Quality, instead)
		c.unused("style", r.Style, instead)
		c.unused("background", r.Background, instead)
		c.unused("output_format", r.OutputFormat, instead)
		if r.Mask != nil {
			c.unused("mask", r.Mask.Name, "Describe the change in the prompt and pass the image in references.")
		}
		if c.m != nil {
			c.enum("aspect_ratio", r.AspectRatio, c.m.aspectRatios)
			c.enum("resolution", r.Resolution, c.m.resolutions)
		}
	case viaImages:
		const instead = "Use size (and quality)."
		c.unused("aspect_ratio", r.AspectRatio, instead)
		c.unused("resolution", r.Resolution, instead)
		if c.m == nil {
			break
		}
		if !(c.m.freeSize && freeSizeOK(r.Size)) {
			c.enum("size", r.Size, c.m.sizes)
		}
		c.enum("quality", r.Quality, c.m.qualities)
		c.enum("style", r.Style, c.m.styles)
		c.enum("background", r.Background, c.m.backgrounds)
		c.enum("output_format", r.OutputFormat, c.m.formats)
		if !c.m.edits && (len(r.References) > 0 || r.Mask != nil) {
			c.add(false, "references", fmt.Sprintf("%s cannot edit images", r.Model),
				fmt.Sprintf("%s only makes images from text: remove references and mask, or use an editing model such as gpt-image-1.", r.Model))
			return
		}
		if r.Mask != nil && len(r.References) == 0 {
			c.add(false, "mask", "A mask needs an image to edit",
				"Add the image the mask applies to in references.")
		}
	}
	if c.m != nil && c.m.maxRefs > 0 && len(r.References) > c.m.maxRefs {
		c.add(false, "references", fmt.Sprintf("Too many references for %s", r.Model),
			fmt.Sprintf("%s takes at most %d reference images; %d are given.", r.Model, c.m.maxRefs, len(r.References)))
	}
}

func (c *checker) video() {
	r := c.req
	const instead = "Videos take seconds and size."
	c.unused("aspect_ratio", r.AspectRatio, instead)
	c.unused("resolution", r.Resolution, instead)
	c.unused("quality", r.Quality, instead)
	if len(r.References) > 0 {
		c.unused("references", r.References[0].Name, "Use reference for an image-to-video input.")
	}
	var total float64
	for i, s := range r.Shots {
		if s.Duration <= 0 || math.IsNaN(s.Duration) || math.IsInf(s.Duration, 0) {
			c.add(false, "shot", fmt.Sprintf("Shot %d has no duration", i+1), "Give every shot a duration in seconds greater than 0.")
		}
		total += s.Duration
	}
	if len(r.Shots) > 0 && r.Prompt != "" {
		c.add(true, "prompt", "Prompt and shots together",
			"The storyboard format has no place for a prompt: it is sent as a first paragraph before the shots.")
	}
	if len(r.Shots) > 0 && r.Seconds > 0 && math.Abs(total-float64(r.Seconds)) > 1e-9 {
		c.add(true, "seconds", "Shots do not add up to seconds",
			fmt.Sprintf("The shots last %ss in all but seconds is %d.", strconv.FormatFloat(total, 'f', -1, 64), r.Seconds))
	}
	if c.m == nil {
		return
	}
	// The documents disagree on seconds and sizes, and the gateway accepts more than they list,
	// so values outside the union are warnings; a value that differs only in case is an error.
	if r.Seconds > 0 && !slices.Contains(c.m.seconds, r.Seconds) {
		c.add(true, "seconds", fmt.Sprintf("Undocumented seconds %d for %s", r.Seconds, r.Model),
			fmt.Sprintf("Did you mean %d? %s is documented with %s seconds; %d is sent as written and the gateway may refuse it.",
				nearest(r.Seconds, c.m.seconds), r.Model, intList(c.m.seconds), r.Seconds))
	}
	if r.Size != "" && !slices.Contains(c.m.sizes, r.Size) {
		sug := providers.Suggest(r.Size, c.m.sizes)
		if sug != "" && strings.EqualFold(sug, r.Size) {
			c.add(false, "size", fmt.Sprintf("Unsupported size %q", r.Size),
				fmt.Sprintf("Did you mean %q? %s takes size %s.", sug, r.Model, quoteList(c.m.sizes, "or")))
			return
		}
		detail := fmt.Sprintf("%s is documented with size %s; %q is sent as written and the gateway may refuse it.",
			r.Model, quoteList(c.m.sizes, "or"), r.Size)
		if sug != "" {
			detail = fmt.Sprintf("Did you mean %q? ", sug) + detail
		}
		c.add(true, "size", fmt.Sprintf("Undocumented size %q for %s", r.Size, r.Model), detail)
	}
}

// Price implements providers.Provider with the prices the documents give.
func (p *Provider) Price(req *providers.Request) providers.Price {
	if usd, ok := p.prices[req.Model]; ok {
		return providers.Price{USD: usd, Known: true}
	}
	m, ok := models[req.Model]
	if !ok || m.kind != req.Kind {
		return providers.Price{}
	}
	if m.free {
		return providers.Price{USD: 0, Known: true}
	}
	res := req.Resolution
	if res == "" {
		res = m.defRes
	}
	if usd, ok := m.prices[res]; ok {
		return providers.Price{USD: usd, Known: true}
	}
	return providers.Price{}
}

// freeSizeOK is gpt-image-2's rule for any size: WxH in multiples of 16, the long edge at most
// 3840, at most 3840x2160 pixels, and an aspect ratio between 1:3 and 3:1.
func freeSizeOK(size string) bool {
	ws, hs, ok := strings.Cut(size, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w < 16 || h < 16 || w%16 != 0 || h%16 != 0 {
		return false
	}
	return max(w, h) <= 3840 && w*h <= 3840*2160 && w <= 3*h && h <= 3*w
}

func (e endpoint) describe() string {
	switch e {
	case viaGemini:
		return "the Gemini generateContent API"
	case viaImages:
		return "the images API"
	case viaVideos:
		return "the videos API"
	}
	return "chat completions"
}

func quoteList(vals []string, conj string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return joinList(q, conj)
}

func intList(vals []int) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Itoa(v)
	}
	return joinList(q, "or")
}

func joinList(q []string, conj string) string {
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + conj + " " + q[len(q)-1]
}

func nearest(v int, vals []int) int {
	best := vals[0]
	for _, x := range vals {
		if abs(x-v) < abs(best-v) {
			best = x
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// shutdownProblem warns of a model's announced shutdown, in the future tense before its date
// and in the past tense from that day on (by the provider's clock, which tests set).
func (p *Provider) shutdownProblem(model, date string) providers.Problem {
	day, err := time.Parse(time.DateOnly, date)
	if err == nil && !p.clock.Now().UTC().Before(day) {
		return providers.Problem{Warning: true, Field: "model",
			Summary: fmt.Sprintf("%s was shut down on %s", model, date),
			Detail: fmt.Sprintf("The upstream provider shut %s down permanently on %s, as it announced; "+
				"the gateway may no longer serve it, and a request may fail. Move to another model.", model, date)}
	}
	return providers.Problem{Warning: true, Field: "model",
		Summary: fmt.Sprintf("%s is announced to shut down on %s", model, date),
		Detail: fmt.Sprintf("The upstream provider announced that %s shuts down permanently on %s; "+
			"from then on the gateway may stop serving it. Plan a move to another model.", model, date)}
}
