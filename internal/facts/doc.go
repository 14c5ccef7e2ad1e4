// Package facts gathers everything the planner needs from one host with a
// single remote POSIX sh script (Script) and turns the script's output into
// typed observed state (Parse, Host), reusing the state, ipvs and netfilter
// types. The output is a sectioned document: each section starts with a
// header line beginning with a per-run random token, and every byte that
// comes from the host (file contents, command output) is base64-encoded, so
// no file content can forge a section. Remote output is untrusted: Parse
// bounds sizes, rejects malformed data with an error naming the section and
// line, and never panics. Fingerprint hashes the observed state a plan
// depends on, to detect stale saved plans. The package does no I/O.
package facts
