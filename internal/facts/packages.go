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

// parseRPM reads the lines of rpm -q --whatprovides with rpmQueryFormat:
// "NAME\tEVR\tPROVIDES". Each installed package is recorded under its
// name and under every plain name it provides (iptables for EL9's
// iptables-nft), its own name taking precedence; "no package provides X"
// lines have no tab and are skipped. Lines of the older two-field form
// ("NAME\tVERSION-RELEASE") are read too.
func parseRPM(b []byte) map[string]string {
	m := map[string]string{}
	provided := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 2 || f[0] == "" || strings.Contains(f[0], " ") {
			continue
		}
		evr := strings.TrimSpace(f[1])
		m[f[0]] = evr
		if len(f) > 2 {
			for _, p := range strings.Fields(f[2]) {
				if plainPackageName(p) {
					if _, ok := provided[p]; !ok {
						provided[p] = evr
					}
				}
			}
		}
	}
	for p, evr := range provided {
		if _, ok := m[p]; !ok {
			m[p] = evr
		}
	}
	return m
}

// plainPackageName reports whether a provide is a plain name that could be
// asked for as a package (not a file, a soname or a "config(x)" capability).
func plainPackageName(p string) bool {
	if p == "" || strings.ContainsAny(p, "/()") {
		return false
	}
	return !strings.Contains(p, ".so")
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
