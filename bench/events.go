package main

import (
	"bytes"
	"encoding/json"
	"time"
)

// rollout is what the bench reads from `clusterctl apply --json`: the
// rollout's waves and the time spent in gates.
type rollout struct {
	// Waves is how many director waves the apply ran.
	Waves int
	// Gate is the rollout's wall time spent gating: per wave, its
	// longest gate (the steps of a wave gate at the same time), summed.
	Gate time.Duration
	// OK is the result line's "ok".
	OK bool
}

// parseRollout reads apply's JSON lines: {"type":"progress","step":
// "wave"|"gate",...,"elapsed_ns":...} and {"type":"result","ok":...}.
// Gates outside a wave (there are none today) count as a wave of their
// own. Lines it does not understand are skipped.
func parseRollout(out []byte) rollout {
	var r rollout
	var longest time.Duration
	inWave := false
	for line := range bytes.Lines(out) {
		var e struct {
			Type    string        `json:"type"`
			Step    string        `json:"step"`
			Status  string        `json:"status"`
			Elapsed time.Duration `json:"elapsed_ns"`
			OK      bool          `json:"ok"`
		}
		if json.Unmarshal(line, &e) != nil {
			continue
		}
		switch {
		case e.Type == "result":
			r.OK = e.OK
		case e.Type != "progress":
		case e.Step == "wave" && e.Status == "start":
			inWave, longest = true, 0
			r.Waves++
		case e.Step == "wave":
			r.Gate += longest
			inWave, longest = false, 0
		case e.Step == "gate" && e.Status != "start":
			if inWave {
				longest = max(longest, e.Elapsed)
			} else {
				r.Gate += e.Elapsed
			}
		}
	}
	return r
}
