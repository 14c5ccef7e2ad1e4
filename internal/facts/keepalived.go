package facts

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/kastate"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// keepalivedPolls bounds how long the facts script waits for keepalived
// to write its dumps after the signals: 50 polls of 0.1 s. keepalived
// 2.2.7 in the lab wrote both VRRP dumps within one poll; 5 s leaves room
// for a machine running the whole test suite at once.
const keepalivedPolls = 50

// Keepalived is keepalived's own view of itself on one host, gathered
// when Request.Keepalived is set.
type Keepalived struct {
	// Running is true when the pid file names a live keepalived process;
	// the other fields are zero otherwise.
	Running bool
	PID     int
	// JSON is true when this keepalived build answers --signum=JSON.
	JSON bool
	// View is what the dumps said (kastate.Merge of those that came).
	View kastate.View
	// Problems says, per dump that was expected, why it is missing or
	// could not be read, e.g. "keepalived.json: not written within 5s".
	Problems []string
}

// keepalivedSedJSON blanks the VRRP password in keepalived.json on the
// host, so it never travels; keepalivedSedData does the same for the
// "Password = " lines of the data dumps. Neither holds a single quote.
const (
	keepalivedSedJSON = `s/"auth_data":"([^"\\]|\\.)*"/"auth_data":""/g`
	keepalivedSedData = `s/^([[:space:]]*Password[[:space:]]*[=:]).*/\1 (blank)/`
)

// keepalived: signal the running keepalived to dump its state and read
// the dumps. The pid file must name a process whose comm is keepalived.
// The dumps go to keepalived's temporary directory ($TMPDIR from its
// environment, else /tmp), read through /proc/PID/root so a private /tmp
// (systemd PrivateTmp) or another mount namespace is seen as keepalived
// sees it. The JSON signal's number depends on the build and is asked of
// keepalived (--signum=JSON; an empty answer means no JSON support); the
// data dump's is SIGUSR1 in every version (keepalived(8): "Signals other
// than for STOP, RELOAD, DATA and STATS may change"). Old dumps are
// removed first, so what is read was written after
// the signals; only a regular file owned by root (not a symlink) is read.
func (b *scriptBuilder) keepalived(req Request) {
	kr := req.Keepalived
	if kr == nil {
		return
	}
	pidFiles := kr.PIDFiles
	if len(pidFiles) == 0 {
		pidFiles = []string{"/run/keepalived.pid", "/var/run/keepalived.pid"}
	}
	var want []string
	if kr.VRRP {
		want = append(want, "keepalived.data")
	}
	if kr.Checker {
		want = append(want, "keepalived_check.data")
	}
	b.printf("KW=%s\nKJ=%d\n", shell.Quote(strings.Join(want, " ")), map[bool]int{true: 1}[kr.VRRP])
	b.printf("KP=\nfor _f in %s; do\n", shell.Join(pidFiles...))
	b.printf(`	[ -f "$_f" ] && IFS= read -r KP <"$_f" 2>/dev/null && break
done
case $KP in '' | *[!0-9]*) KP= ;; esac
_c=
[ -n "$KP" ] && [ -r "/proc/$KP/comm" ] && IFS= read -r _c <"/proc/$KP/comm" 2>/dev/null
if [ "$_c" != keepalived ]; then
	h kastate none
else
	KT=$(tr '\000' '\n' <"/proc/$KP/environ" 2>/dev/null | sed -n 's/^TMPDIR=//p')
	case $KT in /*) ;; *) KT=/tmp ;; esac
	case $KT in *[!A-Za-z0-9._/+-]*) KT=/tmp ;; esac
	KD="/proc/$KP/root$KT"
	SJ=$(keepalived --signum=JSON 2>/dev/null </dev/null)
	case $SJ in '' | *[!0-9]*) SJ= ;; esac
	[ -n "$SJ" ] && [ $KJ = 1 ] && KW="keepalived.json $KW"
	for _f in $KW; do rm -f "$KD/$_f"; done
	[ -n "$SJ" ] && [ $KJ = 1 ] && kill -s "$SJ" "$KP" 2>/dev/null
	[ -n "$KW" ] && kill -s USR1 "$KP" 2>/dev/null
	_i=0
	while [ -n "$KW" ] && [ $_i -lt %d ]; do
		_ok=1
		for _f in $KW; do [ -s "$KD/$_f" ] || _ok=0; done
		[ $_ok = 1 ] && break
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -n "$KW" ] && sleep 0.1
	h kastate "pid=$KP" "json=${SJ:+1}" "polls=$_i"
	for _f in $KW; do
		_e='%s'
		case $_f in *.json) _e='%s' ;; esac
		if [ -f "$KD/$_f" ] && [ ! -L "$KD/$_f" ] && [ -O "$KD/$_f" ]; then
			run "ka:$_f" sed -E "$_e" "$KD/$_f"
		else
			h cmd "ka:$_f" rc=1
			printf 'not written\n'
		fi
	done
fi
`, keepalivedPolls, keepalivedSedData, keepalivedSedJSON)
}

// interpretKeepalived reads the kastate header and the dumps into h.
func interpretKeepalived(h *Host, header *section, cmds map[string]*command) error {
	if header == nil {
		return nil
	}
	k := &Keepalived{}
	h.Keepalived = k
	if len(header.args) == 1 && header.args[0] == "none" {
		return nil
	}
	fail := func(format string, a ...any) error {
		return &ParseError{Section: "kastate", Msg: fmt.Sprintf(format, a...)}
	}
	polls := 0
	for _, a := range header.args {
		key, val, _ := strings.Cut(a, "=")
		switch key {
		case "pid":
			n, err := strconv.Atoi(val)
			if err != nil || n <= 0 {
				return fail("invalid pid %q", val)
			}
			k.PID = n
		case "json":
			k.JSON = val == "1"
		case "polls":
			polls, _ = strconv.Atoi(val)
		}
	}
	if k.PID == 0 {
		return fail("no pid")
	}
	k.Running = true
	read := func(name string) ([]byte, bool) {
		c := cmds["ka:"+name]
		switch {
		case c == nil:
			return nil, false
		case c.missing:
			k.Problems = append(k.Problems, name+": sed not found on the host, the dump cannot be read safely")
		case c.rc != 0 || len(c.stdout) == 0:
			k.Problems = append(k.Problems, fmt.Sprintf("%s: not written within %.1fs of the signal", name, float64(polls)/10))
		default:
			return c.stdout, true
		}
		return nil, false
	}
	var (
		jsonInst []kastate.Instance
		data     *kastate.View
		check    []kastate.VirtualServer
	)
	if b, ok := read("keepalived.json"); ok {
		var err error
		if jsonInst, err = kastate.ParseJSON(b); err != nil {
			k.Problems = append(k.Problems, err.Error())
		}
	}
	if b, ok := read("keepalived.data"); ok {
		var err error
		if data, err = kastate.ParseData(b); err != nil {
			k.Problems = append(k.Problems, err.Error())
		}
	}
	if b, ok := read("keepalived_check.data"); ok {
		var err error
		if check, err = kastate.ParseCheck(b); err != nil {
			k.Problems = append(k.Problems, err.Error())
		}
		if check == nil && err == nil {
			check = []kastate.VirtualServer{}
		}
	}
	k.View = kastate.Merge(jsonInst, data, check)
	return nil
}
