package render

import (
	"fmt"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// checkScriptView is what check.sh.tmpl renders. The *Q fields are already
// quoted for the shell.
type checkScriptView struct {
	Name, VRRPName   string
	Process, Service string // for the comment only
	ProcessQ         string
	ServiceQ         string
	Restart          bool
	StopKeepalived   bool
	LogFileQ         string // "" → no log line
	MessageQ         string
}

// addCheckScript writes the generated script of a process health check,
// the lab's check_ng.sh: count the processes, start the service when there
// are none, and when that fails log it and stop keepalived. The script
// exits 1 while the process is missing, so a vrrp_script weight applies.
func (b *hostBuilder) addCheckScript(hc *config.HealthCheck) error {
	service := hc.Service
	if service == "" {
		service = hc.Process
	}
	if strings.ContainsAny(hc.Name+hc.Process+service, "\n\r") {
		return fmt.Errorf("health_check %s: name, process or service contains a line break", hc.Name)
	}
	view := checkScriptView{
		Name:           hc.Name,
		VRRPName:       hc.VRRPScriptName(),
		Process:        hc.Process,
		Service:        service,
		ProcessQ:       shell.Quote(hc.Process),
		ServiceQ:       shell.Quote(service),
		Restart:        hc.Restart,
		StopKeepalived: hc.StopKeepalived,
		MessageQ:       shell.Quote(hc.Process + " down,keepalived will stop"),
	}
	if !hc.StopKeepalived {
		view.MessageQ = shell.Quote(hc.Process + " down")
	}
	if hc.LogFile != "" {
		view.LogFileQ = shell.Quote(hc.LogFile)
	}
	content, err := b.execute("check.sh.tmpl", view)
	if err != nil {
		return err
	}
	return b.addFile(rootFile(hc.ScriptPath, 0o755, content))
}
