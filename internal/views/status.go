package views

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clusterctl/clusterctl/internal/status"
)

// StatusHuman prints r as aligned tables, one section per VRRP instance,
// per virtual server and for the hosts, then the findings grouped by
// severity and a verdict line. "healthy" is printed only when there is
// nothing at all to report.
func StatusHuman(w io.Writer, r status.Report) error {
	_, err := io.WriteString(w, statusText(r))
	return err
}

func statusText(r status.Report) string {
	var b strings.Builder
	for _, inst := range r.Instances {
		statusInstance(&b, inst, r.GatheredAt)
	}
	for _, vs := range r.VirtualServers {
		statusVirtualServer(&b, vs)
	}
	statusHosts(&b, r.Hosts)
	var broken, degraded []string
	for _, f := range r.Findings {
		if f.Severity == status.Broken {
			broken = append(broken, f.String())
		} else {
			degraded = append(degraded, f.String())
		}
	}
	for _, sec := range []struct {
		title string
		lines []string
	}{{"Broken", broken}, {"Degraded", degraded}} {
		if len(sec.lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s:\n", sec.title)
		for _, l := range sec.lines {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
	}
	switch r.Verdict {
	case status.Healthy:
		b.WriteString("\nStatus: healthy.\n")
	case status.Degraded:
		fmt.Fprintf(&b, "\nStatus: DEGRADED (exit %d): %s, still serving.\n", r.ExitCode, Count(len(degraded), "finding"))
	default:
		fmt.Fprintf(&b, "\nStatus: BROKEN (exit %d): %d broken, %d degraded.\n", r.ExitCode, len(broken), len(degraded))
	}
	return trimLines(b.String())
}

// statusInstance prints a VRRP instance: its members as keepalived sees
// them and its VIPs.
func statusInstance(b *strings.Builder, inst status.Instance, at time.Time) {
	fmt.Fprintf(b, "VRRP instance %s (VRID %d, expected master %s%s)\n", inst.Name, inst.VRID, dash(inst.ExpectedMaster), map[bool]string{true: ", nopreempt"}[inst.Nopreempt])
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  MEMBER\tPRIORITY\tSTATE\tSINCE\tTRACKING\tVIPS\tNOTE")
	for _, m := range inst.Members {
		prio := fmt.Sprint(m.Priority)
		if m.EffectivePriority != 0 && m.EffectivePriority != m.Priority {
			prio = fmt.Sprintf("%d (of %d)", m.EffectivePriority, m.Priority)
		}
		since := "-"
		if m.LastTransition != nil {
			since = sinceText(*m.LastTransition, at)
		}
		var track []string
		for _, t := range m.TrackScripts {
			track = append(track, t.Name+" "+okWord(t.OK, "ok", "FAILING"))
		}
		for _, t := range m.TrackInterfaces {
			track = append(track, t.Name+" "+okWord(t.OK, "up", "DOWN"))
		}
		vips := fmt.Sprintf("%d/%d", m.HoldsVIPs, len(inst.VIPs))
		if m.Source == status.SourceNone && m.Keepalived == "unknown" {
			vips = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Host, prio, m.State, since, dash(strings.Join(track, ", ")), vips, m.Note)
	}
	tw.Flush()
	tw = tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  VIP\tSTATE\tHOLDERS")
	for _, v := range inst.VIPs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Address, v.State, dash(strings.Join(v.Holders, ", ")))
	}
	tw.Flush()
	b.WriteByte('\n')
}

