package wisdomgate

import (
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	p, diags := build(t, "", map[string]string{KeyEnv: "from-env"})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if p.key != "from-env" || p.base.String() != DefaultBaseURL || p.timeout != 120*time.Second ||
		p.maxRetries != 5 || p.rpm != 0 || p.concurrency != 0 || p.maxImage != 64<<20 || p.maxVideo != 2<<30 ||
		p.maxAmbiguous != 1 || p.videoTimeout != 2*time.Hour {
		t.Errorf("defaults = %+v", p.settings)
	}
	if p.api("/v1/chat/completions") != "https://wisdom-gate.juheapi.com/v1/chat/completions" {
		t.Errorf("api URL = %s", p.api("/v1/chat/completions"))
	}
}

func TestConfigValues(t *testing.T) {
	p, diags := build(t, `
		api_key             = "explicit"
		base_url            = "https://api.wisgate.ai/v1/"
		timeout             = "2m"
		max_retries         = 2
		max_ambiguous_retries = 0
		video_timeout       = "45m"
		requests_per_minute = 600
		concurrency         = 4
		poll_interval       = 30
		max_image_bytes     = 1000
		max_video_bytes     = 2000
		model_endpoints     = { "x" = "chat" }
	`, map[string]string{KeyEnv: "from-env"})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s := p.settings
	if s.key != "explicit" || s.base.String() != "https://api.wisgate.ai" || s.timeout != 2*time.Minute ||
		s.maxRetries != 2 || s.rpm != 600 || s.concurrency != 4 || s.pollInterval != 30*time.Second ||
		s.maxImage != 1000 || s.maxVideo != 2000 || s.endpoints["x"] != viaChat ||
		s.maxAmbiguous != 0 || s.videoTimeout != 45*time.Minute {
		t.Errorf("settings = %+v", s)
	}
}

func TestConfigBaseURLForms(t *testing.T) {
	for raw, want := range map[string]string{
		"https://wisdom-gate.juheapi.com":        "https://wisdom-gate.juheapi.com/v1/models",
		"https://wisdom-gate.juheapi.com/":       "https://wisdom-gate.juheapi.com/v1/models",
		"https://wisdom-gate.juheapi.com/v1":     "https://wisdom-gate.juheapi.com/v1/models",
		"https://wisdom-gate.juheapi.com/v1/":    "https://wisdom-gate.juheapi.com/v1/models",
		"http://127.0.0.1:8080/proxy/v1":         "http://127.0.0.1:8080/proxy/v1/models",
		"https://wisdom-gate.juheapi.com/v1beta": "https://wisdom-gate.juheapi.com/v1/models",
	} {
		p, diags := build(t, `base_url = "`+raw+`"`, nil)
		if diags.HasErrors() {
			t.Errorf("%s: %v", raw, diags)
			continue
		}
		if got := p.api("/v1/models"); got != want {
			t.Errorf("%s: models URL = %s, want %s", raw, got, want)
		}
	}
}

func TestConfigDiagnostics(t *testing.T) {
	tests := []struct {
		src     string
		summary string
		detail  string
		line    int
	}{
		{`timout = "5s"`, "Unsupported argument", `Did you mean "timeout"?`, 1},
		{"\ntimeout = \"soon\"", "Incorrect timeout", `a positive duration such as "120s"`, 2},
		{`base_url = "ftp://example.com"`, "Incorrect base_url", "must start with https://", 1},
		{`base_url = "https://user:pw@example.com"`, "Incorrect base_url", "must not carry credentials", 1},
		{`base_url = "example.com"`, "Incorrect base_url", "not an absolute URL", 1},
		{`max_retries = -1`, "Incorrect max_retries", "at least 0", 1},
		{`max_retries = 1.5`, "Incorrect max_retries", "whole number", 1},
		{`max_ambiguous_retries = -1`, "Incorrect max_ambiguous_retries", "at least 0", 1},
		{`video_timeout = "0s"`, "Incorrect video_timeout", `a positive duration such as "120s"`, 1},
		{`concurrency = "many"`, "Incorrect concurrency", "must be a number", 1},
		{`model_endpoints = { "m" = "imagse" }`, `Unknown endpoint "imagse"`, `Did you mean "images"?`, 1},
		{`api_key = ["a"]`, "Incorrect api_key", "must be a string", 1},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, diags := build(t, tt.src, nil)
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			d := diags[0]
			if d.Summary != tt.summary || !strings.Contains(d.Detail, tt.detail) {
				t.Errorf("diagnostic = %s: %s, want %s: ...%s...", d.Summary, d.Detail, tt.summary, tt.detail)
			}
			if d.Subject == nil || d.Subject.Start.Line != tt.line {
				t.Errorf("subject = %v, want line %d", d.Subject, tt.line)
			}
		})
	}
}

func TestLogEnabled(t *testing.T) {
	for level, want := range map[string]bool{"debug": true, "DEBUG": true, "trace": true, "Trace": true, "": false, "off": false, "info": false} {
		if got := LogEnabled(level); got != want {
			t.Errorf("LogEnabled(%q) = %v, want %v", level, got, want)
		}
	}
}
