package verify

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// maxBody bounds how much of a response body is read.
const maxBody = 64 << 10

// fetcher sends one HTTP GET for / to addr on a new TCP connection and
// returns the response body.
type fetcher func(ctx context.Context, addr netip.AddrPort) (string, error)

// fetcher returns the fetcher of the run's client.
func (r *runner) fetcher() fetcher {
	if r.opts.Client == ClientLocal {
		return localFetcher(r.opts.RequestTimeout)
	}
	return r.hostFetcher(r.opts.Client)
}

// localFetcher fetches from clusterctl's own process with net/http: no
// proxy, no keep-alive (each request is a new connection, so the
// scheduler sees each), at most timeout per request.
func localFetcher(timeout time.Duration) fetcher {
	client := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return func(ctx context.Context, addr netip.AddrPort) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr.String()+"/", nil)
		if err != nil {
			return "", err
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if err != nil {
			return "", fmt.Errorf("read body: %w", err)
		}
		return string(body), nil
	}
}

// hostFetcher fetches with curl on host, over the session's connection to
// it.
func (r *runner) hostFetcher(host string) fetcher {
	secs := int(math.Ceil(r.opts.RequestTimeout.Seconds()))
	return func(ctx context.Context, addr netip.AddrPort) (string, error) {
		conn, err := r.cl.Conn(ctx, host)
		if err != nil {
			return "", fmt.Errorf("%s: %w", host, err)
		}
		cmd := fmt.Sprintf("curl -s -m %d %s", secs, shell.Quote("http://"+addr.String()+"/"))
		res, err := conn.Run(ctx, remote.Cmd{Command: cmd})
		if err != nil {
			return "", fmt.Errorf("%s: %w", host, err)
		}
		if res.ExitCode != 0 {
			return "", fmt.Errorf("curl on %s: %s", host, curlError(res.ExitCode))
		}
		return string(res.Stdout), nil
	}
}

// curlError explains curl's common exit codes.
func curlError(code int) string {
	switch code {
	case 6:
		return "exit 6: could not resolve host"
	case 7:
		return "exit 7: could not connect"
	case 28:
		return "exit 28: timed out"
	case 52:
		return "exit 52: empty reply"
	case 56:
		return "exit 56: connection reset"
	case 127:
		return "exit 127: curl not found"
	}
	return fmt.Sprintf("exit %d", code)
}

// shortBody is a response body for a detail line: trimmed, at most 40
// characters, quoted.
func shortBody(body string) string {
	body = strings.TrimSpace(body)
	if len(body) > 40 {
		body = body[:40] + "…"
	}
	return fmt.Sprintf("%q", body)
}