func okWord(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// sinceText prints a transition time as clock time (UTC) and its age at
// the time the report was gathered: "08:04:06 (5m2s ago)", with the date
// when it is not the report's day.
func sinceText(t, at time.Time) string {
	t = t.UTC()
	layout := "15:04:05"
	if at.IsZero() || t.Format("2006-01-02") != at.UTC().Format("2006-01-02") {
		layout = "2006-01-02 15:04:05"
	}
	s := t.Format(layout)
	if !at.IsZero() && !at.Before(t) {
		s += " (" + at.Sub(t).Truncate(time.Second).String() + " ago)"
	}
	return s
}

// statusVirtualServer prints a virtual server's IPVS service on each of
// its directors, with the real servers' counters and health.
func statusVirtualServer(b *strings.Builder, vs status.VirtualServer) {
	fmt.Fprintf(b, "Virtual server %s (%s, %s, managed by %s)\n", vs.Name, vs.Service, dash(vs.Mode), dash(vs.ManagedBy))
	for _, d := range vs.Directors {
		switch {
		case !d.Available:
			fmt.Fprintf(b, "  director %s: IPVS table unavailable: %s\n", d.Host, d.Reason)
			continue
		case !d.Present:
			fmt.Fprintf(b, "  director %s: the service is not in the IPVS table\n", d.Host)
			continue
		}
		persist := "no persistence"
		if d.Persistent {
			persist = fmt.Sprintf("persistence %ds", d.Timeout)
		}
		line := fmt.Sprintf("  director %s: scheduler %s, %s", d.Host, d.Scheduler, persist)
		if d.Counters != nil {
			line += fmt.Sprintf(", %d conns, %d/%d packets in/out", d.Counters.Conns, d.Counters.InPkts, d.Counters.OutPkts)
		}
		if d.Checker != "" && d.Checker != "reported" {
			line += "; health unknown: " + d.Checker
		}
		b.WriteString(line + "\n")
		if d.StatsError != "" {
			fmt.Fprintf(b, "    connection counts unavailable: %s\n", d.StatsError)
		}
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "    REAL SERVER\tFORWARD\tWEIGHT\tACTIVE\tINACTIVE\tCONNS\tHEALTH\tNOTE")
		for _, rs := range d.RealServers {
			note := ""
			switch {
			case !rs.InTable:
				note = "configured, not in the table"
			case !rs.Configured:
				note = "not in the configuration"
			case rs.Weight == 0:
				note = "weight 0: no new connections"
			}
			if !rs.InTable {
				fmt.Fprintf(tw, "    %s\t-\t%d\t-\t-\t-\t%s\t%s\n", rs.Address, rs.Weight, dash(rs.Health), note)
				continue
			}
			fmt.Fprintf(tw, "    %s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", rs.Address, rs.Forward, rs.Weight, rs.ActiveConn, rs.InActConn, rs.Counters.Conns, dash(rs.Health), note)
		}
		tw.Flush()
	}
	b.WriteByte('\n')
}

// statusHosts prints whether each host answered, its keepalived and its
// services.
func statusHosts(b *strings.Builder, hosts []status.Host) {
	b.WriteString("Hosts\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  HOST\tREACHABLE\tKEEPALIVED\tSERVICES (active/enabled)")
	for _, h := range hosts {
		if !h.Reachable {
			fmt.Fprintf(tw, "  %s\tno\t-\t%s\n", h.Name, h.Error)
			continue
		}
		var svcs []string
		for _, s := range h.Services {
			svcs = append(svcs, fmt.Sprintf("%s %s/%s", s.Name, s.Active, s.Enabled))
		}
		ka := dash(h.Keepalived)
		if len(h.KeepalivedSources) > 0 {
			ka += ", answered " + strings.Join(h.KeepalivedSources, "+")
		}
		fmt.Fprintf(tw, "  %s\tyes\t%s\t%s\n", h.Name, ka, dash(strings.Join(svcs, ", ")))
	}
	tw.Flush()
}

// trimLines removes the padding tabwriter leaves after an empty last cell.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// StatusJSON prints r as one indented JSON object with the field names
// documented on status.Report and its parts (docs/status.md).
func StatusJSON(w io.Writer, r status.Report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// StatusWatchFrame prints one refresh of `status -watch`. On a terminal
// (clear true) it moves the cursor home and clears the screen first, so
// the report refreshes in place; otherwise frames follow one another,
// each after a separator line with its time. The header says how often
// it refreshes and how to stop.
func StatusWatchFrame(w io.Writer, r status.Report, every time.Duration, clear bool) error {
	var b strings.Builder
	if clear {
		b.WriteString("\x1b[H\x1b[2J")
	} else {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "== clusterctl status at %s UTC, every %s (Ctrl-C to stop) ==\n\n", r.GatheredAt.UTC().Format("15:04:05"), every)
	b.WriteString(statusText(r))
	_, err := io.WriteString(w, b.String())
	return err
}

// StatusJSONLine prints r as one line of JSON (status -watch -json).
func StatusJSONLine(w io.Writer, r status.Report) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Count returns "1 host", "2 hosts": n and word, plural unless n is 1.
func Count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
