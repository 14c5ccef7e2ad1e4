package pipeline

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
)

// PlanOrigin records where plan p was made: lab ("" for none) and, for
// every planned host reached, the endpoint and host key of the run's
// connection to it. It dials nothing: hosts whose facts could not be
// gathered are left out (such a plan is not applyable anyway).
func PlanOrigin(c *Cluster, lab string) *plan.Origin {
	o := &plan.Origin{Lab: lab, Endpoints: []plan.Endpoint{}}
	for _, h := range slices.Sorted(slices.Values(c.Hosts())) {
		e := plan.Endpoint{Host: h, Address: c.configuredEndpoint(h)}
		if c.opts.OpenHost == nil {
			conn, ok := c.pool.Dialled(h)
			if !ok {
				continue
			}
			if id, ok := conn.(remote.Identified); ok {
				e.Address, e.HostKey = id.Endpoint(), id.HostKeyFingerprint()
			}
		}
		o.Endpoints = append(o.Endpoints, e)
	}
	return o
}

// CheckOrigin refuses to apply saved where it was not made: in another
// lab than lab, or without the lab it was made in (checked before
// anything is dialled), or on a host that answers at another endpoint or
// with another host key than when it was made (checked after the SSH
// handshake, before any command runs).
func CheckOrigin(ctx context.Context, c *Cluster, saved *plan.Plan, lab string) error {
	o := saved.Origin
	if err := o.CheckLab(lab); err != nil {
		return err
	}
	for _, h := range c.Hosts() {
		e := o.Endpoint(h)
		if e == nil {
			return o.CheckEndpoint(h, c.configuredEndpoint(h), "")
		}
		if c.opts.OpenHost != nil {
			// Typed fakes: no connection to identify, no host key.
			if err := o.CheckEndpoint(h, c.configuredEndpoint(h), e.HostKey); err != nil {
				return err
			}
			continue
		}
		conn, err := c.pool.Conn(ctx, h)
		if err != nil {
			return fmt.Errorf("%s: %w", h, err)
		}
		addr, key := c.configuredEndpoint(h), ""
		if id, ok := conn.(remote.Identified); ok {
			addr, key = id.Endpoint(), id.HostKeyFingerprint()
		}
		if err := o.CheckEndpoint(h, addr, key); err != nil {
			return err
		}
	}
	return nil
}

// configuredEndpoint is host's "user@address:port" as the configuration
// gives it (before ssh_config), for fakes and messages.
func (c *Cluster) configuredEndpoint(host string) string {
	h := c.Config.Hosts[host]
	if h == nil {
		return ""
	}
	port := h.Connection.Port
	if port == 0 {
		port = 22
	}
	return h.Connection.User + "@" + net.JoinHostPort(h.Connection.Address, strconv.Itoa(port))
}
