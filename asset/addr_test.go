package asset

import (
	"slices"
	"testing"
)

func TestAddrs(t *testing.T) {
	for addr, want := range map[string]string{
		"image.hero": "image.hero", "image.hero[0]": "image.hero", `image.hero["a[b]"]`: "image.hero",
	} {
		if got := Block(addr); got != want {
			t.Errorf("Block(%s) = %s, want %s", addr, got, want)
		}
	}
	if !InBlock(`image.hero["x"]`, "image.hero") || InBlock("image.heroes[0]", "image.hero") || !InBlock("chat.a", "chat.a") {
		t.Error("InBlock is wrong")
	}
	addrs := []string{"image.hero[10]", "chat.tag", "image.hero[2]", `image.hero["b"]`, `image.hero["a"]`}
	slices.SortFunc(addrs, CompareAddrs)
	want := []string{"chat.tag", `image.hero["a"]`, `image.hero["b"]`, "image.hero[2]", "image.hero[10]"}
	if !slices.Equal(addrs, want) {
		t.Errorf("sorted %q, want %q", addrs, want)
	}
}
