package wisdomgate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/genform/genform/providers"
)

// chat: POST /v1/chat/completions for text.
func (p *Provider) chat(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	body := map[string]any{"model": req.Model, "messages": messages(req.System, req.Prompt)}
	setNum(body, "temperature", req.Temperature)
	setNum(body, "top_p", req.TopP)
	setNum(body, "presence_penalty", req.PresencePenalty)
	setNum(body, "frequency_penalty", req.FrequencyPenalty)
	if req.MaxTokens != nil {
		body["max_tokens"] = *req.MaxTokens
	}
	if req.Seed != nil {
		body["seed"] = *req.Seed
	}
	mergeOptions(body, req.Options)
	reply, err := p.postChat(ctx, body, job)
	if err != nil {
		return nil, err
	}
	if reply.Text == "" {
		msg := "the model returned no text"
		if reply.Finish != "" {
			msg += " (finish_reason " + reply.Finish + ")"
		}
		return nil, permanent(msg)
	}
	return &providers.Result{Text: reply.Text, MediaType: "text/plain", Usage: reply.Usage, JobID: reply.ID}, nil
}

// chatImage: an image model through chat completions, with image_config.
func (p *Provider) chatImage(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	var content any = req.Prompt
	if len(req.References) > 0 {
		parts := []any{map[string]any{"type": "text", "text": req.Prompt}}
		for _, ref := range req.References {
			mime, b64, err := readReference(ref, refLimit(req.Model))
			if err != nil {
				return nil, err
			}
			parts = append(parts, map[string]any{"type": "image_url",
				"image_url": map[string]any{"url": "data:" + mime + ";base64," + b64}})
		}
		content = parts
	}
	msgs := messages(req.System, "")
	msgs = append(msgs[:len(msgs)-1], map[string]any{"role": "user", "content": content})
	body := map[string]any{"model": req.Model, "messages": msgs}
	ic := map[string]any{}
	if req.AspectRatio != "" {
		ic["aspect_ratio"] = req.AspectRatio
	}
	if req.Resolution != "" {
		ic["image_size"] = req.Resolution
	}
	if len(ic) > 0 {
		body["image_config"] = ic
	}
	mergeOptions(body, req.Options)
	reply, err := p.postChat(ctx, body, job)
	if err != nil {
		return nil, err
	}
	src, err := findImage(reply)
	if err != nil {
		return nil, permanent(p.redact(err.Error()))
	}
	res, err := p.fetchImage(ctx, src, job)
	if err != nil {
		return nil, err
	}
	res.Usage, res.JobID = reply.Usage, reply.ID
	return res, nil
}

// postChat sends a chat completion and parses the reply.
func (p *Provider) postChat(ctx context.Context, body map[string]any, job *providers.Job) (*chatReply, error) {
	c, err := p.jsonCall(p.api("/v1/chat/completions"), body, true)
	if err != nil {
		return nil, err
	}
	var reply *chatReply
	err = p.do(ctx, c, job, func(resp *http.Response) error {
		b, err := readReply(resp.Body, p.replyLimit())
		if err != nil {
			return err
		}
		if reply, err = parseChat(b); err != nil {
			return permanent(p.redact(err.Error()))
		}
		return nil
	})
	return reply, err
}

func messages(system, prompt string) []any {
	var msgs []any
	if system != "" {
		msgs = append(msgs, map[string]any{"role": "system", "content": system})
	}
	return append(msgs, map[string]any{"role": "user", "content": prompt})
}

func setNum(body map[string]any, key string, v *float64) {
	if v != nil {
		body[key] = *v
	}
}

// fetchImage saves an image from a reply: a download, or base64.
func (p *Provider) fetchImage(ctx context.Context, src imageSource, job *providers.Job) (*providers.Result, error) {
	if src.URL != "" {
		if err := p.linked(src.URL, job); err != nil {
			return nil, err
		}
		return p.download(ctx, src.URL, providers.Image, job)
	}
	return p.saveBase64(job, providers.Image, src.B64)
}

// linked hands a paid reply's download link to the caller, to be kept as its receipt before
// the download starts. A link that carries the key or a user name is not handed over (it
// would put a credential in the state): its download is then the only chance.
func (p *Provider) linked(link string, job *providers.Job) error {
	if job.Linked == nil {
		return nil
	}
	u, err := url.Parse(link)
	if err != nil || u.User != nil || (p.key != "" && strings.Contains(link, p.key)) {
		return nil
	}
	if err := job.Linked(link); err != nil {
		return fmt.Errorf("recording the download link: %w", err)
	}
	return nil
}

