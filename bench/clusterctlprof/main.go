// Command clusterctlprof is clusterctl with profiles, for the bench's
// -profile: it runs the same CLI and writes a CPU profile to
// $CLUSTERCTL_CPUPROFILE and a heap profile (after the command, all
// allocations since start) to $CLUSTERCTL_MEMPROFILE when they are set.
// Read them with `go tool pprof`.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/clusterctl/clusterctl/internal/cli"
)

func main() {
	os.Exit(run())
}

func run() int {
	if path := os.Getenv("CLUSTERCTL_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "clusterctlprof:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "clusterctlprof:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	code := cli.Main(os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ())
	if path := os.Getenv("CLUSTERCTL_MEMPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "clusterctlprof:", err)
			return 1
		}
		defer f.Close()
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			fmt.Fprintln(os.Stderr, "clusterctlprof:", err)
			return 1
		}
	}
	return code
}
