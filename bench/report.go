package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// result is every sample of one measurement at one host count.
type result struct {
	N       int
	Key     string
	Label   string
	Peer    string
	Samples []sample
}

// env describes where the numbers were measured.
type env struct {
	CPUs                  int
	CPUModel, Kernel      string
	OpenSSH, Ansible, Go  string
	LoadBefore, LoadAfter string
	Runs                  int
}

// median returns the median of xs (the mean of the middle two for an even
// count); 0 for none.
func median[T ~int64 | ~int](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func pick[T any](ss []sample, f func(sample) T) []T {
	out := make([]T, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

// perHost formats a count per host to one decimal.
func perHost(total, n int) string {
	v := float64(total) / float64(n)
	if v == float64(int(v)) {
		return fmt.Sprintf("%d", int(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// ratio is a comparison of two measurements, per iteration (they
// alternate, so sample i of each comes from the same iteration).
type ratio struct {
	N            int
	Num, Den     string // labels
	Median       float64
	Lo, Hi       float64
	NumKey       string
	DenKey       string
	OfMedians    float64
	Measurements int
}

// ratios compares clusterctl plan with each floor and peer measured at the
// same host count.
func ratios(results []result) []ratio {
	var out []ratio
	find := func(n int, key string) *result {
		for i := range results {
			if results[i].N == n && results[i].Key == key && len(results[i].Samples) > 0 {
				return &results[i]
			}
		}
		return nil
	}
	var sizes []int
	for _, r := range results {
		if !slices.Contains(sizes, r.N) {
			sizes = append(sizes, r.N)
		}
	}
	for _, n := range sizes {
		for _, num := range []string{keyPlan, keyPlanN} {
			a := find(n, num)
			if a == nil {
				continue
			}
			for _, den := range []string{keySSHFacts, keySSHFacts255, keySSHSmall, keyAnsibleSetup, keyAnsibleMin} {
				b := find(n, den)
				if b == nil {
					continue
				}
				k := min(len(a.Samples), len(b.Samples))
				var rs []float64
				for i := range k {
					rs = append(rs, a.Samples[i].Wall.Seconds()/b.Samples[i].Wall.Seconds())
				}
				slices.Sort(rs)
				med := rs[len(rs)/2]
				if len(rs)%2 == 0 {
					med = (rs[len(rs)/2-1] + rs[len(rs)/2]) / 2
				}
				ma := median(pick(a.Samples, func(s sample) time.Duration { return s.Wall }))
				mb := median(pick(b.Samples, func(s sample) time.Duration { return s.Wall }))
				out = append(out, ratio{N: n, Num: a.Label, Den: b.Label, NumKey: num, DenKey: den,
					Median: med, Lo: rs[0], Hi: rs[len(rs)-1], OfMedians: ma.Seconds() / mb.Seconds(), Measurements: k})
			}
		}
	}
	return out
}

// writeReport prints the results as markdown.
func writeReport(w io.Writer, e env, results []result) {
	fmt.Fprintf(w, "## Results\n\n")
	fmt.Fprintf(w, "Machine: %d CPUs (%s), kernel %s; load average before %s, after %s.\n", e.CPUs, e.CPUModel, e.Kernel, e.LoadBefore, e.LoadAfter)
	fmt.Fprintf(w, "Clients: clusterctl (%s), %s, %s. %d iterations per host count, order rotated each iteration.\n\n", e.Go, e.OpenSSH, orNone(e.Ansible), e.Runs)
	fmt.Fprintf(w, "| hosts | what | wall s median (min–max) | client CPU s | tree CPU s | target CPU ms/host | machine CPU s | peak RSS MB | conns/host | sessions/host |\n")
	fmt.Fprintf(w, "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		if len(r.Samples) == 0 {
			continue
		}
		walls := pick(r.Samples, func(s sample) time.Duration { return s.Wall })
		fmt.Fprintf(w, "| %d | %s | %s (%s–%s) | %s | %s | %.0f | %s | %.1f | %s | %s |\n",
			r.N, r.Label,
			secs(median(walls)), secs(slices.Min(walls)), secs(slices.Max(walls)),
			secs(median(pick(r.Samples, func(s sample) time.Duration { return s.CPU }))),
			secs(median(pick(r.Samples, func(s sample) time.Duration { return s.TreeCPU }))),
			float64(median(pick(r.Samples, func(s sample) time.Duration { return s.TargetCPU }))/time.Millisecond)/float64(r.N),
			secs(median(pick(r.Samples, func(s sample) time.Duration { return s.MachineCPU }))),
			float64(median(pick(r.Samples, func(s sample) int64 { return s.MaxRSS })))/(1<<20),
			perHost(median(pick(r.Samples, func(s sample) int { return s.Conns })), r.N),
			perHost(median(pick(r.Samples, func(s sample) int { return s.Sessions })), r.N),
		)
	}
	rs := ratios(results)
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "\n### Ratios (wall time, per iteration: median (min–max); ratio of medians)\n\n")
	fmt.Fprintf(w, "| hosts | clusterctl | ÷ | ratio | of medians | clusterctl is |\n|---:|---|---|---|---:|---|\n")
	for _, r := range rs {
		fmt.Fprintf(w, "| %d | %s | %s | %.2f (%.2f–%.2f) | %.2f | %s |\n", r.N, r.Num, r.Den, r.Median, r.Lo, r.Hi, r.OfMedians, speed(r.Median))
	}
	fmt.Fprintf(w, "\nclient CPU: rusage of the client process and the children it waited for; tree CPU: cpuacct cgroup of everything the client started (daemonised ssh masters included); target CPU: what the measured machines' sshds spent serving the run (handshake, authentication, remote commands; the sshd listeners' accumulated CPU), per host; machine CPU: all CPUs of the machine during the run (/proc/stat), including other load on the machine. Peak RSS is the largest single process of the client's tree. conns/sessions: sshd log lines (\"Accepted publickey\", \"Starting session:\") of the measured hosts, per host.\n")
}

// speed says a wall-time ratio in words: "3.1× faster", "1.2× slower".
func speed(ratio float64) string {
	switch {
	case ratio <= 0:
		return "?"
	case ratio < 1:
		return fmt.Sprintf("%.1f× faster", 1/ratio)
	default:
		return fmt.Sprintf("%.2f× the time", ratio)
	}
}

func orNone(s string) string {
	if s == "" {
		return "no ansible"
	}
	return strings.TrimSpace(s)
}
