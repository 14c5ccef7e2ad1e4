package render

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/clusterctl/clusterctl/internal/resource"
)

// Defaults for user-declared files.
const (
	defaultFileMode  = 0o644
	defaultFileOwner = "root"
)

// addUserDeclared adds the packages, services and files the user declared
// on the host itself.
func (b *hostBuilder) addUserDeclared() error {
	b.addPackage(b.host.Packages...)
	for _, s := range b.host.Services {
		b.service(s)
	}
	paths := make([]string, 0, len(b.host.Files))
	for p := range b.host.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		f := b.host.Files[p]
		sf := resource.File{
			Path:      p,
			Content:   []byte(f.Content),
			Mode:      f.Mode,
			Owner:     f.Owner,
			Group:     f.Group,
			Sensitive: f.Sensitive,
			// The whole content derives from a secret: never shown.
			HideContent: f.Sensitive,
		}
		if f.Path != "" && f.Path != p {
			return errFilePathMismatch(p, f.Path)
		}
		if sf.Mode == 0 {
			sf.Mode = defaultFileMode
		}
		if sf.Owner == "" {
			sf.Owner = defaultFileOwner
		}
		if sf.Group == "" {
			sf.Group = sf.Owner
		}
		if err := b.addFile(sf); err != nil {
			return err
		}
	}
	return nil
}

// addServiceReloads makes every user-declared service reload when a managed
// file under /etc/<service>/ changes (nginx and /etc/nginx/...). It runs
// last, when every file is known.
func (b *hostBuilder) addServiceReloads() error {
	for _, name := range b.host.Services {
		s := b.service(name)
		prefix := "/etc/" + name + "/"
		for p := range b.files {
			if strings.HasPrefix(p, prefix) && !slices.Contains(s.ReloadOn, p) && !slices.Contains(s.RestartOn, p) {
				s.ReloadOn = append(s.ReloadOn, p)
			}
		}
	}
	return nil
}

func errFilePathMismatch(key, path string) error {
	return fmt.Errorf("file %q: keyed as %q", path, key)
}
