// Command clusterctl provisions keepalived + LVS clusters from one HCL file:
// validate and render offline, plan against live machines over SSH, apply
// in a safe order. See README.md and docs/.
package main

import (
	"os"

	"github.com/clusterctl/clusterctl/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ()))
}
