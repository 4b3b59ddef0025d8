// Command launcher is bench/gen's plugin launcher (see
// bench/gen/internal/launch): launcher <plugin> runs the plugin and reports
// its usage on file descriptor 3. bench/gen builds it into .cache/bench/bin.
package main

import (
	"fmt"
	"os"

	"github.com/lkrpc/lkrpc/bench/gen/internal/launch"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: launcher <plugin> (bench/gen starts it)")
		os.Exit(2)
	}
	os.Exit(launch.Run(os.Args[1]))
}
