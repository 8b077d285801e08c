// Command benchproj writes a generated benchmark project:
//
//	go run ./internal/benchproj/cmd/benchproj -shape blocks -n 10000 /tmp/p10k
//
// Apply it once (genform -chdir=/tmp/p10k apply -auto-approve) to have every output
// present, then time genform plan on it next to the floor command.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/genform/genform/internal/benchproj"
)

func main() {
	shape := flag.String("shape", "blocks", "blocks, count or for_each")
	n := flag.Int("n", 10000, "number of images")
	change := flag.Bool("change", false, "change 1% of a blocks project's prompts instead of writing it")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: benchproj [-shape S] [-n N] [-change] DIR")
		os.Exit(2)
	}
	var err error
	if *change {
		err = benchproj.Change(flag.Arg(0), *n)
	} else {
		err = benchproj.Write(flag.Arg(0), benchproj.Shape(*shape), *n)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
