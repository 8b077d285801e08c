package textdiff

import "testing"

func TestNearest(t *testing.T) {
	opts := []string{"prompt", "model", "aspect_ratio", "4K", "path"}
	tests := []struct{ value, want string }{
		{"promt", "prompt"}, {"4k", "4K"}, {"aspect_ration", "aspect_ratio"}, {"modle", "model"},
		{"x", ""}, {"", ""}, {"completely_else", ""},
	}
	for _, tt := range tests {
		if got := Nearest(tt.value, opts); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}
