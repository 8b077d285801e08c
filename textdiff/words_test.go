package textdiff

import (
	"strings"
	"testing"
	"time"
)

func TestWords(t *testing.T) {
	render := func(spans []Span) string {
		var b strings.Builder
		for _, s := range spans {
			switch {
			case s.Del:
				b.WriteString("[-" + s.Text + "-]")
			case s.Ins:
				b.WriteString("{+" + s.Text + "+}")
			default:
				b.WriteString(s.Text)
			}
		}
		return b.String()
	}
	tests := []struct{ before, after, want string }{
		{"a red fox", "a blue fox", "a [-red-]{+blue+} fox"},
		{"a red fox", "a red fox jumps", "a red fox{+ jumps+}"},
		{"the big red fox", "the small blue fox", "the [-big red-]{+small blue+} fox"},
		{"one two three four", "one three four five", "one [-two -]three four{+ five+}"},
		{"", "new", "{+new+}"},
		{"old", "", "[-old-]"},
		{"same", "same", "same"},
		{"Acme, watercolor", "Acme, pixel art", "Acme, [-watercolor-]{+pixel art+}"},
		{"line one\nline two", "line one\nline 2", "line one\nline [-two-]{+2+}"},
		{"café au lait", "café noir", "café [-au lait-]{+noir+}"},
	}
	for _, tt := range tests {
		t.Run(tt.before+"->"+tt.after, func(t *testing.T) {
			spans := Words(tt.before, tt.after)
			if got := render(spans); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			var b, a strings.Builder
			for _, s := range spans {
				if !s.Ins {
					b.WriteString(s.Text)
				}
				if !s.Del {
					a.WriteString(s.Text)
				}
			}
			if b.String() != tt.before || a.String() != tt.after {
				t.Errorf("the spans do not rebuild both texts: %q %q", b.String(), a.String())
			}
		})
	}
}

func TestWordsHuge(t *testing.T) {
	before := strings.Repeat("alpha beta ", 3000) + "end"
	after := strings.Repeat("gamma delta ", 3000) + "fin"
	start := time.Now()
	spans := Words(before, after)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if len(spans) != 2 || !spans[0].Del || !spans[1].Ins {
		t.Errorf("a diff past the table limit is not one deletion and one insertion: %d spans", len(spans))
	}
}
