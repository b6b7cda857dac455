package main_test

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// A worker process has no API server, but OCOP_METRICS_ADDR gives it a
// listener for Prometheus: the jobs it handled show up in its /metrics,
// and it stops with the worker on SIGTERM.
func TestWorkerServesMetrics(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		run := func(args ...string) {
			t.Helper()
			if out, code := runBinary(t, env(db), args...); code != 0 {
				t.Fatalf("ocopconnect %s: exit %d\n%s", strings.Join(args, " "), code, out)
			}
		}
		run("migrate", "up")
		addr := freeAddr(t)
		cmd := exec.Command(binary, "worker", "--metrics-addr", addr)
		cmd.Env = env(db)
		logs := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-done
			if t.Failed() {
				t.Logf("worker log:\n%s", logs)
			}
		})
		get := func(path string) (int, string) {
			t.Helper()
			resp, err := http.Get("http://" + addr + path)
			if err != nil {
				return 0, err.Error()
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if st, _ := get("/healthz"); st == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no metrics listener")
			}
			time.Sleep(50 * time.Millisecond)
		}
		run("jobs", "ping", "--count", "3", "--timeout", "20s")
		st, body := get("/metrics")
		if st != http.StatusOK || !strings.Contains(body, `ocop_outbox_batches_total{topic="ops.ping"}`) || !strings.Contains(body, "go_goroutines") {
			t.Fatalf("/metrics %d:\n%s", st, body)
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			done <- err
			if err != nil {
				t.Fatalf("worker exit: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("worker did not stop on SIGTERM")
		}
		if st, _ := get("/metrics"); st != 0 {
			t.Fatalf("metrics still served after exit: %d", st)
		}
	})
}
