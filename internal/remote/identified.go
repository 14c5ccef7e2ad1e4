package remote

// Identified is a connection that can say where it arrived: saved plans
// record it, and apply of a saved plan refuses hosts that answer
// elsewhere or with another key (see pipeline.CheckOrigin). Dial's
// connections implement it; fakes need not.
type Identified interface {
	// Endpoint is "user@host:port" of the host as dialled (after
	// ssh_config; the last hop when there are jump hosts).
	Endpoint() string
	// HostKeyFingerprint is the SHA256 fingerprint ("SHA256:...") of the
	// host key the host presented and known_hosts accepted.
	HostKeyFingerprint() string
}
