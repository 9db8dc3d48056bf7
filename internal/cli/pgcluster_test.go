package cli

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// pgCluster is a private PostgreSQL cluster a test controls: its own data
// directory in a temporary directory and a free port, so the test may
// stop and start it (the shared server on 5432 is never touched).
type pgCluster struct {
	bin, dir, data string
	port           int
	// asUser runs the server binaries as this user (PostgreSQL refuses to
	// run as root); empty: as the test's own user.
	asUser string
}

// URL is the cluster's postgres database.
func (c *pgCluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// pgBinDir finds initdb and pg_ctl: OPSGRAPH_PG_BIN, else the newest
// /usr/lib/postgresql/<version>/bin, else PATH.
func pgBinDir() (string, error) {
	if d := os.Getenv("OPSGRAPH_PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	p, err := exec.LookPath("pg_ctl")
	if err != nil {
		return "", fmt.Errorf("no PostgreSQL server binaries (initdb, pg_ctl): set OPSGRAPH_PG_BIN")
	}
	return filepath.Dir(p), nil
}

// startPGCluster initdb's a cluster in a temporary directory and starts it
// on a free port; it is stopped and removed when the test ends. Without
// the binaries the test is skipped, or fails under CI=true.
func startPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bin, err := pgBinDir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "opsgraph-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &pgCluster{bin: bin, dir: dir, data: filepath.Join(dir, "data")}
	t.Cleanup(func() {
		_ = c.ctl("stop", "-m", "immediate")
		_ = os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, and PostgreSQL refuses to: no postgres user to run it as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = "postgres"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start(t)
	return c
}

func (c *pgCluster) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

func (c *pgCluster) ctl(args ...string) error {
	out, err := c.run("pg_ctl", append([]string{"-D", c.data, "-w", "-t", "60"}, args...)...)
	if err != nil {
		return fmt.Errorf("pg_ctl %v: %v\n%s", args, err, out)
	}
	return nil
}

// start starts the server and waits until it accepts connections.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60", c.port, c.dir)
	if err := c.ctl("start", "-l", filepath.Join(c.dir, "log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		t.Fatalf("%v\n%s", err, log)
	}
}

// stop stops the server with pg_ctl stop -m fast: sessions are terminated
// (in-flight transactions roll back), no new connection is accepted.
func (c *pgCluster) stop(t *testing.T) {
	t.Helper()
	if err := c.ctl("stop", "-m", "fast"); err != nil {
		t.Fatal(err)
	}
}
