package plan

import (
	"errors"
	"fmt"
	"strings"
)

// ErrElsewhere is a saved plan applied somewhere other than where it was
// made: another lab, no lab, or hosts that answer at another endpoint or
// with another host key.
var ErrElsewhere = errors.New("the saved plan was made elsewhere")

// Origin records where a plan was made, so that apply of a saved plan
// refuses to run anywhere else. A plan made in a local lab (--lab NAME)
// reached the lab's machines from the lab's operator namespace; the same
// addresses from anywhere else may be real machines on a real network.
type Origin struct {
	// Lab is the local lab the plan was made in (--lab NAME); "" for
	// hosts reached from this machine's own network.
	Lab string `json:"lab,omitempty"`
	// Endpoints are the planned hosts as they were reached, sorted by host.
	Endpoints []Endpoint `json:"endpoints"`
}

// Endpoint is one host as the plan reached it.
type Endpoint struct {
	Host string `json:"host"`
	// Address is "user@host:port" as dialled (after ssh_config).
	Address string `json:"address"`
	// HostKey is the SHA256 fingerprint of the host key the host presented
	// ("" when the connection could not say: in-process test fakes).
	HostKey string `json:"host_key,omitempty"`
}

// Endpoint returns host's endpoint, or nil.
func (o *Origin) Endpoint(host string) *Endpoint {
	for i := range o.Endpoints {
		if o.Endpoints[i].Host == host {
			return &o.Endpoints[i]
		}
	}
	return nil
}

// CheckLab refuses a saved plan made in another lab than lab ("" for no
// lab). It needs no network and runs before anything is dialled.
func (o *Origin) CheckLab(lab string) error {
	switch {
	case o.Lab == lab:
		return nil
	case o.Lab != "" && lab == "":
		return fmt.Errorf("%w: in the local lab %q, and this apply is not in it: its hosts' addresses, reached from here, may be real machines; run: clusterctl apply --lab %s PLANFILE", ErrElsewhere, o.Lab, o.Lab)
	case o.Lab == "":
		return fmt.Errorf("%w: against hosts reached from this machine's network, not in the local lab %q; plan again with --lab %s", ErrElsewhere, lab, lab)
	}
	return fmt.Errorf("%w: in the local lab %q, not in %q; run: clusterctl apply --lab %s PLANFILE, or plan again with --lab %s", ErrElsewhere, o.Lab, lab, o.Lab, lab)
}

// CheckEndpoint refuses a host that now answers at another address or
// with another host key than when the plan was made. A host the plan did
// not reach, or reached without a key, is checked on what is known.
func (o *Origin) CheckEndpoint(host, address, hostKey string) error {
	e := o.Endpoint(host)
	if e == nil {
		return fmt.Errorf("%w: %s is not among the hosts it reached (%s)", ErrElsewhere, host, o.hosts())
	}
	if e.Address != address {
		return fmt.Errorf("%w: %s was reached at %s, now at %s", ErrElsewhere, host, e.Address, address)
	}
	if e.HostKey != "" && e.HostKey != hostKey {
		return fmt.Errorf("%w: %s (%s) presented host key %s when the plan was made, now %s: another machine answers at that address", ErrElsewhere, host, address, e.HostKey, dashIfEmpty(hostKey))
	}
	return nil
}

func (o *Origin) hosts() string {
	var names []string
	for _, e := range o.Endpoints {
		names = append(names, e.Host)
	}
	return strings.Join(names, ", ")
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
