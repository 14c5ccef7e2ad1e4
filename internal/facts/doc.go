// Package facts gathers everything the planner needs from one host with a
// single remote POSIX sh script (Script) and turns the script's output into
// typed observed state (Parse, Host), reusing the state, ipvs and netfilter
// types. The output is a header, one encoded stream and a trailer; the
// stream is a sequence of sections, each a header line beginning with a
// per-run random token, then the raw bytes the host reported (file
// contents, command output). Encoding the whole stream once costs the host
// one encoder process per run; the random token keeps content from forging
// a section. Remote output is untrusted: Parse bounds sizes, rejects
// malformed data with an error naming the section and line, and never
// panics. Fingerprint hashes the observed state a plan
// depends on, to detect stale saved plans. The package does no I/O.
package facts
