package adopt

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// What a directory copy of a host may hold besides its files, at the
// top of the host's directory: the output of the commands import runs
// on a live host.
const (
	DirAddrs    = "ip-addr.txt"      // ip -o addr show
	DirIPVS     = "ipvsadm-save.txt" // ipvsadm-save -n
	DirServices = "services.txt"     // lines "NAME active|inactive enabled|disabled"
)

// maxDirFile bounds the files read from a directory copy.
const maxDirFile = 1 << 20

// FromDir reads hosts from dir: one subdirectory per host, named as the
// host is to be called, holding a copy of the host's files at their
// paths (HOST/etc/keepalived/keepalived.conf, the scripts it runs, its
// includes) and optionally DirAddrs, DirIPVS and DirServices.
func FromDir(dir string) ([]*Host, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var hosts []*Host
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		h, err := hostFromDir(filepath.Join(dir, e.Name()), e.Name())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("%s has no host directories (one per host, holding a copy of its /etc/keepalived)", dir)
	}
	return hosts, nil
}

var reHostName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

func hostFromDir(root, name string) (*Host, error) {
	if !reHostName.MatchString(name) {
		return nil, fmt.Errorf("the directory name is the host's name in the configuration: lower-case letters, digits, '-' and '_', starting with a letter")
	}
	h := &Host{Name: name, Files: keepalived.MapFS{}, Meta: map[string]FileMeta{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if slices.Contains([]string{DirAddrs, DirIPVS, DirServices}, rel) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > maxDirFile {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		abs := "/" + filepath.ToSlash(rel)
		h.Files[abs] = b
		h.Meta[abs] = FileMeta{Mode: uint32(info.Mode().Perm()), Owner: "root", Group: "root"}
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.ConfPath = confPath(h.Files)
	if b, err := os.ReadFile(filepath.Join(root, DirAddrs)); err == nil {
		addrs, err := facts.ParseAddrs(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", DirAddrs, err)
		}
		h.Addrs, h.AddrsKnown = addrs, true
	}
	if b, err := os.ReadFile(filepath.Join(root, DirIPVS)); err == nil {
		t, err := ipvs.ParseSave(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", DirIPVS, err)
		}
		h.IPVS = &t
	}
	if b, err := os.ReadFile(filepath.Join(root, DirServices)); err == nil {
		h.Services = parseServices(b)
	}
	if !h.AddrsKnown {
		h.Address = name
	}
	return h, nil
}

// parseServices reads "NAME ACTIVE ENABLED" lines as systemctl prints
// them (is-active, is-enabled).
func parseServices(b []byte) map[string]Service {
	out := map[string]Service{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		out[f[0]] = Service{Active: f[1] == "active", Enabled: f[2] == "enabled"}
	}
	return out
}

// DefaultConfPath is where keepalived reads its configuration unless
// told otherwise.
const DefaultConfPath = "/etc/keepalived/keepalived.conf"

// OptionFiles are where distributions keep keepalived's command line
// options (Debian, RHEL).
var OptionFiles = []string{"/etc/default/keepalived", "/etc/sysconfig/keepalived"}

var reUseFile = regexp.MustCompile(`(?:^|\s)(?:-f|--use-file)(?:\s+|=)"?([^\s"]+)`)

// confPath returns the configuration keepalived uses on a host whose
// files are files: -f/--use-file in its options file, else the default;
// "" when that file is not there.
func confPath(files keepalived.MapFS) string {
	p := DefaultConfPath
	for _, of := range OptionFiles {
		if m := reUseFile.FindSubmatch(files[of]); m != nil {
			p = path.Clean(string(m[1]))
		}
	}
	if _, ok := files[p]; !ok {
		return ""
	}
	return p
}