// gemini: POST /v1beta/models/{model}:generateContent with x-goog-api-key.
func (p *Provider) gemini(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	parts := []any{map[string]any{"text": req.Prompt}}
	for _, ref := range req.References {
		mime, b64, err := readReference(ref, refLimit(req.Model))
		if err != nil {
			return nil, err
		}
		parts = append(parts, map[string]any{"inline_data": map[string]any{"mime_type": mime, "data": b64}})
	}
	gc := map[string]any{"responseModalities": []any{"IMAGE"}}
	ic := map[string]any{}
	if req.AspectRatio != "" {
		ic["aspectRatio"] = req.AspectRatio
	}
	if req.Resolution != "" {
		ic["imageSize"] = req.Resolution
	}
	if len(ic) > 0 {
		gc["imageConfig"] = ic
	}
	body := map[string]any{
		"contents":         []any{map[string]any{"role": "user", "parts": parts}},
		"generationConfig": gc,
	}
	if req.System != "" {
		body["systemInstruction"] = map[string]any{"parts": []any{map[string]any{"text": req.System}}}
	}
	mergeOptions(body, req.Options)
	c, err := p.jsonCall(p.api("/v1beta/models/"+req.Model+":generateContent"), body, true)
	if err != nil {
		return nil, err
	}
	var reply *geminiReply
	err = p.do(ctx, c, job, func(resp *http.Response) error {
		b, err := readReply(resp.Body, p.replyLimit())
		if err != nil {
			return err
		}
		if reply, err = parseGemini(b); err != nil {
			return permanent(p.redact(err.Error()))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res, err := p.saveBase64(job, providers.Image, reply.B64)
	if err != nil {
		return nil, err
	}
	res.Usage = reply.Usage
	return res, nil
}

// imagesCall is the request images sends: a JSON generation, or a multipart edit when there
// are references or a mask.
func (p *Provider) imagesCall(req *providers.Request) (*call, error) {
	m := models[req.Model]
	respFormat := strings.HasPrefix(req.Model, "dall-e")
	takesFormat := !respFormat
	if m != nil {
		respFormat, takesFormat = m.respFormat, m.formats != nil
	}
	outFormat := req.OutputFormat
	if outFormat == "" && takesFormat {
		switch strings.ToLower(filepath.Ext(req.OutputPath)) {
		case ".jpg", ".jpeg":
			outFormat = "jpeg"
		case ".webp":
			outFormat = "webp"
		}
	}
	if len(req.References) == 0 && req.Mask == nil {
		body := map[string]any{"model": req.Model, "prompt": req.Prompt}
		for k, v := range map[string]string{"size": req.Size, "quality": req.Quality, "style": req.Style,
			"background": req.Background, "output_format": outFormat} {
			if v != "" {
				body[k] = v
			}
		}
		if respFormat {
			body["response_format"] = "b64_json"
		}
		mergeOptions(body, req.Options)
		return p.jsonCall(p.api("/v1/images/generations"), body, true)
	}
	fields := []field{{name: "model", value: req.Model}, {name: "prompt", value: req.Prompt}}
	for _, kv := range [][2]string{{"size", req.Size}, {"quality", req.Quality}, {"background", req.Background}, {"output_format", outFormat}} {
		if kv[1] != "" {
			fields = append(fields, field{name: kv[0], value: kv[1]})
		}
	}
	if respFormat {
		fields = append(fields, field{name: "response_format", value: "b64_json"})
	}
	fields = append(fields, optionFields(req.Options)...)
	name := "image"
	if len(req.References) > 1 {
		name = "image[]"
	}
	for i := range req.References {
		if err := checkFile(req.References[i], refLimit(req.Model)); err != nil {
			return nil, err
		}
		fields = append(fields, field{name: name, file: &req.References[i]})
	}
	if req.Mask != nil {
		if err := checkFile(*req.Mask, refLimit(req.Model)); err != nil {
			return nil, err
		}
		fields = append(fields, field{name: "mask", file: req.Mask})
	}
	return p.multipartCall(p.api("/v1/images/edits"), fields, true)
}

// images: POST /v1/images/generations, or /v1/images/edits (multipart) with references or a
// mask.
func (p *Provider) images(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	c, err := p.imagesCall(req)
	if err != nil {
		return nil, err
	}
	var reply struct {
		Data []struct {
			B64     string `json:"b64_json"`
			URL     string `json:"url"`
			Revised string `json:"revised_prompt"`
		} `json:"data"`
		Usage struct {
			Input  int64 `json:"input_tokens"`
			Output int64 `json:"output_tokens"`
			Total  int64 `json:"total_tokens"`
		} `json:"usage"`
	}
	err = p.do(ctx, c, job, func(resp *http.Response) error {
		b, err := readReply(resp.Body, p.replyLimit())
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &reply); err != nil {
			return permanent("the images reply is not the JSON expected: " + err.Error())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var src imageSource
	var revised string
	for _, d := range reply.Data {
		if d.B64 != "" || d.URL != "" {
			src, revised = imageSource{B64: d.B64, URL: d.URL}, d.Revised
			break
		}
	}
	if src.B64 == "" && src.URL == "" {
		return nil, permanent("no image came back: the images reply has no data")
	}
	if src.B64 != "" {
		src.URL = ""
	}
	res, err := p.fetchImage(ctx, src, job)
	if err != nil {
		return nil, err
	}
	res.RevisedPrompt = revised
	res.Usage = providers.Usage{PromptTokens: reply.Usage.Input, CompletionTokens: reply.Usage.Output, TotalTokens: reply.Usage.Total}
	return res, nil
}

// refLimit is the documented size limit of one input image, 0 when none is documented.
func refLimit(model string) int64 {
	if m := models[model]; m != nil {
		return m.maxRefBytes
	}
	return 0
}
