// Package cli is clusterctl's command-line interface: cobra commands, their
// typed flags, and the glue between configuration, rendering, planning and
// the views that print results. It holds no package-level mutable state;
// every command is built fresh by Main, so tests drive it in-process.
package cli
