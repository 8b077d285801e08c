package wisdomgate

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/genform/genform/providers"
)

// Defaults of the provider block (SPEC section 2).
const (
	DefaultBaseURL = "https://wisdom-gate.juheapi.com"
	DefaultTimeout = 120 * time.Second
	DefaultRetries = 5
	// DefaultAmbiguousRetries is how often a paid request that may have been charged (sent,
	// no complete reply) is sent again.
	DefaultAmbiguousRetries = 1
	DefaultPoll             = 10 * time.Second
	// DefaultVideoTimeout is how long one apply waits for a video job: past it the instance
	// fails with its job id kept, and the next apply resumes it.
	DefaultVideoTimeout = 2 * time.Hour
	// StallWarning is how long a video job's progress may stand still before a warning.
	StallWarning    = 10 * time.Minute
	DefaultMaxImage = 64 << 20 // bytes
	DefaultMaxVideo = 2 << 30  // bytes
	// KeyEnv is the environment variable the API key is read from when api_key is not set.
	KeyEnv = "WISDOM_GATE_KEY"
)

// settings is a decoded provider block.
type settings struct {
	key          string
	base         *url.URL // scheme, host, and any path prefix before /v1
	timeout      time.Duration
	maxRetries   int
	maxAmbiguous int // retries of a paid request that may have been charged
	rpm          float64
	concurrency  int
	pollInterval time.Duration
	videoTimeout time.Duration
	maxImage     int64
	maxVideo     int64
	endpoints    map[string]endpoint // model -> endpoint overrides
	extra        map[string]bool     // extra_models: models the table does not know, declared on purpose
	prices       map[string]float64  // prices: USD per request, by model (overrides the table)
}

var blockSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "api_key"},
	{Name: "base_url"},
	{Name: "timeout"},
	{Name: "max_retries"},
	{Name: "max_ambiguous_retries"},
	{Name: "requests_per_minute"},
	{Name: "concurrency"},
	{Name: "poll_interval"},
	{Name: "video_timeout"},
	{Name: "max_image_bytes"},
	{Name: "max_video_bytes"},
	{Name: "model_endpoints"},
	{Name: "extra_models"},
	{Name: "prices"},
}}

// decode reads the provider block's arguments, with their defaults.
func decode(cfg providers.Config) (settings, hcl.Diagnostics) {
	s := settings{
		timeout:      DefaultTimeout,
		maxRetries:   DefaultRetries,
		maxAmbiguous: DefaultAmbiguousRetries,
		pollInterval: DefaultPoll,
		videoTimeout: DefaultVideoTimeout,
		maxImage:     DefaultMaxImage,
		maxVideo:     DefaultMaxVideo,
	}
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	s.key = getenv(KeyEnv)
	s.base, _ = parseBaseURL(DefaultBaseURL)
	body := cfg.Body
	if body == nil {
		body = hcl.EmptyBody()
	}
	content, diags := body.Content(blockSchema)
	names := make([]string, 0, len(content.Attributes))
	for name := range content.Attributes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		attr := content.Attributes[name]
		d := decodeAttr(&s, attr, cfg.EvalContext)
		diags = append(diags, d...)
	}
	return s, diags
}

// decodeAttr sets one argument. Unknown or null values keep the default.
func decodeAttr(s *settings, attr *hcl.Attribute, ctx *hcl.EvalContext) hcl.Diagnostics {
	val, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return diags
	}
	val, _ = val.UnmarkDeep()
	if val.IsNull() || !val.IsWhollyKnown() {
		return diags
	}
	bad := func(summary, detail string) hcl.Diagnostics {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: summary, Detail: detail,
			Subject: attr.Expr.Range().Ptr(), Context: attr.Range.Ptr(),
		})
	}
	str := func() (string, bool) {
		v, err := convert.Convert(val, cty.String)
		if err != nil {
			return "", false
		}
		return v.AsString(), true
	}
	switch attr.Name {
	case "api_key":
		v, ok := str()
		if !ok {
			return bad("Incorrect api_key", "api_key must be a string, e.g. env(\"WISDOM_GATE_KEY\").")
		}
		s.key = strings.TrimSpace(v)
	case "base_url":
		v, ok := str()
		if !ok {
			return bad("Incorrect base_url", "base_url must be a string such as \""+DefaultBaseURL+"\".")
		}
		u, err := parseBaseURL(v)
		if err != nil {
			return bad("Incorrect base_url", err.Error()+` Write it as "`+DefaultBaseURL+`" (with or without /v1).`)
		}
		s.base = u
	case "model_endpoints", "extra_models", "prices":
		if summary, detail := decodeModelAttr(s, attr.Name, val); summary != "" {
			return bad(summary, detail)
		}
	default:
		if detail := decodeLimit(s, attr.Name, val); detail != "" {
			return bad("Incorrect "+attr.Name, detail)
		}
	}
	return diags
}

