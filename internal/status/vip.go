package status

import (
	"net/netip"
	"strconv"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/state"
)

// HoldsVIP reports whether addrs (a host's `ip -o addr` addresses) hold
// vip for inst. keepalived puts an instance's VIPs on the instance's
// interface, so only that device counts; the prefix length is ignored. A
// DR or TUN real server's copy of a VIP on lo or tunl0 is therefore not a
// VRRP holder. When the instance names no interface, any device but lo
// counts.
func HoldsVIP(addrs []state.Address, inst *config.VRRPInstance, vip netip.Addr) bool {
	for _, a := range addrs {
		if a.Prefix.Addr() != vip {
			continue
		}
		if inst.Interface != "" && a.Dev == inst.Interface {
			return true
		}
		if inst.Interface == "" && a.Dev != "lo" {
			return true
		}
	}
	return false
}

// ServiceKey returns the IPVS key of vs as ipvsadm lists it: tcp or udp
// with the address, or fwm with the mark. ok is false when vs has neither
// a valid address nor a mark, or an unknown protocol.
func ServiceKey(vs *config.VirtualServer) (ipvs.ServiceKey, bool) {
	switch {
	case vs.FWMark != 0:
		return ipvs.ServiceKey{Protocol: ipvs.FWMark, Mark: vs.FWMark}, true
	case !vs.Address.IsValid():
		return ipvs.ServiceKey{}, false
	case vs.Protocol == "tcp" || vs.Protocol == "":
		return ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: vs.Address}, true
	case vs.Protocol == "udp":
		return ipvs.ServiceKey{Protocol: ipvs.UDP, Addr: vs.Address}, true
	}
	return ipvs.ServiceKey{}, false
}

// ServiceName returns how a virtual server's address is shown:
// "tcp 192.168.47.128:80" or "fwmark 1".
func ServiceName(vs *config.VirtualServer) string {
	if vs.FWMark != 0 {
		return "fwmark " + strconv.FormatUint(uint64(vs.FWMark), 10)
	}
	p := vs.Protocol
	if p == "" {
		p = "tcp"
	}
	return p + " " + vs.Address.String()
}
