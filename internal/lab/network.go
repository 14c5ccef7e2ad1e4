package lab

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// ipBatch runs `ip [-n ns] -batch -` with cmds on stdin.
func ipBatch(ctx context.Context, ns string, cmds []string) error {
	args := []string{"-batch", "-"}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	return runIP(ctx, args, cmds)
}

// runIP runs ip with args and cmds on stdin.
func runIP(ctx context.Context, args, cmds []string) error {
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stdin = strings.NewReader(strings.Join(cmds, "\n") + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// bridgeCommands builds the bridge namespace: one bridge per segment and
// every veth pair, whose far ends go straight into the machines' and the
// operator's namespaces.
func bridgeCommands(rec record) []string {
	cmds := []string{"link set lo up"}
	for _, br := range rec.Bridges {
		cmds = append(cmds,
			fmt.Sprintf("link add %s type bridge forward_delay 0 stp_state 0 mcast_snooping 0", br.Name),
			fmt.Sprintf("link set %s up", br.Name))
	}
	pair := func(ifc interfaceRecord, ns string) {
		cmds = append(cmds,
			fmt.Sprintf("link add %s type veth peer name %s netns %s", ifc.Veth, ifc.Name, ns),
			fmt.Sprintf("link set %s master %s up", ifc.Veth, ifc.Bridge))
	}
	for _, m := range rec.Machines {
		for _, ifc := range m.Interfaces {
			pair(ifc, m.Namespace)
		}
	}
	for _, ifc := range rec.Operator {
		pair(ifc, rec.OperatorNamespace)
	}
	return cmds
}

// addressCommands brings up lo and ifcs with their addresses, and adds a
// default route via gw when it is valid.
func addressCommands(ifcs []interfaceRecord, gw string) []string {
	cmds := []string{"link set lo up"}
	for _, ifc := range ifcs {
		cmds = append(cmds, fmt.Sprintf("link set %s up", ifc.Name))
		for _, p := range ifc.Addresses {
			c := fmt.Sprintf("address add %s dev %s", p, ifc.Name)
			if p.Addr().Is6() {
				c += " nodad"
			}
			cmds = append(cmds, c)
		}
	}
	if gw != "" {
		cmds = append(cmds, "route add default via "+gw)
	}
	return cmds
}