// decodeLimit sets a duration, a count or a size limit. It returns what is wrong, or "".
func decodeLimit(s *settings, name string, val cty.Value) string {
	num := func(min float64) (float64, string) {
		v, err := convert.Convert(val, cty.Number)
		if err != nil {
			return 0, fmt.Sprintf("%s must be a number.", name)
		}
		f, _ := v.AsBigFloat().Float64()
		if f < min || math.IsInf(f, 0) {
			return 0, fmt.Sprintf("%s must be at least %g.", name, min)
		}
		return f, ""
	}
	whole := func(f float64) bool { return f == math.Trunc(f) }
	switch name {
	case "timeout", "poll_interval", "video_timeout":
		d, err := durationOf(val)
		if err != nil || d <= 0 {
			return fmt.Sprintf(`%s must be a positive duration such as "120s" or "2m".`, name)
		}
		switch name {
		case "timeout":
			s.timeout = d
		case "poll_interval":
			s.pollInterval = d
		default:
			s.videoTimeout = d
		}
	case "max_retries", "max_ambiguous_retries", "concurrency":
		f, bad := num(0)
		if bad != "" {
			return bad
		}
		if !whole(f) || f > 1000 {
			return fmt.Sprintf("%s must be a whole number from 0 to 1000.", name)
		}
		switch name {
		case "max_retries":
			s.maxRetries = int(f)
		case "max_ambiguous_retries":
			s.maxAmbiguous = int(f)
		default:
			s.concurrency = int(f)
		}
	case "requests_per_minute":
		f, bad := num(0)
		if bad != "" {
			return bad
		}
		s.rpm = f
	case "max_image_bytes", "max_video_bytes":
		f, bad := num(1)
		if bad != "" {
			return bad
		}
		if !whole(f) || f > math.MaxInt64/2 {
			return name + " must be a whole number of bytes."
		}
		if name == "max_image_bytes" {
			s.maxImage = int64(f)
		} else {
			s.maxVideo = int64(f)
		}
	}
	return ""
}

// decodeModelAttr sets model_endpoints, extra_models or prices: what the provider block
// declares of models the table does not know. It returns the summary and detail of what is
// wrong, or "" and "".
func decodeModelAttr(s *settings, name string, val cty.Value) (summary, detail string) {
	switch name {
	case "model_endpoints":
		v, err := convert.Convert(val, cty.Map(cty.String))
		if err != nil {
			return "Incorrect model_endpoints", `model_endpoints must be a map from model name to endpoint, e.g. { "my-image-model" = "chat" }.`
		}
		s.endpoints = map[string]endpoint{}
		for k, e := range v.AsValueMap() {
			ep := endpoint(e.AsString())
			if !ep.valid() {
				detail := fmt.Sprintf(`The endpoint for %q must be one of "chat", "gemini", "images" or "videos".`, k)
				if sug := providers.Suggest(e.AsString(), []string{"chat", "gemini", "images", "videos"}); sug != "" {
					detail = fmt.Sprintf("Did you mean %q? ", sug) + detail
				}
				return "Unknown endpoint " + strconv.Quote(e.AsString()), detail
			}
			s.endpoints[k] = ep
		}
	case "extra_models":
		v, err := convert.Convert(val, cty.Set(cty.String))
		if err != nil {
			return "Incorrect extra_models", `extra_models must be a list of model names the gateway serves, e.g. ["my-image-model"].`
		}
		s.extra = map[string]bool{}
		for _, m := range v.AsValueSlice() {
			s.extra[m.AsString()] = true
		}
	case "prices":
		v, err := convert.Convert(val, cty.Map(cty.Number))
		if err != nil {
			return "Incorrect prices", `prices must be a map from model name to USD per request, e.g. { "my-image-model" = 0.12 }.`
		}
		s.prices = map[string]float64{}
		for k, n := range v.AsValueMap() {
			f, _ := n.AsBigFloat().Float64()
			if f < 0 || math.IsInf(f, 0) {
				return "Incorrect prices", fmt.Sprintf("The price of %q must be a number of USD, at least 0.", k)
			}
			s.prices[k] = f
		}
	}
	return "", ""
}

// declared reports whether the provider block declares a model the table does not know:
// in extra_models, model_endpoints or prices.
func (s *settings) declared(model string) bool {
	_, routed := s.endpoints[model]
	_, priced := s.prices[model]
	return s.extra[model] || routed || priced
}

// durationOf reads "120s" or a number of seconds.
func durationOf(v cty.Value) (time.Duration, error) {
	if v.Type() == cty.Number {
		f, _ := v.AsBigFloat().Float64()
		return time.Duration(f * float64(time.Second)), nil
	}
	sv, err := convert.Convert(v, cty.String)
	if err != nil {
		return 0, err
	}
	return time.ParseDuration(strings.TrimSpace(sv.AsString()))
}

// parseBaseURL accepts the gateway's base URL with or without a trailing /v1.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute URL.", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q must start with https:// (or http://).", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q must not carry credentials, a query or a fragment.", raw)
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/v1")
	p = strings.TrimSuffix(p, "/v1beta")
	u.Path, u.RawPath = strings.TrimRight(p, "/"), ""
	return u, nil
}
