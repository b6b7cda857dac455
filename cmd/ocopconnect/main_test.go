package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// These tests run the real binary, as an operator would.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ocopconnect-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ocopconnect")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	// testdb.Main runs the tests, drops the template database and stops the
	// servers started for them (the S3 server of the cluster test).
	testdb.AtExit(func() { os.RemoveAll(dir) })
	testdb.Main(m)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// env is a clean environment: only what the test sets (plus PATH/HOME).
func env(db testdb.DB, extra ...string) []string {
	e := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "OCOP_DATA_DIR=" + db.DataDir}
	if db.DatabaseURL != "" {
		e = append(e, "OCOP_DATABASE_URL="+db.DatabaseURL)
	}
	return append(e, extra...)
}

type proc struct {
	cmd  *exec.Cmd
	addr string
	logs *bytes.Buffer
	done chan error
}

func start(t *testing.T, environ []string, args ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary, append([]string{"serve", "--addr", addr}, args...)...)
	cmd.Env = environ
	p := &proc{cmd: cmd, addr: addr, logs: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("server log:\n%s", p.logs)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get("http://" + addr + "/healthz"); err == nil {
			r.Body.Close()
			return p
		}
		select {
		case err := <-p.done:
			t.Fatalf("server exited: %v\n%s", err, p.logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("server did not start\n%s", p.logs)
	return nil
}

func postJSON(t *testing.T, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestServeZeroConfigAndCLI(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		p := start(t, env(db))
		base := "http://" + p.addr
		if db.DatabaseURL == "" {
			if _, err := os.Stat(filepath.Join(db.DataDir, "ocopconnect.db")); err != nil {
				t.Fatalf("no SQLite database under the data dir: %v", err)
			}
			if _, err := os.Stat(filepath.Join(db.DataDir, "jwt.key")); err != nil {
				t.Fatalf("no generated JWT key: %v", err)
			}
			if !strings.Contains(p.logs.String(), "OCOP_JWT_KEY") {
				t.Fatal("no warning about the generated JWT key")
			}
		}

		// admin create-user works against the same database while the server runs,
		// with the password on standard input.
		admin := exec.Command(binary, "admin", "create-user", "--email", "Root@Example.vn", "--role", "admin")
		admin.Env = env(db)
		admin.Stdin = strings.NewReader("an-admin-password-2025\n")
		out, err := admin.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "created user") {
			t.Fatalf("create-user: %v\n%s", err, out)
		}
		st, tokens := postJSON(t, base+"/api/v1/auth/login", "", `{"email":"root@example.vn","password":"an-admin-password-2025"}`)
		if st != http.StatusOK {
			t.Fatalf("admin login: %d %v", st, tokens)
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tokens["access_token"].(string))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"admin"`) {
			t.Fatalf("/me: %d %s", resp.StatusCode, body)
		}
		if strings.Contains(p.logs.String(), "an-admin-password-2025") {
			t.Fatal("a password reached the log")
		}

		// A weak password is refused with the rule, and the exit status says so.
		weak := exec.Command(binary, "admin", "create-user", "--email", "o@example.vn", "--role", "organiser", "--password", "short")
		weak.Env = env(db)
		out, err = weak.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "at least 10 characters") {
			t.Fatalf("weak password accepted or unexplained: %v %s", err, out)
		}

		status := exec.Command(binary, "migrate", "status")
		status.Env = env(db)
		out, err = status.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "applied") || strings.Contains(string(out), "pending") {
			t.Fatalf("migrate status: %v\n%s", err, out)
		}
	})
}

func TestBadConfigurationStopsStartup(t *testing.T) {
	db := testdb.DatabaseBackends(t)[0].New(t)
	for _, c := range []struct{ env, variable string }{
		{"OCOP_WORKERS=many", "OCOP_WORKERS"},
		{"OCOP_DATABASE_URL=mysql://root@localhost/x", "OCOP_DATABASE_URL"},
		{"OCOP_ENV=production", "OCOP_JWT_KEY"},
	} {
		cmd := exec.Command(binary, "serve")
		cmd.Env = env(db, c.env)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.variable) {
			t.Errorf("%s: err %v, output does not name %s:\n%s", c.env, err, c.variable, out)
		}
	}
}

// TestGracefulShutdown sends SIGTERM while a request is in flight (its body
// is still arriving) and checks the request completes and the process exits 0.
func TestGracefulShutdown(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		p := start(t, env(db, "OCOP_SHUTDOWN_GRACE=20s"))
		conn, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		body := `{"email":"slow@example.vn","password":"patient-request-2025","display_name":"Slow","role":"buyer"}`
		fmt.Fprintf(conn, "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		half := len(body) / 2
		if _, err := conn.Write([]byte(body[:half])); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond) // the server is now reading the body

		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// New connections are refused while the old request drains (polled:
		// on a busy machine the signal takes a moment to be handled).
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			c, err := net.DialTimeout("tcp", p.addr, time.Second)
			if err != nil {
				break
			}
			c.Close()
			if time.Now().After(deadline) {
				t.Fatal("the server still accepts connections 10 s after SIGTERM")
			}
		}
		if _, err := conn.Write([]byte(body[half:])); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("in-flight request was cut off: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("in-flight request: %d", resp.StatusCode)
		}
		select {
		case err := <-p.done:
			p.done <- err // for the cleanup
			if err != nil {
				t.Fatalf("exit: %v\n%s", err, p.logs)
			}
		case <-time.After(25 * time.Second):
			t.Fatal("the server did not exit after draining")
		}
		if !strings.Contains(p.logs.String(), "stopped") {
			t.Fatalf("no orderly stop in the log:\n%s", p.logs)
		}
	})
}
