package main

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestPartialProfile(t *testing.T) {
	dir := os.Getenv("INC_DIR")
	if dir == "" {
		t.Skip()
	}
	for i := 0; i < 4; i++ {
		st := time.Now()
		res := runCLI(dir, "plan")
		fmt.Println(time.Since(st), len(res.stdout))
	}
}
