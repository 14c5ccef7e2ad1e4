package render

import (
	"fmt"
	"strconv"

	"github.com/clusterctl/clusterctl/internal/ipvs"
)

// ipvsSelector returns ipvsadm's service option and its argument, as the
// restore script passes them to `ipvsadm -L -n` and matches them in the
// rules file: ("-t", "192.168.47.128:80"), ("-u", ...), ("-f", "1").
func ipvsSelector(k ipvs.ServiceKey) ([2]string, error) {
	switch k.Protocol {
	case ipvs.TCP:
		return [2]string{"-t", k.Addr.String()}, nil
	case ipvs.UDP:
		return [2]string{"-u", k.Addr.String()}, nil
	case ipvs.FWMark:
		return [2]string{"-f", strconv.FormatUint(uint64(k.Mark), 10)}, nil
	}
	return [2]string{}, fmt.Errorf("unknown IPVS protocol %q", k.Protocol)
}
