package hostops

import (
	"bytes"
	"context"

	"github.com/clusterctl/clusterctl/internal/ipvs"
)

// IPVSBatchThreshold is the number of edits above which ApplyIPVS sends
// them as one `ipvsadm -R` stream instead of one command each (measured
// in the VM lane: one session per rule is two orders of magnitude slower
// than a batch; see docs/benchmarks.md).
const IPVSBatchThreshold = 8

// ApplyIPVS implements Host. ipvsadm-restore accepts -E, -e, -D and -d
// lines as well as -A and -a, so a batch can carry any edit.
func (s *Shell) ApplyIPVS(ctx context.Context, edits []ipvs.Edit) error {
	if len(edits) > IPVSBatchThreshold {
		var b bytes.Buffer
		for _, e := range edits {
			b.WriteString(e.String())
			b.WriteByte('\n')
		}
		_, err := s.sh(ctx, b.Bytes(), "ipvsadm -R")
		return err
	}
	for _, e := range edits {
		if _, err := s.run(ctx, append([]string{"ipvsadm"}, e.Args()...)...); err != nil {
			return err
		}
	}
	return nil
}
