package views

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/clusterctl/clusterctl/internal/status"
)

// StatusHuman prints r as aligned tables, one section per VRRP instance,
// per virtual server and for the hosts, then the problems, the warnings
// and a verdict line.
func StatusHuman(w io.Writer, r status.Report) error {
	var b strings.Builder
	for _, inst := range r.Instances {
		statusInstance(&b, inst)
	}
	for _, vs := range r.VirtualServers {
		statusVirtualServer(&b, vs)
	}
	statusHosts(&b, r.Hosts)
	for _, sec := range []struct {
		title string
		lines []string
	}{{"Problems", r.Problems}, {"Warnings", r.Warnings}} {
		if len(sec.lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s:\n", sec.title)
		for _, l := range sec.lines {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
	}
	if r.Healthy {
		b.WriteString("\nStatus: healthy.\n")
	} else {
		fmt.Fprintf(&b, "\nStatus: DEGRADED (%s).\n", Count(len(r.Problems), "problem"))
	}
	_, err := io.WriteString(w, trimLines(b.String()))
	return err
}

// statusInstance prints a VRRP instance: its members and its VIPs.
func statusInstance(b *strings.Builder, inst status.Instance) {
	fmt.Fprintf(b, "VRRP instance %s (expected master %s%s)\n", inst.Name, dash(inst.ExpectedMaster), map[bool]string{true: ", nopreempt"}[inst.Nopreempt])
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  MEMBER\tPRIORITY\tROLE\tKEEPALIVED\tNOTE")
	for _, mem := range inst.Members {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\n", mem.Host, mem.Priority, mem.Role, mem.Keepalived, mem.Note)
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

// statusVirtualServer prints a virtual server's IPVS service on each of
// its directors, with the real servers' counters.
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
		fmt.Fprintf(b, "  director %s: scheduler %s, %s\n", d.Host, d.Scheduler, persist)
		if d.StatsError != "" {
			fmt.Fprintf(b, "    connection counts unavailable: %s\n", d.StatsError)
		}
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "    REAL SERVER\tFORWARD\tWEIGHT\tACTIVECONN\tINACTCONN\tNOTE")
		for _, rs := range d.RealServers {
			note := ""
			switch {
			case !rs.InTable:
				note = "configured, not in the table"
			case !rs.Configured:
				note = "not in the configuration"
			}
			if !rs.InTable {
				fmt.Fprintf(tw, "    %s\t-\t%d\t-\t-\t%s\n", rs.Address, rs.Weight, note)
				continue
			}
			fmt.Fprintf(tw, "    %s\t%s\t%d\t%d\t%d\t%s\n", rs.Address, rs.Forward, rs.Weight, rs.ActiveConn, rs.InActConn, note)
		}
		tw.Flush()
	}
	b.WriteByte('\n')
}

// statusHosts prints whether each host answered and its services.
func statusHosts(b *strings.Builder, hosts []status.Host) {
	b.WriteString("Hosts\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  HOST\tREACHABLE\tSERVICES (active/enabled)")
	for _, h := range hosts {
		if !h.Reachable {
			fmt.Fprintf(tw, "  %s\tno\t%s\n", h.Name, h.Error)
			continue
		}
		var svcs []string
		for _, s := range h.Services {
			svcs = append(svcs, fmt.Sprintf("%s %s/%s", s.Name, s.Active, s.Enabled))
		}
		fmt.Fprintf(tw, "  %s\tyes\t%s\n", h.Name, dash(strings.Join(svcs, ", ")))
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
// documented on status.Report and its parts.
func StatusJSON(w io.Writer, r status.Report) error {
	data, err := json.MarshalIndent(r, "", "  ")
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
