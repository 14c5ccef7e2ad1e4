package config

import (
	"github.com/hashicorp/hcl/v2"
)

var healthCheckSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "process"}, {Name: "service"}, {Name: "restart"}, {Name: "stop_keepalived"},
		{Name: "log_file"}, {Name: "script_path"}, {Name: "script"},
		{Name: "interval"}, {Name: "weight"}, {Name: "fall"}, {Name: "rise"}, {Name: "timeout"},
	},
}

func (d *decoder) decodeHealthCheck(blk *hcl.Block) *HealthCheck {
	h := &HealthCheck{Name: blk.Labels[0], DeclRange: blk.DefRange}
	if !reName.MatchString(h.Name) {
		d.errorf(blk.LabelRanges[0].Ptr(), "Invalid health check name", "health_check names must match %s; got %q.", reName, h.Name)
	}
	r := d.reader(blk.Body, healthCheckSchema)
	h.Ranges = r.ranges
	h.Process = r.str("process", "")
	h.Script = r.str("script", "")
	switch {
	case h.Process != "" && h.Script != "":
		r.errorf(r.ranges["script"], "Conflicting health check", "Set either process (a generated check) or script (your own command), not both.")
	case h.Process == "" && h.Script == "":
		r.errorf(blk.DefRange, "Empty health check", "health_check %q needs process = \"NAME\" (count a process, restart it) or script = \"/path/to/check\".", h.Name)
	}
	if h.Process != "" && !reProcess.MatchString(h.Process) {
		r.errorf(r.ranges["process"], "Invalid process name", "process must be a command name of at most 15 characters (what ps -C matches); got %q.", h.Process)
	}
	if h.Script != "" && !validCommand(h.Script) {
		r.errorf(r.ranges["script"], "Invalid script", "script must be an absolute path (no . or .. component) optionally followed by simple arguments (letters, digits and ._+@/=:,-); got %q.", h.Script)
	}
	generated := h.Process != ""
	h.Service = r.str("service", h.Process)
	if r.has("service") && h.Service != "" && !reService.MatchString(h.Service) {
		r.errorf(r.ranges["service"], "Invalid service name", "%q is not a valid service name.", h.Service)
	}
	h.Restart = r.boolean("restart", generated)
	h.StopKeepalived = r.boolean("stop_keepalived", generated)
	h.LogFile = r.str("log_file", "/var/log/clusterctl-check-"+h.Name+".log")
	if !validPath(h.LogFile) {
		r.errorf(r.ranges["log_file"], "Invalid path", "log_file must be an absolute path using letters, digits and ._+@/-, with no . or .. component; got %q.", h.LogFile)
	}
	h.ScriptPath = r.str("script_path", "/usr/local/sbin/clusterctl-check-"+h.Name+".sh")
	if !validPath(h.ScriptPath) {
		r.errorf(r.ranges["script_path"], "Invalid path", "script_path must be an absolute path using letters, digits and ._+@/-, with no . or .. component; got %q.", h.ScriptPath)
	}
	if !generated {
		for _, a := range []string{"service", "restart", "stop_keepalived", "log_file", "script_path"} {
			if r.has(a) {
				r.errorf(r.ranges[a], "Attribute needs process", "%q only applies to a generated check (process = ...), not to a custom script.", a)
			}
		}
	}
	h.Interval = r.integer("interval", 2, 1, 3600)
	h.Weight = r.integer("weight", 0, -253, 253)
	h.Fall = r.integer("fall", 0, 1, 255)
	h.Rise = r.integer("rise", 0, 1, 255)
	h.Timeout = r.integer("timeout", 0, 1, 3600)
	d.done(r)
	return h
}
