package wisdomgate

import (
	"slices"
	"strings"

	"github.com/genform/genform/providers"
)

// endpoint names the gateway API a model is served through.
type endpoint string

const (
	viaChat   endpoint = "chat"   // POST /v1/chat/completions (image models: image_config)
	viaGemini endpoint = "gemini" // POST /v1beta/models/{model}:generateContent
	viaImages endpoint = "images" // POST /v1/images/generations and /v1/images/edits
	viaVideos endpoint = "videos" // POST /v1/videos, GET /v1/videos/{id}[/content]
)

func (e endpoint) valid() bool {
	return e == viaChat || e == viaGemini || e == viaImages || e == viaVideos
}

// model is what the gateway's documents say about one model. A nil list is "not documented"
// (not checked) unless the endpoint does not take the field at all (see Check).
type model struct {
	kind     providers.Kind
	endpoint endpoint

	aspectRatios []string // Gemini image_config aspect ratios
	resolutions  []string // Gemini image sizes, uppercase
	sizes        []string // images API and video sizes
	freeSize     bool     // gpt-image-2: any WxH within its bounds
	qualities    []string
	styles       []string
	backgrounds  []string
	formats      []string // output_format
	seconds      []int    // video lengths: the union of every value the documents use

	maxPrompt   int   // characters; 0: not documented
	maxRefs     int   // reference images; 0: not documented
	maxRefBytes int64 // bytes per reference; 0: not documented
	edits       bool  // images API: takes references and a mask (through /v1/images/edits)
	respFormat  bool  // images API: takes response_format (b64_json is asked for)

	shutdown string // the upstream shutdown date announced, "" when none

	free   bool               // a documented free model
	prices map[string]float64 // USD per output, by resolution ("" for a flat price)
	defRes string             // the resolution used when none is set
}

var (
	geminiRatios = []string{"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"}
	gptSizes     = []string{"1024x1024", "1536x1024", "1024x1536", "auto"}
	gptQuality   = []string{"auto", "low", "medium", "high"}
	gptBGs       = []string{"auto", "transparent", "opaque"}
	gptFormats   = []string{"png", "jpeg", "webp"}
	videoSizes   = []string{"720x1280", "1280x720", "1024x1792", "1792x1024"}
)

