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
	Shape   shape
	Client  string // clientClusterctl, clientOpenSSH, "ansible f5-facts", ...
	Op      string
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
	Commit                string
	LoadBefore, LoadAfter string
	Runs                  int
}

// median returns the median of xs (the mean of the middle two for an even
// count); 0 for none.
func median[T ~int64 | ~int | ~float64](xs []T) T {
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

func wall(s sample) time.Duration { return s.Wall }

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

// perHost formats a count per host to one decimal.
func perHost(total, n int) string {
	v := float64(total) / float64(n)
	if v == float64(int(v)) {
		return fmt.Sprintf("%d", int(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// findResult returns the result of client's op on n hosts of shape s
// that has samples, or nil.
func findResult(results []result, n int, s shape, client, op string) *result {
	for i := range results {
		r := &results[i]
		if r.N == n && r.Shape == s && r.Client == client && r.Op == op && len(r.Samples) > 0 {
			return r
		}
	}
	return nil
}

// comparison is a ratio of wall times of two measurements: the ratio of
// their medians, and the ratio per iteration (sample i of each comes from
// the same iteration) as median, min and max.
type comparison struct {
	OfMedians    float64
	Median       float64
	Lo, Hi       float64
	Measurements int
}

func compare(a, b []sample) comparison {
	k := min(len(a), len(b))
	if k == 0 {
		return comparison{}
	}
	var rs []float64
	for i := range k {
		rs = append(rs, a[i].Wall.Seconds()/b[i].Wall.Seconds())
	}
	slices.Sort(rs)
	return comparison{
		OfMedians:    median(pick(a, wall)).Seconds() / median(pick(b, wall)).Seconds(),
		Median:       median(rs),
		Lo:           rs[0],
		Hi:           rs[len(rs)-1],
		Measurements: k,
	}
}

// String is "0.05 (0.04–0.06)": the ratio of medians, the range of the
// per-iteration ratios.
func (c comparison) String() string {
	if c.Measurements == 0 {
		return "–"
	}
	if c.Measurements == 1 {
		return fmt.Sprintf("%.3g (1 iteration)", c.OfMedians)
	}
	return fmt.Sprintf("%.3g (%.3g–%.3g)", c.OfMedians, c.Lo, c.Hi)
}

// floor is the physical limit of r's runs on this machine: the targets'
// CPU (N × target CPU per host) spread over the machine's CPUs, plus the
// waits keepalived's timing imposes on the operation. withClient adds
// the client's own CPU (its whole tree), which on this machine shares
// the same CPUs.
func floor(r result, cpus int, withClient bool) time.Duration {
	cpu := median(pick(r.Samples, func(s sample) time.Duration { return s.TargetCPU }))
	if withClient {
		cpu = median(pick(r.Samples, func(s sample) time.Duration { return s.TargetCPU + s.TreeCPU }))
	}
	return cpu/time.Duration(cpus) + time.Duration(r.Shape.gateFloor(r.Op)*float64(time.Second))
}

// bestAnsible returns, for op on n hosts of shape s, the Ansible result
// with the lowest median wall time, or nil.
func bestAnsible(results []result, n int, s shape, op string) *result {
	var best *result
	for i := range results {
		r := &results[i]
		if r.N != n || r.Shape != s || r.Op != op || r.Peer != "ansible" || len(r.Samples) == 0 {
			continue
		}
		if best == nil || median(pick(r.Samples, wall)) < median(pick(best.Samples, wall)) {
			best = r
		}
	}
	return best
}

// sizesAndShapes lists the host counts and shapes of results, in order.
func sizesAndShapes(results []result) ([]int, []shape) {
	var sizes []int
	var shs []shape
	for _, r := range results {
		if !slices.Contains(sizes, r.N) {
			sizes = append(sizes, r.N)
		}
		if !slices.Contains(shs, r.Shape) {
			shs = append(shs, r.Shape)
		}
	}
	slices.Sort(sizes)
	return sizes, shs
}

// writeReport prints the results as markdown.
func writeReport(w io.Writer, e env, results []result) {
	fmt.Fprintf(w, "## Results\n\n")
	fmt.Fprintf(w, "Machine: %d CPUs (%s), kernel %s; load average before %s, after %s.\n", e.CPUs, e.CPUModel, e.Kernel, e.LoadBefore, e.LoadAfter)
	fmt.Fprintf(w, "Clients: clusterctl %s (%s), %s, %s. %d iterations per host count and shape, order rotated each iteration.\n\n", orNone(e.Commit), e.Go, e.OpenSSH, orNone(e.Ansible), e.Runs)
	writeShapes(w, results)
	writeMeasurements(w, e, results)
	writeAgainstAnsible(w, results)
	writeAgainstPlan(w, results)
	writeScale(w, results)
	fmt.Fprintf(w, "\nfloor: the physical limit of the run on this machine, N × target CPU per host ÷ %d CPUs, plus the wait keepalived's timing imposes (a first rollout of pairs: one master-down interval, %.2f s; everything else: none); floor with client adds the client's tree CPU, which shares the same CPUs here. gate: the time apply spent in its gates (per wave, the longest; summed). client CPU: rusage of the client process and the children it waited for; tree CPU: cpuacct cgroup of everything the client started (daemonised ssh masters included); target CPU: what the measured machines' sshds spent serving the run (handshake, authentication, remote commands; the sshd listeners' accumulated CPU), per host; machine CPU: all CPUs of the machine during the run (/proc/stat), including other load on the machine. Peak RSS is the largest single process of the client's tree. conns/sessions: sshd log lines (\"Accepted publickey\", \"Starting session:\") of the measured hosts, per host.\n",
		e.CPUs, shapePairs.gateFloor(opFirst))
}

// writeShapes says what each shape of the run is at each host count.
func writeShapes(w io.Writer, results []result) {
	sizes, shs := sizesAndShapes(results)
	for _, s := range shs {
		var ds []string
		for _, n := range sizes {
			ds = append(ds, s.describe(n))
		}
		fmt.Fprintf(w, "Shape %s: %s.\n", s, strings.Join(ds, "; "))
	}
	if len(shs) > 0 {
		fmt.Fprintln(w)
	}
}

func writeMeasurements(w io.Writer, e env, results []result) {
	fmt.Fprintf(w, "### Every measurement\n\n")
	fmt.Fprintf(w, "| hosts | shape | client | operation | wall s median (min–max) | floor s | wall ÷ floor | floor with client s | gate s (waves) | client CPU s | tree CPU s | target CPU ms/host | machine CPU s | peak RSS MB | conns/host | sessions/host |\n")
	fmt.Fprintf(w, "|---:|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n")
	sizes, shs := sizesAndShapes(results)
	for _, n := range sizes {
		for _, s := range shs {
			for _, op := range reportOps {
				for _, r := range results {
					if r.N != n || r.Shape != s || r.Op != op || len(r.Samples) == 0 {
						continue
					}
					walls := pick(r.Samples, wall)
					fl := floor(r, e.CPUs, false)
					gate := "–"
					if r.Client == clientClusterctl && r.Op != opPlan {
						gate = fmt.Sprintf("%s (%d)", secs(median(pick(r.Samples, func(s sample) time.Duration { return s.Gate }))), median(pick(r.Samples, func(s sample) int { return s.Waves })))
					}
					fmt.Fprintf(w, "| %d | %s | %s | %s | %s (%s–%s) | %s | %.2f | %s | %s | %s | %s | %.0f | %s | %.1f | %s | %s |\n",
						r.N, r.Shape, r.Label, opLabel(r.Op),
						secs(median(walls)), secs(slices.Min(walls)), secs(slices.Max(walls)),
						secs(fl), median(walls).Seconds()/max(fl.Seconds(), 1e-9), secs(floor(r, e.CPUs, true)), gate,
						secs(median(pick(r.Samples, func(s sample) time.Duration { return s.CPU }))),
						secs(median(pick(r.Samples, func(s sample) time.Duration { return s.TreeCPU }))),
						float64(median(pick(r.Samples, func(s sample) time.Duration { return s.TargetCPU }))/time.Millisecond)/float64(r.N),
						secs(median(pick(r.Samples, func(s sample) time.Duration { return s.MachineCPU }))),
						float64(median(pick(r.Samples, func(s sample) int64 { return s.MaxRSS })))/(1<<20),
						perHost(median(pick(r.Samples, func(s sample) int { return s.Conns })), r.N),
						perHost(median(pick(r.Samples, func(s sample) int { return s.Sessions })), r.N),
					)
				}
			}
		}
	}
}

// writeAgainstAnsible compares clusterctl with every Ansible variant, op
// by op; the best variant (lowest median) is marked.
func writeAgainstAnsible(w io.Writer, results []result) {
	sizes, shs := sizesAndShapes(results)
	header := false
	for _, n := range sizes {
		for _, s := range shs {
			for _, op := range ops {
				c := findResult(results, n, s, clientClusterctl, op)
				best := bestAnsible(results, n, s, op)
				if c == nil || best == nil {
					continue
				}
				if !header {
					fmt.Fprintf(w, "\n### clusterctl ÷ Ansible (wall time; ratio of medians, in brackets the range of the per-iteration ratios)\n\n")
					fmt.Fprintf(w, "| hosts | shape | operation | Ansible | clusterctl s | Ansible s | clusterctl ÷ Ansible | clusterctl is |\n|---:|---|---|---|---:|---:|---|---|\n")
					header = true
				}
				for _, r := range results {
					if r.N != n || r.Shape != s || r.Op != op || r.Peer != "ansible" || len(r.Samples) == 0 {
						continue
					}
					label := r.Label
					if r.Key == best.Key {
						label = "**" + label + "** (best)"
					}
					cmp := compare(c.Samples, r.Samples)
					fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %s |\n", n, s, opLabel(op), label,
						secs(median(pick(c.Samples, wall))), secs(median(pick(r.Samples, wall))), cmp, speed(cmp.OfMedians))
				}
			}
		}
	}
}

// writeAgainstPlan compares clusterctl's operations with its own plan and
// its plan with the OpenSSH fan-out of the same facts script.
func writeAgainstPlan(w io.Writer, results []result) {
	sizes, shs := sizesAndShapes(results)
	header := false
	for _, n := range sizes {
		for _, s := range shs {
			plan := findResult(results, n, s, clientClusterctl, opPlan)
			if plan == nil {
				continue
			}
			if !header {
				fmt.Fprintf(w, "\n### clusterctl against its plan and the OpenSSH floor (ratio of medians (per-iteration range))\n\n")
				fmt.Fprintf(w, "| hosts | shape | plan s | plan ÷ OpenSSH fan-out | first apply ÷ plan | change apply ÷ plan | no-op apply ÷ plan | import ÷ plan |\n|---:|---|---:|---|---|---|---|---|\n")
				header = true
			}
			cell := func(r *result, den *result) string {
				if r == nil || den == nil {
					return "–"
				}
				return compare(r.Samples, den.Samples).String()
			}
			fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %s |\n", n, s, secs(median(pick(plan.Samples, wall))),
				cell(plan, findResult(results, n, s, clientOpenSSH, opFanOut)),
				cell(findResult(results, n, s, clientClusterctl, opFirst), plan),
				cell(findResult(results, n, s, clientClusterctl, opChange), plan),
				cell(findResult(results, n, s, clientClusterctl, opNoop), plan),
				cell(findResult(results, n, s, clientClusterctl, opImport), plan))
		}
	}
}

// writeScale prints, per shape, client and operation measured at more
// than one host count, the wall time and client CPU per host and the
// peak RSS at each count, and how the time per host at the largest
// count compares with the smallest.
func writeScale(w io.Writer, results []result) {
	sizes, shs := sizesAndShapes(results)
	if len(sizes) < 2 {
		return
	}
	fmt.Fprintf(w, "\n### Scale: per host\n\n| shape | client | operation |")
	for _, part := range []string{"wall ms/host", "client CPU ms/host", "peak RSS MB"} {
		for _, n := range sizes {
			fmt.Fprintf(w, " %s at %d |", part, n)
		}
		if part == "wall ms/host" {
			fmt.Fprintf(w, " wall/host %d ÷ %d |", sizes[len(sizes)-1], sizes[0])
		}
	}
	fmt.Fprintf(w, "\n|---|---|---|%s\n", strings.Repeat("---:|", 3*len(sizes)+1))
	for _, s := range shs {
		var clients []string
		for _, r := range results {
			if r.Shape == s && !slices.Contains(clients, r.Client) {
				clients = append(clients, r.Client)
			}
		}
		for _, client := range clients {
			for _, op := range reportOps {
				var rs []*result
				for _, n := range sizes {
					rs = append(rs, findResult(results, n, s, client, op))
				}
				if len(slices.DeleteFunc(slices.Clone(rs), func(r *result) bool { return r == nil })) < 2 {
					continue
				}
				label := ""
				for _, r := range rs {
					if r != nil {
						label = r.Label
					}
				}
				fmt.Fprintf(w, "| %s | %s | %s |", s, label, opLabel(op))
				perHostMS := func(r *result, f func(sample) time.Duration) string {
					if r == nil {
						return " – |"
					}
					return fmt.Sprintf(" %.1f |", float64(median(pick(r.Samples, f)))/float64(time.Millisecond)/float64(r.N))
				}
				for _, r := range rs {
					fmt.Fprint(w, perHostMS(r, wall))
				}
				first, last := rs[0], rs[len(rs)-1]
				if first != nil && last != nil {
					a := median(pick(last.Samples, wall)).Seconds() / float64(last.N)
					b := median(pick(first.Samples, wall)).Seconds() / float64(first.N)
					fmt.Fprintf(w, " %.2f |", a/b)
				} else {
					fmt.Fprint(w, " – |")
				}
				for _, r := range rs {
					fmt.Fprint(w, perHostMS(r, func(s sample) time.Duration { return s.CPU }))
				}
				for _, r := range rs {
					if r == nil {
						fmt.Fprint(w, " – |")
						continue
					}
					fmt.Fprintf(w, " %.1f |", float64(median(pick(r.Samples, func(s sample) int64 { return s.MaxRSS })))/(1<<20))
				}
				fmt.Fprintln(w)
			}
		}
	}
}

// speed says a wall-time ratio in words: "3.1× faster", "1.2× the time".
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
		return "–"
	}
	return strings.TrimSpace(s)
}
