package facts

import "strings"

// parseOSRelease returns ID and VERSION_ID, unquoted.
func parseOSRelease(b []byte) (id, version string) {
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			id = v
		case "VERSION_ID":
			version = v
		}
	}
	return id, version
}

// parseDpkg reads "NAME\tVERSION\tSTATUS" lines; a package is installed
// when the second status letter is 'i'.
func parseDpkg(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || len(f[2]) < 2 || f[2][1] != 'i' || f[0] == "" {
			continue
		}
		m[f[0]] = f[1]
	}
	return m
}

// parseRPM reads "NAME\tVERSION-RELEASE" lines; "package X is not
// installed" lines have no tab and are skipped.
func parseRPM(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		name, ver, ok := strings.Cut(line, "\t")
		if ok && name != "" && !strings.Contains(name, " ") {
			m[name] = strings.TrimSpace(ver)
		}
	}
	return m
}

// upstreamVersion is the upstream part of a package version: "2.2.7"
// for dpkg's "1:2.2.7-1+b2" or rpm's "2.2.7-3.el9"; "" for "".
func upstreamVersion(v string) string {
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	if i := strings.LastIndex(v, "-"); i > 0 {
		v = v[:i]
	}
	return v
}
