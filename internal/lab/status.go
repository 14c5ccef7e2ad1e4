package lab

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// MachineStatus is what Status observes of one machine.
type MachineStatus struct {
	Name      string
	Namespace string // network namespace, e.g. "ccl-rs1"
	// PID is the machine's PID 1 as seen from the host; 0 if never started.
	PID int
	// Running: PID 1 is alive (same process as recorded at Up).
	Running bool
	// Addresses are the configured addresses of all interfaces.
	Addresses []netip.Prefix
	// SSHD: something listens on TCP port 22 in the machine's namespace.
	SSHD bool
}

// Status reports every machine in spec order. It reads /proc only and sends
// no traffic.
func (l *Lab) Status(ctx context.Context) ([]MachineStatus, error) {
	l.mu.Lock()
	machines := append([]machineRecord(nil), l.rec.Machines...)
	l.mu.Unlock()
	out := make([]MachineStatus, 0, len(machines))
	for _, m := range machines {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st := MachineStatus{Name: m.Name, Namespace: m.Namespace, PID: m.Init.PID, Running: m.Init.alive()}
		for _, ifc := range m.Interfaces {
			st.Addresses = append(st.Addresses, ifc.Addresses...)
		}
		if st.Running {
			st.SSHD = listensTCP(m.Init.PID, 22)
		}
		out = append(out, st)
	}
	return out, nil
}

// listensTCP reports whether a socket in pid's network namespace listens on
// TCP port (IPv4 or IPv6).
func listensTCP(pid, port int) bool {
	want := fmt.Sprintf(":%04X", port)
	for _, file := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, file))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st ...; st 0A is LISTEN.
			fields := strings.Fields(sc.Text())
			if len(fields) > 3 && strings.HasSuffix(fields[1], want) && fields[3] == "0A" {
				f.Close()
				return true
			}
		}
		f.Close()
	}
	return false
}
