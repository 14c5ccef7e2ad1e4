package facts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/kastate"
)

func TestKeepalivedScriptGolden(t *testing.T) {
	got, err := Script(Request{Keepalived: &KeepalivedRequest{VRRP: true, Checker: true}}, testToken)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(got, "KW=")
	if i < 0 {
		t.Fatal("no keepalived part")
	}
	golden.Check(t, "script_keepalived.golden", got[i:])
	for _, sh := range shells(t) {
		argv := append(strings.Fields(sh), "-n")
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin = strings.NewReader(got)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", sh, err, out)
		}
	}
	// Plan never asks: its script signals nothing.
	plain, err := Script(sampleRequest(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, "kill") || strings.Contains(plain, "signum") {
		t.Error("the plan's facts script signals keepalived")
	}
}

// TestKeepalivedSedBlanksPassword runs the two sed expressions the
// script uses on a dump holding a password with quotes and backslashes.
func TestKeepalivedSedBlanksPassword(t *testing.T) {
	if _, err := exec.LookPath("sed"); err != nil {
		t.Skip("no sed")
	}
	const pw = `p"a\ss]w`
	run := func(expr, in string) string {
		cmd := exec.Command("sed", "-E", expr)
		cmd.Stdin = strings.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	j := run(keepalivedSedJSON, `[{"data":{"iname":"VI_1","state":2,"auth_type":1,"auth_data":"p\"a\\ss]w"},"stats":{}}]`)
	if strings.Contains(j, "ss]w") || !strings.Contains(j, `"auth_data":""`) {
		t.Errorf("JSON not blanked: %s", j)
	}
	if in, err := kastate.ParseJSON([]byte(j)); err != nil || in[0].State != kastate.StateMaster {
		t.Errorf("blanked JSON does not parse: %v", err)
	}
	d := run(keepalivedSedData, " VRRP Instance = VI_1\n   Authentication type = SIMPLE_PASSWORD\n   Password = "+pw+"\n")
	if strings.Contains(d, "ss]w") || !strings.Contains(d, "Password = (blank)") {
		t.Errorf("data not blanked: %s", d)
	}
}

func TestParseKeepalived(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "kastate", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Run("answered", func(t *testing.T) {
		h, err := Parse(doc(
			"kastate pid=110 json=1 polls=1",
			"out ka:keepalived.json", "="+read("fault.json"), "cmd ka:keepalived.json rc=0",
			"out ka:keepalived.data", "="+read("fault.data"), "cmd ka:keepalived.data rc=0",
			"out ka:keepalived_check.data", "="+read("check.data"), "cmd ka:keepalived_check.data rc=0",
		), testToken)
		if err != nil {
			t.Fatal(err)
		}
		k := h.Keepalived
		if k == nil || !k.Running || k.PID != 110 || !k.JSON || len(k.Problems) != 0 {
			t.Fatalf("keepalived = %+v", k)
		}
		in := k.View.Instance("VI_1")
		if in == nil || in.State != kastate.StateFault || in.Faults != 1 || k.View.Scripts["chk_nginx"].Good {
			t.Errorf("instance = %+v, scripts %+v", in, k.View.Scripts)
		}
		if len(k.View.VirtualServers) != 2 || strings.Join(k.View.Sources, ",") != "json,data,check" {
			t.Errorf("view = %+v", k.View)
		}
	})
	t.Run("not running", func(t *testing.T) {
		h, err := Parse(doc("kastate none"), testToken)
		if err != nil {
			t.Fatal(err)
		}
		if h.Keepalived == nil || h.Keepalived.Running {
			t.Errorf("keepalived = %+v", h.Keepalived)
		}
	})
	t.Run("not asked", func(t *testing.T) {
		h, err := Parse(doc(), testToken)
		if err != nil || h.Keepalived != nil {
			t.Errorf("keepalived = %+v, %v", h.Keepalived, err)
		}
	})
	t.Run("silent, cut short and without sed", func(t *testing.T) {
		full := read("master.json")
		h, err := Parse(doc(
			"kastate pid=7 json=1 polls=30",
			"out ka:keepalived.json", "="+full[:len(full)/2], "cmd ka:keepalived.json rc=0",
			"cmd ka:keepalived.data rc=1", "=not written\n",
			"cmd ka:keepalived_check.data missing",
		), testToken)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(h.Keepalived.Problems, "\n")
		for _, want := range []string{"keepalived.json: ", "keepalived.data: not written within 3.0s of the signal", "keepalived_check.data: sed not found"} {
			if !strings.Contains(got, want) {
				t.Errorf("problems lack %q:\n%s", want, got)
			}
		}
		if len(h.Keepalived.View.Sources) != 0 {
			t.Errorf("sources = %v", h.Keepalived.View.Sources)
		}
	})
	t.Run("hostile header", func(t *testing.T) {
		for _, hdr := range []string{"kastate pid=x", "kastate json=1", "kastate pid=-3"} {
			if _, err := Parse(doc(hdr), testToken); err == nil {
				t.Errorf("%q accepted", hdr)
			}
		}
	})
}
