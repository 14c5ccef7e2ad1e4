package config

import (
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// TrackProcess is a keepalived vrrp_track_process: the instances that
// track it lose Weight priority (or go to FAULT when Weight is 0) while
// fewer than Quorum processes named Process run.
type TrackProcess struct {
	Name    string
	Process string // command name (/proc/PID/comm)
	Weight  int    // 0 → FAULT while down; keepalived range -254..254
	Quorum  int    // 0 → keepalived's default (1)
	Delay   int    // seconds a loss must last; 0 → not rendered

	DeclRange hcl.Range
	Ranges    Ranges
}

// TrackFile is a keepalived vrrp_track_file: the number in File times
// Weight is added to the priority of the instances that track it (a
// nonzero number with weight 0 means FAULT). InitValue, when set, is
// written into the file when keepalived starts if it does not exist.
type TrackFile struct {
	Name      string
	File      string
	Weight    int
	InitValue *int

	DeclRange hcl.Range
	Ranges    Ranges
}

var trackProcessSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "process", Required: true}, {Name: "weight"}, {Name: "quorum"}, {Name: "delay"}},
}

var trackFileSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "file", Required: true}, {Name: "weight"}, {Name: "init_value"}},
}

func (d *decoder) decodeTrackProcess(blk *hcl.Block) *TrackProcess {
	t := &TrackProcess{Name: blk.Labels[0], DeclRange: blk.DefRange}
	if !reName.MatchString(t.Name) {
		d.errorf(blk.LabelRanges[0].Ptr(), "Invalid track_process name", "track_process names must match %s; got %q.", reName, t.Name)
	}
	r := d.reader(blk.Body, trackProcessSchema)
	t.Ranges = r.ranges
	t.Process = r.str("process", "")
	if t.Process != "" && !reProcess.MatchString(t.Process) {
		r.errorf(r.ranges["process"], "Invalid process name", "process must be a command name of at most 15 characters (as /proc/PID/comm shows it); got %q.", t.Process)
	}
	t.Weight = r.integer("weight", 0, -254, 254)
	t.Quorum = r.integer("quorum", 0, 1, 65535)
	t.Delay = r.integer("delay", 0, 1, 3600)
	d.done(r)
	return t
}

func (d *decoder) decodeTrackFile(blk *hcl.Block) *TrackFile {
	t := &TrackFile{Name: blk.Labels[0], DeclRange: blk.DefRange}
	if !reName.MatchString(t.Name) {
		d.errorf(blk.LabelRanges[0].Ptr(), "Invalid track_file name", "track_file names must match %s; got %q.", reName, t.Name)
	}
	r := d.reader(blk.Body, trackFileSchema)
	t.Ranges = r.ranges
	t.File = r.str("file", "")
	if t.File != "" && !validPath(t.File) {
		r.errorf(r.ranges["file"], "Invalid path", "file must be an absolute path using letters, digits and ._+@/-, with no . or .. component; got %q.", t.File)
	}
	t.Weight = r.integer("weight", 0, -254, 254)
	if r.has("init_value") {
		v := r.integer("init_value", 0, -254, 254)
		t.InitValue = &v
	}
	d.done(r)
	return t
}

// resolveTracks turns an instance's track_process and track_file
// references into names.
func (d *decoder) resolveTracks(cfg *Config) {
	for _, name := range cfg.VRRPInstanceNames() {
		v := cfg.VRRPInstances[name]
		for _, ref := range d.pendingTrackProcess[name] {
			if _, ok := cfg.TrackProcesses[ref.Name]; !ok {
				d.errorf(ref.Range.Ptr(), "Reference to undeclared track_process", "There is no track_process %q.%s", ref.Name, suggest(ref.Name, sortedKeys(cfg.TrackProcesses)))
				continue
			}
			v.TrackProcesses = append(v.TrackProcesses, ref.Name)
		}
		for _, ref := range d.pendingTrackFile[name] {
			if _, ok := cfg.TrackFiles[ref.Name]; !ok {
				d.errorf(ref.Range.Ptr(), "Reference to undeclared track_file", "There is no track_file %q.%s", ref.Name, suggest(ref.Name, sortedKeys(cfg.TrackFiles)))
				continue
			}
			v.TrackFiles = append(v.TrackFiles, ref.Name)
		}
	}
	for _, ref := range d.pendingCheckBFDs {
		if _, ok := cfg.BFDInstances[ref.Name]; !ok {
			d.errorf(ref.Range.Ptr(), "Reference to undeclared bfd_instance", "There is no bfd_instance %q.%s", ref.Name, suggest(ref.Name, sortedKeys(cfg.BFDInstances)))
		}
	}
	for _, ref := range d.pendingCheckFiles {
		if _, ok := cfg.TrackFiles[ref.Name]; !ok {
			d.errorf(ref.Range.Ptr(), "Reference to undeclared track_file", "There is no track_file %q.%s", ref.Name, suggest(ref.Name, sortedKeys(cfg.TrackFiles)))
		}
	}
}

// unusedTracks warns about track_process and track_file blocks no
// instance tracks (they are not rendered).
func (v *validator) unusedTracks() {
	used := map[string]bool{}
	for _, inst := range v.cfg.VRRPInstances {
		for _, t := range inst.TrackProcesses {
			used["p/"+t] = true
		}
		for _, t := range inst.TrackFiles {
			used["f/"+t] = true
		}
	}
	for _, vs := range v.cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			if rs.Check != nil && rs.Check.TrackFile != "" {
				used["f/"+rs.Check.TrackFile] = true
			}
		}
	}
	for _, name := range sortedKeys(v.cfg.TrackProcesses) {
		if !used["p/"+name] {
			v.warnf(v.cfg.TrackProcesses[name].DeclRange, "Unused track_process", "track_process %q is tracked by no vrrp_instance and will not be rendered.", name)
		}
	}
	for _, name := range sortedKeys(v.cfg.TrackFiles) {
		if !used["f/"+name] {
			v.warnf(v.cfg.TrackFiles[name].DeclRange, "Unused track_file", "track_file %q is tracked by no vrrp_instance and read by no file check; it will not be rendered.", name)
		}
	}
}

// KeepalivedName is the vrrp_track_process name rendered for t (prefixed
// as health checks' chk_).
func (t *TrackProcess) KeepalivedName() string { return "tp_" + t.Name }

// KeepalivedName is the vrrp_track_file name rendered for t.
func (t *TrackFile) KeepalivedName() string { return "tf_" + t.Name }

// sortedKeys returns the keys of m sorted.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
