package plan

import "encoding/json"

// MarshalJSON writes a host's plan with "changes": [] rather than null
// when it has none: JSON readers (jq '.hosts[].changes | length') need
// not special-case an empty host.
func (h HostPlan) MarshalJSON() ([]byte, error) {
	type plain HostPlan // without this method
	if h.Changes == nil {
		h.Changes = []Change{}
	}
	return json.Marshal(plain(h))
}
