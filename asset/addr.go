package asset

import (
	"cmp"
	"strconv"
	"strings"
)

// Block is the block address of an instance address, without its index:
// image.hero["dawn"] -> image.hero. Kinds and names hold no "[", so the first one starts
// the index.
func Block(addr string) string {
	if i := strings.IndexByte(addr, '['); i >= 0 {
		return addr[:i]
	}
	return addr
}

// InBlock reports whether addr is the block address block or one of its instances.
func InBlock(addr, block string) bool {
	return addr == block || strings.HasPrefix(addr, block+"[") && Block(addr) == block
}

// CompareAddrs orders instance addresses by block, then numeric indexes by number and keys
// by text: image.hero[2] before image.hero[10].
func CompareAddrs(a, b string) int {
	ba, bb := Block(a), Block(b)
	if c := cmp.Compare(ba, bb); c != 0 {
		return c
	}
	ia, ea := strconv.Atoi(strings.Trim(a[len(ba):], "[]"))
	ib, eb := strconv.Atoi(strings.Trim(b[len(bb):], "[]"))
	if ea == nil && eb == nil {
		return cmp.Compare(ia, ib)
	}
	return cmp.Compare(a, b)
}
