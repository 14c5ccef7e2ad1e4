package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// MaxPlanFileBytes bounds a saved plan file read from disk.
const MaxPlanFileBytes = 64 << 20

// Marshal serialises a plan for `plan -out`. Only the human strings (with
// secrets already masked) and the fingerprints are stored; the typed
// payloads are not, so a saved plan never holds a secret in clear text.
// apply re-renders the configuration and checks it against the digest.
func Marshal(p *Plan) ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Load reads a saved plan, rejecting other formats and versions.
func Load(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPlanFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxPlanFileBytes {
		return nil, fmt.Errorf("plan file larger than %d bytes", MaxPlanFileBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("not a clusterctl plan file: %w", err)
	}
	if p.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("plan file format %d is not supported (want %d)", p.FormatVersion, FormatVersion)
	}
	if p.ConfigDigest == "" {
		return nil, fmt.Errorf("not a clusterctl plan file: no config digest")
	}
	for _, h := range p.Hosts {
		if h.Host == "" || h.Fingerprint == "" {
			return nil, fmt.Errorf("not a clusterctl plan file: host entry without name or fingerprint")
		}
	}
	if p.Origin == nil {
		return nil, fmt.Errorf("the plan file does not record where it was made (saved by an older clusterctl?): run plan -out again")
	}
	return &p, nil
}
