package asset

import "testing"

func TestTables(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range attrs {
		if seen[a.Name] {
			t.Errorf("attribute %s is in the table twice", a.Name)
		}
		seen[a.Name] = true
		for k := range a.Kinds {
			if !Known(string(k)) {
				t.Errorf("attribute %s names an unknown kind %q", a.Name, k)
			}
		}
	}
	for _, k := range Kinds() {
		for _, name := range []string{"model", "path"} {
			if _, ok := LookupAttr(k, name); !ok {
				t.Errorf("%s takes no %s", k, name)
			}
		}
		if sp, _ := Lookup(string(k)); sp.Outputs["path"].FriendlyName() != "string" || sp.Outputs["sha256"].FriendlyName() != "string" {
			t.Errorf("%s instances do not show path and sha256", k)
		}
	}
	if Known("audio") || IsText("image") || !IsText("chat") {
		t.Error("Known/IsText disagree with the table")
	}
}

func TestMediaTypes(t *testing.T) {
	tests := []struct{ mt, ext string }{
		{"image/png", ".png"}, {"image/jpeg", ".jpg"}, {"video/quicktime", ".mov"},
		{"text/plain; charset=utf-8", ".txt"}, {"application/x-nothing", ""},
	}
	for _, tt := range tests {
		if got := Ext(tt.mt); got != tt.ext {
			t.Errorf("Ext(%q) = %q, want %q", tt.mt, got, tt.ext)
		}
	}
	if m, ok := ByExt(".JPEG"); !ok || m.Type != "image/jpeg" || m.Kind != Image {
		t.Errorf("ByExt(.JPEG) = %+v, %v", m, ok)
	}
	for _, m := range mediaTypes {
		if got, _ := ByExt(m.Exts[0]); got.Type != m.Type {
			t.Errorf("%s: ByExt(%s) = %s", m.Type, m.Exts[0], got.Type)
		}
	}
}
