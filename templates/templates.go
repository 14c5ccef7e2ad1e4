// Package templates embeds the text/template files the renderer executes
// (keepalived.conf, health check scripts, sysctl and module drop-ins, the
// boot restore script and its systemd unit). It lives beside the .tmpl files
// because go:embed cannot reach parent directories; the logic that fills the
// templates is in internal/render.
package templates

import "embed"

// FS holds every *.tmpl file of this directory, by base name.
//
//go:embed *.tmpl
var FS embed.FS
