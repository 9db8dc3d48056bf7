package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Server is an opsgraph serve process the harness started (or, with only
// URLs given, one it did not: then Pid is 0 and no CPU or RSS is read).
// The PostGraphile process of the comparison is one too, without an admin
// listener.
type Server struct {
	Bin      string
	URL      string // GraphQL endpoint
	AdminURL string // admin listener base (metrics, pprof); "" when unknown
	Pid      int
	Secret   string

	cmd  *exec.Cmd
	done chan struct{}
}

var (
	listenRe = regexp.MustCompile(`msg=listening addr=(\S+)`)
	adminRe  = regexp.MustCompile(`msg="admin listening" addr=(\S+)`)
)

// StartServer runs `bin serve` on loopback with free ports and waits until
// both listeners are up, with at most pool PostgreSQL connections. Its log
// goes to logw.
func StartServer(ctx context.Context, bin, dbURL, secret string, pool int, extra []string, logw io.Writer) (*Server, error) {
	args := append([]string{"serve", "--database-url", dbURL, "--jwt-secret", secret,
		"--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--rate-limits", "off", "--db-max-conns", strconv.Itoa(pool)}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logw
	// An OS pipe the server writes into itself (an io.Writer would put a
	// copying goroutine of os/exec between the two).
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = pw
	err = cmd.Start()
	pw.Close() // the server holds its own copy; EOF when it exits
	if err != nil {
		pr.Close()
		return nil, err
	}
	s := &Server{Bin: bin, Pid: cmd.Process.Pid, Secret: secret, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	found := make(chan struct{})
	go func() {
		defer pr.Close()
		br := bufio.NewReaderSize(pr, 64<<10)
		for s.URL == "" || s.AdminURL == "" {
			line, err := br.ReadString('\n')
			_, _ = io.WriteString(logw, line)
			if m := listenRe.FindStringSubmatch(line); m != nil {
				s.URL = "http://" + m[1] + "/graphql"
			}
			if m := adminRe.FindStringSubmatch(line); m != nil {
				s.AdminURL = "http://" + m[1]
			}
			if err != nil {
				return // the server exited: s.done says so
			}
		}
		close(found)
		// Listening: the rest of the log is copied as it comes, not scanned
		// line by line (this process is the load generator; its CPU counts).
		_, _ = br.WriteTo(logw)
	}()
	select {
	case <-found:
	case <-s.done:
		return nil, errors.New("opsgraph serve exited before listening; see its log")
	case <-time.After(2 * time.Minute):
		s.Stop()
		return nil, errors.New("opsgraph serve did not listen within 2 minutes")
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
	return s, nil
}

// Stop sends SIGTERM and waits for the server to exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// RandomSecret is a fresh 32-byte HS256 secret, hex encoded.
func RandomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Token mints a token for v with `opsgraph token`, so the server's own
// signing rules (issuer, audience) apply.
func Token(ctx context.Context, bin, secret string, v Viewer) (string, error) {
	args := []string{"token", "--jwt-secret", secret, "--subject", v.Subject, "--ttl", "24h"}
	for _, r := range v.Roles {
		args = append(args, "--role", r)
	}
	for _, sc := range v.Scopes {
		args = append(args, "--scope", sc)
	}
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("opsgraph token: %v: %s", err, ee.Stderr)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Counters are the server-side figures read before and after a run.
type Counters struct {
	SQLSum, SQLCount float64 // opsgraph_sql_statements_per_request
	CPUSeconds       float64 // utime + stime of the server process
	At               time.Time
}

// ReadCounters scrapes the metrics and /proc of s.
func (s *Server) ReadCounters(ctx context.Context, client *http.Client) (Counters, error) {
	c := Counters{At: time.Now()}
	if s.AdminURL != "" {
		sum, count, err := scrapeStatements(ctx, client, s.AdminURL+"/metrics")
		if err != nil {
			return c, err
		}
		c.SQLSum, c.SQLCount = sum, count
	}
	if s.Pid != 0 {
		cpu, err := procCPU(s.Pid)
		if err != nil {
			return c, err
		}
		c.CPUSeconds = cpu
	}
	return c, nil
}

func scrapeStatements(ctx context.Context, client *http.Client, url string) (sum, count float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, err
	}
	return ParseStatementMetrics(string(body))
}

// ParseStatementMetrics reads opsgraph_sql_statements_per_request's sum
// and count from a Prometheus text exposition.
func ParseStatementMetrics(text string) (sum, count float64, err error) {
	var haveSum, haveCount bool
	for _, line := range strings.Split(text, "\n") {
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		switch name {
		case "opsgraph_sql_statements_per_request_sum":
			sum, err = strconv.ParseFloat(strings.TrimSpace(val), 64)
			haveSum = err == nil
		case "opsgraph_sql_statements_per_request_count":
			count, err = strconv.ParseFloat(strings.TrimSpace(val), 64)
			haveCount = err == nil
		}
		if err != nil {
			return 0, 0, err
		}
	}
	if !haveSum || !haveCount {
		return 0, 0, errors.New("no opsgraph_sql_statements_per_request in the metrics")
	}
	return sum, count, nil
}

// MachineCPU is CPU seconds (user + system) of the load generator itself
// and of PostgreSQL (the sum over every process named postgres: the
// backends serving the server's pool and pgbench, and the postmaster's
// helpers).
type MachineCPU struct {
	LoadGen, Postgres float64
}

// ReadMachineCPU reads the load generator's and PostgreSQL's CPU seconds
// so far; a figure it cannot read is 0. PostgreSQL's are every postgres
// process's own and those of its reaped children: a backend that exits
// (pgbench's, at the end of its run) hands its time to the postmaster.
func ReadMachineCPU() MachineCPU {
	var m MachineCPU
	m.LoadGen, _ = procCPU(os.Getpid())
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		if d.Name()[0] < '0' || d.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		stat := string(b)
		if o, c := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')'); o < 0 || c < o || stat[o+1:c] != "postgres" {
			continue
		}
		own, err1 := ParseProcStat(stat)
		reaped, err2 := ParseProcStatReaped(stat)
		if err1 == nil && err2 == nil {
			m.Postgres += own + reaped
		}
	}
	return m
}

// Sub is m minus an earlier reading.
func (m MachineCPU) Sub(before MachineCPU) MachineCPU {
	return MachineCPU{LoadGen: m.LoadGen - before.LoadGen, Postgres: m.Postgres - before.Postgres}
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// procCPU is the user + system CPU seconds of pid from /proc/<pid>/stat.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return ParseProcStat(string(b))
}

// ParseProcStat reads utime + stime (fields 14 and 15) from a
// /proc/<pid>/stat line, in seconds.
func ParseProcStat(stat string) (float64, error) { return procStatPair(stat, 14) }

// ParseProcStatReaped reads cutime + cstime (fields 16 and 17), the CPU
// seconds of the process's children it has waited for.
func ParseProcStatReaped(stat string) (float64, error) { return procStatPair(stat, 16) }

// procStatPair is the sum of fields n and n+1 of a /proc/<pid>/stat line
// (numbered from 1, as proc(5) does), in seconds.
func procStatPair(stat string, n int) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state).
	at := n - 3
	if len(f) < at+2 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseFloat(f[at], 64)
	st, err2 := strconv.ParseFloat(f[at+1], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (ut + st) / clockTicks, nil
}

// PeakRSS is VmHWM of pid in bytes (0 when unknown).
func PeakRSS(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// ResetPeakRSS clears pid's VmHWM (writing 5 to clear_refs), so the next
// PeakRSS is the peak of one run; false when the kernel refused.
func ResetPeakRSS(pid int) bool {
	if pid == 0 {
		return false
	}
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// Profile fetches a CPU profile of seconds from the admin listener into path.
func (s *Server) Profile(ctx context.Context, seconds int, path string) error {
	if s.AdminURL == "" {
		return errors.New("no admin listener")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.AdminURL, seconds), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("pprof: HTTP %d: %s", resp.StatusCode, shorten(string(b), 200))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
