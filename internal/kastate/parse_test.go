package kastate

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/ipvs"
)

// The testdata/{master,backup,fault}.{json,data} files are the dumps of
// Debian's keepalived 2.2.7 in the namespace lab (examples/lab-19.x/
// ha-nginx): web1 as MASTER, web2 as BACKUP, and web2 with its tracked
// script (weight 0) failing. The password was blanked on the host by the
// same sed expressions the facts script uses. check.data follows the
// format of keepalived 2.2.7's check_data.c (the namespace lab's kernel
// has no IPVS, so its checker cannot run there).

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func view(t *testing.T, name string) View {
	t.Helper()
	j, err := ParseJSON(read(t, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseData(read(t, name+".data"))
	if err != nil {
		t.Fatal(err)
	}
	return Merge(j, d, nil)
}

func TestParseLabDumps(t *testing.T) {
	cases := []struct {
		name                   string
		state                  State
		base, eff, master      int
		scriptGood             bool
		faults                 int
		sent, rcvd, becameMast uint64
		transition             string
	}{
		{name: "master", state: StateMaster, base: 100, eff: 100, scriptGood: true, sent: 127, becameMast: 1, transition: "2026-12-01T08:04:06.966397Z"},
		{name: "backup", state: StateBackup, base: 90, eff: 90, master: 100, scriptGood: true, rcvd: 128, transition: "2026-12-01T08:04:03.466515Z"},
		{name: "fault", state: StateFault, base: 90, eff: 90, master: 100, faults: 1, rcvd: 134, transition: "2026-12-01T08:06:21.376149Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := view(t, tc.name)
			if diff := cmp.Diff([]string{"json", "data"}, v.Sources); diff != "" {
				t.Errorf("sources: %s", diff)
			}
			in := v.Instance("VI_1")
			if in == nil {
				t.Fatalf("no VI_1 in %+v", v)
			}
			want := Instance{
				Name: "VI_1", State: tc.state, WantState: tc.state, VRID: 51, Interface: "ens33",
				BasePriority: tc.base, EffectivePriority: tc.eff, MasterPriority: tc.master,
				VIPs:         []string{"192.168.19.100"},
				TrackScripts: []Tracked{{Name: "chk_nginx", Weight: 0}}, Faults: tc.faults,
			}
			want.LastTransition, _ = time.Parse(time.RFC3339Nano, tc.transition)
			got := *in
			if got.Stats == nil {
				t.Fatal("no stats")
			}
			if got.Stats.AdvertSent != tc.sent || got.Stats.AdvertRcvd != tc.rcvd || got.Stats.BecomeMaster != tc.becameMast {
				t.Errorf("stats = %+v", *got.Stats)
			}
			got.Stats = nil
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("instance (-want +got):\n%s", diff)
			}
			if s := v.Scripts["chk_nginx"]; s.Good != tc.scriptGood || s.Name != "chk_nginx" {
				t.Errorf("script = %+v, want good=%v", s, tc.scriptGood)
			}
			if i := v.Interfaces["ens33"]; !i.Up || !i.Running {
				t.Errorf("ens33 = %+v, want up and running", i)
			}
		})
	}
}

// TestDataAloneGivesState: a keepalived built without JSON still reports
// its state, priorities and tracking through the data dump.
func TestDataAloneGivesState(t *testing.T) {
	d, err := ParseData(read(t, "fault.data"))
	if err != nil {
		t.Fatal(err)
	}
	v := Merge(nil, d, nil)
	in := v.Instance("VI_1")
	if in == nil || in.State != StateFault || in.EffectivePriority != 90 || in.Faults != 1 || in.Stats != nil {
		t.Fatalf("instance = %+v", in)
	}
	if in.LastTransition.IsZero() {
		t.Error("no last transition")
	}
	// The data dump names the master's priority only in BACKUP.
	d, err = ParseData(read(t, "backup.data"))
	if err != nil {
		t.Fatal(err)
	}
	if in := d.Instance("VI_1"); in == nil || in.State != StateBackup || in.MasterPriority != 100 {
		t.Fatalf("backup instance = %+v", in)
	}
}

func TestJSONStates(t *testing.T) {
	for n, want := range map[int]State{0: StateInit, 1: StateBackup, 2: StateMaster, 3: StateFault, 97: StateDeleted, 98: StateStop, 7: StateUnknown} {
		in, err := ParseJSON([]byte(`[{"data":{"iname":"X","state":` + strconv.Itoa(n) + `,"wantstate":2}}]`))
		if err != nil {
			t.Fatal(err)
		}
		if in[0].State != want || in[0].WantState != StateMaster {
			t.Errorf("state %d = %s/%s, want %s", n, in[0].State, in[0].WantState, want)
		}
	}
	// json_version 2 wraps the array.
	in, err := ParseJSON([]byte(`{"version":2,"vrrp":[{"data":{"iname":"Y","state":1}}]}`))
	if err != nil || len(in) != 1 || in[0].Name != "Y" {
		t.Fatalf("v2: %v %+v", err, in)
	}
}

func TestJSONNeverKeepsThePassword(t *testing.T) {
	in, err := ParseJSON([]byte(`[{"data":{"iname":"X","state":2,"auth_type":1,"auth_data":"s3cr3t"}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fmt.Sprintf("%+v", in[0]), "s3cr3t") {
		t.Error("the password was kept")
	}
}

func TestParseErrors(t *testing.T) {
	full := read(t, "master.json")
	for name, in := range map[string]string{
		"cut short":  string(full[:len(full)/2]),
		"no state":   `[{"data":{"iname":"X"}}]`,
		"not json":   "garbage",
		"wrong type": `{"a":1}`,
	} {
		if _, err := ParseJSON([]byte(in)); err == nil {
			t.Errorf("ParseJSON(%s) accepted", name)
		}
	}
	if _, err := ParseData([]byte("just\nnoise\n")); err == nil {
		t.Error("ParseData accepted noise")
	}
	if _, err := ParseCheck([]byte("just\nnoise\n")); err == nil {
		t.Error("ParseCheck accepted noise")
	}
	big := make([]byte, MaxDump+1)
	if _, err := ParseData(big); err == nil {
		t.Error("ParseData accepted an oversized dump")
	}
}

func TestParseCheck(t *testing.T) {
	got, err := ParseCheck(read(t, "check.data"))
	if err != nil {
		t.Fatal(err)
	}
	want := []VirtualServer{
		{
			Key:   ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddrPort("192.168.19.200:80")},
			Alive: true, QuorumUp: true,
			RealServers: []RealServer{
				{Addr: netip.MustParseAddrPort("192.168.19.102:80"), Weight: 1, EffectiveWeight: 1, Alive: true},
				{Addr: netip.MustParseAddrPort("192.168.19.103:80"), Weight: 1, EffectiveWeight: 1, FailedCheckers: 1},
			},
		},
		{Key: ipvs.ServiceKey{Protocol: ipvs.FWMark, Mark: 7}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	v := Merge(nil, nil, got)
	if vs := v.VirtualServer(want[0].Key); vs == nil || len(vs.RealServers) != 2 {
		t.Errorf("VirtualServer lookup: %+v", vs)
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"master.json", "fault.data", "check.data"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseJSON(b)
		_, _ = ParseData(b)
		_, _ = ParseCheck(b)
	})
}
