package engine

import (
	"fmt"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Observed converts a host's facts into what the planner compares.
func Observed(f *facts.Host) *plan.Observed {
	o := &plan.Observed{
		Packages:  map[string]bool{},
		Modules:   f.Modules,
		Sysctls:   f.Sysctls,
		Addresses: f.Addresses,
		Routes:    f.Routes,
		Files:     map[string]plan.ObservedFile{},
		Services:  map[string]plan.ServiceState{},
		IPVS:      f.IPVS,
	}
	for p := range f.Packages {
		o.Packages[p] = true
	}
	for path, ff := range f.Files {
		of := plan.ObservedFile{Exists: ff.Exists && !ff.Other, NotRegular: ff.Other, Content: ff.Content, Mode: ff.Mode & 0o7777, Owner: ff.Owner, Group: ff.Group, Size: ff.Size}
		switch {
		case ff.TooLarge:
			of.Unread = fmt.Sprintf("larger than %d bytes", facts.MaxFileSize)
		case ff.Error:
			of.Unread, of.NoMetadata = "could not be read", true
		}
		o.Files[path] = of
	}
	for name, s := range f.Services {
		o.Services[name] = plan.ServiceState{Active: s.Active, Enabled: s.Enabled}
	}
	switch f.IPVSStatus.State {
	case facts.StatusOK, facts.StatusNotLoaded:
	default:
		o.IPVSError = string(f.IPVSStatus.State)
		if f.IPVSStatus.Message != "" {
			o.IPVSError += ": " + f.IPVSStatus.Message
		}
	}
	if f.NATStatus.State == facts.StatusOK {
		nat := &f.NAT
		o.NATChainExists = nat.Exists(resource.NATChain)
		o.NATRules = nat.Chain(resource.NATChain)
		o.NATJump = nat.Jumps("POSTROUTING", resource.NATChain)
	}
	for _, e := range f.Manifest {
		o.Manifest = append(o.Manifest, resource.ManifestEntry{Kind: e.Kind, Key: e.Key})
	}
	return o
}

// Request says which facts to gather for a host's desired state.
func Request(h *resource.Host) facts.Request {
	req := facts.Request{Processes: []string{"keepalived", "nginx"}}
	for _, f := range h.Files {
		req.Files = append(req.Files, f.Path)
	}
	for _, s := range h.Sysctls {
		req.Sysctls = append(req.Sysctls, s.Key)
	}
	req.Services = []string{"keepalived"}
	for _, s := range h.Services {
		if s.Name != "keepalived" {
			req.Services = append(req.Services, s.Name)
		}
	}
	req.Packages = append(req.Packages, h.Packages...)
	return req
}