// models is genform's knowledge of the gateway, from the documents in its API folder.
var models = map[string]*model{
	// Text models (000). deepseek-r1 and deepseek-v3 are free "until 2026".
	"wisdom-ai-gpt5":            {kind: providers.Chat, endpoint: viaChat},
	"wisdom-ai-claude-sonnet-4": {kind: providers.Chat, endpoint: viaChat},
	"wisdom-ai-glm4.5":          {kind: providers.Chat, endpoint: viaChat},
	"deepseek-r1":               {kind: providers.Chat, endpoint: viaChat, free: true},
	"deepseek-v3":               {kind: providers.Chat, endpoint: viaChat, free: true},

	// Gemini image models (000, 004, WIRE section 6).
	"gemini-3-pro-image-preview": {
		kind: providers.Image, endpoint: viaGemini,
		aspectRatios: geminiRatios, resolutions: []string{"1K", "2K", "4K"},
		maxRefs: 14, maxRefBytes: 7 << 20,
		prices: map[string]float64{"1K": 0.10, "2K": 0.13, "4K": 0.24}, defRes: "1K",
	},
	"gemini-2.5-flash-image": {
		kind: providers.Image, endpoint: viaGemini,
		aspectRatios: geminiRatios, resolutions: []string{"1K", "2K"},
		maxRefBytes: 7 << 20,
	},
	"gemini-3.1-flash-image-preview": {
		kind: providers.Image, endpoint: viaGemini,
		aspectRatios: geminiRatios, resolutions: []string{"0.5K", "1K", "2K", "4K"},
		maxRefBytes: 7 << 20,
	},

	// Image models served through chat completions with image_config (000).
	"grok-4-image": {
		kind: providers.Image, endpoint: viaChat,
		aspectRatios: geminiRatios, resolutions: []string{"1K", "2K", "4K"},
	},

	// The images API (002, WIRE sections 3 and 4).
	"gpt-image-2": {
		kind: providers.Image, endpoint: viaImages,
		sizes: gptSizes, freeSize: true, qualities: gptQuality, backgrounds: gptBGs, formats: gptFormats,
		maxPrompt: 32000, maxRefs: 16, maxRefBytes: 50 << 20, edits: true,
	},
	"gpt-image-1.5": {
		kind: providers.Image, endpoint: viaImages,
		sizes: gptSizes, qualities: gptQuality, backgrounds: gptBGs, formats: gptFormats,
		maxPrompt: 32000, maxRefs: 16, maxRefBytes: 50 << 20, edits: true,
	},
	"gpt-image-1": {
		kind: providers.Image, endpoint: viaImages,
		sizes: gptSizes, qualities: gptQuality, backgrounds: gptBGs, formats: gptFormats,
		maxPrompt: 32000, maxRefs: 16, maxRefBytes: 50 << 20, edits: true,
	},
	"gpt-image-1-mini": {
		kind: providers.Image, endpoint: viaImages,
		sizes: gptSizes, qualities: gptQuality, backgrounds: gptBGs, formats: gptFormats,
		maxPrompt: 32000, maxRefs: 16, maxRefBytes: 50 << 20, edits: true,
	},
	"dall-e-3": {
		kind: providers.Image, endpoint: viaImages,
		sizes:     []string{"1024x1024", "1792x1024", "1024x1792"},
		qualities: []string{"standard", "hd"}, styles: []string{"vivid", "natural"},
		maxPrompt: 4000, respFormat: true,
	},
	"dall-e-2": {
		kind: providers.Image, endpoint: viaImages,
		sizes: []string{"256x256", "512x512", "1024x1024"}, qualities: []string{"standard"},
		maxPrompt: 1000, maxRefs: 1, edits: true, respFormat: true,
	},

	// Videos (000, 001, WIRE section 5). Seconds: 001 and the README give sora-2 10/15 and
	// OpenAI 4/8/12; sora-2-pro 10/15/25 (001), 5-25 with 10, 15 and 25 in 000's examples,
	// 4/8/12 in the spec, 16/20 in OpenAI's guide; veo-3.1 4/8/12. Sizes: 001's four, and
	// 1920x1080 for sora-2-pro (000, OpenAI's guide).
	"sora-2": {
		kind: providers.Video, endpoint: viaVideos,
		seconds: []int{4, 8, 10, 12, 15}, sizes: videoSizes, maxPrompt: 32000,
		shutdown: "2026-09-24",
	},
	"sora-2-pro": {
		kind: providers.Video, endpoint: viaVideos,
		seconds: []int{4, 8, 10, 12, 15, 16, 20, 25}, sizes: append(append([]string(nil), videoSizes...), "1920x1080"),
		maxPrompt: 32000, shutdown: "2026-09-24",
	},
	"veo-3.1": {
		kind: providers.Video, endpoint: viaVideos,
		seconds: []int{4, 8, 12}, sizes: videoSizes, maxPrompt: 32000,
	},
}

// endpointFor routes a request: a model_endpoints override, the table, then a guess by name.
func (p *Provider) endpointFor(kind providers.Kind, name string) endpoint {
	if ep, ok := p.endpoints[name]; ok {
		return ep
	}
	if m, ok := models[name]; ok && m.kind == kind {
		return m.endpoint
	}
	switch kind {
	case providers.Video:
		return viaVideos
	case providers.Image:
		switch {
		case strings.HasPrefix(name, "gemini"):
			return viaGemini
		case strings.HasPrefix(name, "gpt-image"), strings.HasPrefix(name, "dall-e"):
			return viaImages
		}
	}
	return viaChat
}

// modelsOf lists the known models of a kind, sorted.
func modelsOf(kind providers.Kind) []string {
	var names []string
	for name, m := range models {
		if m.kind == kind {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
