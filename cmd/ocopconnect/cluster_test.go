package main_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/store"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/s3test"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// TestClusterActsAsOne runs what deploy/compose.yaml and deploy/k8s run: a
// migration step, three API processes (serve --workers=0) and two worker
// processes of the real binary against one PostgreSQL database, and checks
// that everything that must hold across processes does:
//   - a token signed by one API is accepted by the others (configured key);
//   - the login throttle (N failures per window) holds across the three APIs
//     together, not N per process;
//   - outbox messages are each handled exactly once by the two workers;
//   - SIGKILL of a worker mid-batch loses nothing (its lease runs out and the
//     other worker takes the batch over);
//   - an Idempotency-Key sent to one API replays on another (one inquiry);
//   - a photo uploaded through one API is served by another (media in S3);
//   - SIGTERM on an API drains its in-flight request while the others serve.
func TestClusterActsAsOne(t *testing.T) {
	if os.Getenv(testdb.EnvPostgresURL) == "" {
		testdb.SkipOrFail(t, "%s is not set: the multi-process test needs PostgreSQL (SQLite is one process's database)", testdb.EnvPostgresURL)
	}
	var db testdb.DB
	for _, b := range testdb.DatabaseBackends(t) {
		if b.Name == store.Postgres {
			db = b.New(t)
		}
	}
	c := newCluster(t, db)

	// The migration step runs first, as the compose service and the k8s Job do;
	// the APIs then start with OCOP_MIGRATE_ON_START=false.
	c.run(t, "migrate", "up")
	for range 3 {
		c.api = append(c.api, start(t, c.env(), "--workers=0"))
	}
	c.workers = append(c.workers, c.startWorker(t), c.startWorker(t))

	t.Run("token from one API works on the others", func(t *testing.T) { c.sharedKey(t) })
	t.Run("login throttle holds across APIs", func(t *testing.T) { c.loginThrottle(t) })
	t.Run("Idempotency-Key replays on another API", func(t *testing.T) { c.idempotencyAcrossAPIs(t) })
	t.Run("outbox handled exactly once by two workers", func(t *testing.T) { c.exactlyOnce(t) })
	t.Run("SIGKILL of a worker mid-batch loses nothing", func(t *testing.T) { c.killWorker(t) })
	t.Run("SIGTERM on an API drains in-flight requests", func(t *testing.T) { c.drainAPI(t) })
}

const (
	clusterJWTKey   = "cluster-test-signing-key-0123456789abcdef"
	throttleLimit   = 4
	clusterPassword = "mot-mat-khau-dai-2025"
)

type cluster struct {
	db      testdb.DB
	s3      s3test.Server
	bucket  string
	sql     *sql.DB
	api     []*proc
	workers []*worker
	seen    map[string]bool // pings checked by an earlier subtest
}

type worker struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

// syncBuffer is a log sink read by the test while the process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newCluster(t *testing.T, db testdb.DB) *cluster {
	st, err := store.Open(context.Background(), store.Options{DatabaseURL: db.DatabaseURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Media on one S3 server for every process, as in compose and k8s.
	return &cluster{db: db, sql: st.SQLDB(), seen: map[string]bool{}, s3: s3test.Start(t), bucket: s3test.NewBucketName()}
}

// env is the production-like environment every process shares. Each process
// gets its own data directory: nothing may depend on a shared disk.
func (c *cluster) env(extra ...string) []string {
	dir, err := os.MkdirTemp(c.db.DataDir, "proc")
	if err != nil {
		panic(err)
	}
	e := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"OCOP_ENV=production", "OCOP_JWT_KEY=" + clusterJWTKey, "OCOP_LOG_FORMAT=text",
		"OCOP_DATABASE_URL=" + c.db.DatabaseURL, "OCOP_DATA_DIR=" + dir,
		"OCOP_MIGRATE_ON_START=false",
		// Five processes share one server with the rest of the test run.
		"OCOP_DB_MAX_OPEN_CONNS=5", "OCOP_DB_MAX_IDLE_CONNS=2",
		// A long window: the run never straddles a window boundary.
		fmt.Sprintf("OCOP_LOGIN_MAX_FAILURES_ACCOUNT_IP=%d", throttleLimit), "OCOP_LOGIN_THROTTLE_WINDOW=24h",
		"OCOP_JOB_POLL_INTERVAL=50ms", "OCOP_WORKERS=2", "OCOP_SHUTDOWN_GRACE=20s",
		"OCOP_S3_ENDPOINT=" + c.s3.Endpoint, "OCOP_S3_ACCESS_KEY=" + c.s3.AccessKey, "OCOP_S3_SECRET_KEY=" + c.s3.SecretKey,
		"OCOP_S3_BUCKET=" + c.bucket, fmt.Sprintf("OCOP_S3_USE_TLS=%t", c.s3.UseTLS),
	}
	return append(e, extra...)
}

func (c *cluster) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = c.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ocopconnect %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (c *cluster) startWorker(t *testing.T) *worker {
	t.Helper()
	cmd := exec.Command(binary, "worker")
	cmd.Env = c.env()
	w := &worker{cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = w.logs, w.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		err := <-w.done
		w.done <- err
		if t.Failed() {
			t.Logf("worker %d log:\n%s", cmd.Process.Pid, w.logs)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(w.logs.String(), "workers started") {
		select {
		case err := <-w.done:
			t.Fatalf("worker exited: %v\n%s", err, w.logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker did not start\n%s", w.logs)
		}
	}
	return w
}

// tag is how a worker process appears in handled_by and locked_by
// (host/pid/random, see jobs.Runner.ID).
func (w *worker) tag() string { return fmt.Sprintf("/%d/", w.cmd.Process.Pid) }

func (c *cluster) url(i int, path string) string { return "http://" + c.api[i%len(c.api)].addr + path }

func (c *cluster) sharedKey(t *testing.T) {
	body := fmt.Sprintf(`{"email":"hoa@example.vn","password":%q,"display_name":"Hoa","role":"buyer"}`, clusterPassword)
	if st, m := postJSON(t, c.url(0, "/api/v1/auth/register"), "", body); st != http.StatusCreated {
		t.Fatalf("register on API 0: %d %v", st, m)
	}
	st, tokens := postJSON(t, c.url(1, "/api/v1/auth/login"), "", fmt.Sprintf(`{"email":"hoa@example.vn","password":%q}`, clusterPassword))
	if st != http.StatusOK {
		t.Fatalf("login on API 1: %d %v", st, tokens)
	}
	for i := range c.api {
		req, _ := http.NewRequest(http.MethodGet, c.url(i, "/api/v1/me"), nil)
		req.Header.Set("Authorization", "Bearer "+tokens["access_token"].(string))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("API %d rejects a token signed by API 1: %d", i, resp.StatusCode)
		}
	}
}

// loginThrottle makes wrong-password attempts round-robin over the three
// APIs. With per-process counters each API would allow throttleLimit
// failures (3x in all); with the shared counters the attempt after the
// throttleLimit-th is refused on whichever API it reaches, even with the
// right password.
func (c *cluster) loginThrottle(t *testing.T) {
	wrong := `{"email":"hoa@example.vn","password":"not-the-password-at-all"}`
	for i := range 2 * throttleLimit {
		st, m := postJSON(t, c.url(i, "/api/v1/auth/login"), "", wrong)
		want := http.StatusUnauthorized
		if i >= throttleLimit {
			want = http.StatusTooManyRequests
		}
		if st != want {
			t.Fatalf("wrong password, attempt %d on API %d: %d %v, want %d", i+1, i%3, st, m, want)
		}
		if want == http.StatusTooManyRequests && m["code"] != "rate_limited" {
			t.Fatalf("attempt %d: code %v", i+1, m["code"])
		}
	}
	right := fmt.Sprintf(`{"email":"hoa@example.vn","password":%q}`, clusterPassword)
	for i := range c.api {
		if st, m := postJSON(t, c.url(i, "/api/v1/auth/login"), "", right); st != http.StatusTooManyRequests {
			t.Fatalf("right password during the lock on API %d: %d %v", i, st, m)
		}
	}
	var hits int
	if err := c.sql.QueryRow(`SELECT COALESCE(SUM(hits), 0) FROM rate_counters WHERE bucket LIKE 'login:account-ip:hoa@example.vn|%'`).Scan(&hits); err != nil {
		t.Fatal(err)
	}
	if hits != throttleLimit {
		t.Fatalf("shared counter holds %d failures, want %d", hits, throttleLimit)
	}
}

// ping runs `jobs ping` (enqueue, then wait for delivery), calling during
// while it waits.
func (c *cluster) ping(t *testing.T, count int, hold time.Duration, during func()) {
	t.Helper()
	cmd := exec.Command(binary, "jobs", "ping", "--count", fmt.Sprint(count), "--hold", hold.String(), "--timeout", "40s")
	cmd.Env = c.env()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if during != nil {
		during()
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("jobs ping: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("handled %d of %d", count, count); !strings.Contains(out.String(), want) {
		t.Fatalf("jobs ping did not report %q:\n%s", want, out)
	}
}

type pingRow struct {
	by         string
	deliveries int
}

// pings returns every ping not seen before, by key.
func (c *cluster) pings(t *testing.T, seen map[string]bool) map[string]pingRow {
	t.Helper()
	rows, err := c.sql.Query(`SELECT key, COALESCE(handled_by, ''), deliveries FROM job_pings`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]pingRow{}
	for rows.Next() {
		var k string
		var r pingRow
		if err := rows.Scan(&k, &r.by, &r.deliveries); err != nil {
			t.Fatal(err)
		}
		if !seen[k] {
			out[k] = r
			seen[k] = true
		}
	}
	return out
}

func (c *cluster) pendingPings(t *testing.T) int {
	t.Helper()
	var n int
	if err := c.sql.QueryRow(`SELECT COUNT(*) FROM outbox WHERE topic = $1`, jobs.PingTopic).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (c *cluster) exactlyOnce(t *testing.T) {
	const n = 300
	// A short hold keeps each batch in flight long enough that both worker
	// processes take part instead of one goroutine draining everything.
	c.ping(t, n, 50*time.Millisecond, nil)
	got := c.pings(t, c.seen)
	if len(got) != n {
		t.Fatalf("%d pings recorded, want %d", len(got), n)
	}
	per := map[int]int{}
	for k, r := range got {
		if r.deliveries != 1 {
			t.Errorf("ping %s delivered %d times", k, r.deliveries)
		}
		for i, w := range c.workers {
			if strings.Contains(r.by, w.tag()) {
				per[i]++
			}
		}
	}
	if per[0]+per[1] != n || per[0] == 0 || per[1] == 0 {
		t.Fatalf("pings per worker process %v: want all %d handled, by both", per, n)
	}
	if p := c.pendingPings(t); p != 0 {
		t.Fatalf("%d ping messages left in the outbox", p)
	}
}

func (c *cluster) killWorker(t *testing.T) {
	const n = 400
	victim, survivor := c.workers[0], c.workers[1]
	var orphaned map[string]bool
	c.ping(t, n, 200*time.Millisecond, func() {
		// Wait until the victim holds a batch, then kill it while it does.
		deadline := time.Now().Add(20 * time.Second)
		for {
			var held int
			if err := c.sql.QueryRow(`SELECT COUNT(*) FROM outbox WHERE topic = $1 AND locked_by LIKE $2`,
				jobs.PingTopic, "%"+victim.tag()+"%").Scan(&held); err != nil {
				t.Error(err)
				return
			}
			if held > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Error("the victim never claimed a batch")
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Error(err)
			return
		}
		<-victim.done
		victim.done <- nil // for the cleanup
		// What the victim still held when it died: its lease must run out
		// and the survivor deliver these again.
		rows, err := c.sql.Query(`SELECT key FROM outbox WHERE topic = $1 AND locked_by LIKE $2`, jobs.PingTopic, "%"+victim.tag()+"%")
		if err != nil {
			t.Error(err)
			return
		}
		defer rows.Close()
		orphaned = map[string]bool{}
		for rows.Next() {
			var k string
			_ = rows.Scan(&k)
			orphaned[k] = true
		}
	})
	if t.Failed() {
		return
	}
	if len(orphaned) == 0 {
		t.Fatal("the victim held no batch when killed: the test did not kill it mid-batch")
	}
	got := c.pings(t, c.seen)
	if len(got) != n {
		t.Fatalf("%d pings recorded, want %d", len(got), n)
	}
	redelivered := 0
	for k, r := range got {
		switch {
		case r.by == "":
			t.Errorf("ping %s lost", k)
		case orphaned[k] && r.deliveries <= 2:
			// Handled by the victim before it died (2 deliveries) or only by
			// the survivor (1): at-least-once, and the effect happened once.
			if r.deliveries == 2 {
				redelivered++
			} else if !strings.Contains(r.by, survivor.tag()) {
				t.Errorf("orphaned ping %s handled once, by %s, not by the survivor", k, r.by)
			}
		case r.deliveries != 1:
			t.Errorf("ping %s delivered %d times", k, r.deliveries)
		}
	}
	if p := c.pendingPings(t); p != 0 {
		t.Fatalf("%d ping messages left in the outbox (dead or stuck)", p)
	}
	t.Logf("victim held %d pings when killed; %d of them had been handled before it died and were delivered again", len(orphaned), redelivered)

	// The survivor stops cleanly on SIGTERM.
	if err := survivor.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-survivor.done:
		survivor.done <- err
		if err != nil || !strings.Contains(survivor.logs.String(), "workers stopped") {
			t.Fatalf("worker after SIGTERM: %v\n%s", err, survivor.logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not stop after SIGTERM")
	}
}

// drainAPI sends SIGTERM to one API while a request to it is in flight (its
// body still arriving): the request completes, the process exits 0, and the
// other APIs keep serving meanwhile.
func (c *cluster) drainAPI(t *testing.T) {
	p := c.api[2]
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := fmt.Sprintf(`{"email":"cham@example.vn","password":%q,"display_name":"Chậm","role":"producer"}`, clusterPassword)
	fmt.Fprintf(conn, "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	half := len(body) / 2
	if _, err := conn.Write([]byte(body[:half])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the server is now reading the body
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The others serve while this one drains.
	for i := range 2 {
		resp, err := http.Get(c.url(i, "/readyz"))
		if err != nil {
			t.Fatalf("API %d during the drain: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("API %d during the drain: %d", i, resp.StatusCode)
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
		p.done <- err
		if err != nil {
			t.Fatalf("exit after drain: %v\n%s", err, p.logs)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("the API did not exit after draining")
	}
	// The account created by the drained request is there for the others.
	st, m := postJSON(t, c.url(0, "/api/v1/auth/login"), "", fmt.Sprintf(`{"email":"cham@example.vn","password":%q}`, clusterPassword))
	if st != http.StatusOK {
		t.Fatalf("login on API 0 with the account registered on the drained API: %d %v", st, m)
	}
}

// TestJobsPingAndHealthcheck covers the operator commands the deploy files
// use: jobs ping against serve's own workers, a ping nobody handles, bad
// flags, and the container health check.
func TestJobsPingAndHealthcheck(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		p := start(t, env(db, "OCOP_JOB_POLL_INTERVAL=50ms"))
		cmd := func(args ...string) (string, int) {
			c := exec.Command(binary, args...)
			c.Env = env(db, "OCOP_ADDR="+p.addr)
			out, err := c.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			return string(out), code
		}
		if out, code := cmd("jobs", "ping", "--count", "30"); code != 0 || !strings.Contains(out, "handled 30 of 30 by 1 worker process") {
			t.Fatalf("jobs ping: exit %d\n%s", code, out)
		}
		if out, code := cmd("jobs", "ping", "--count", "0"); code != 2 || !strings.Contains(out, "count") {
			t.Fatalf("jobs ping --count 0: exit %d\n%s", code, out)
		}
		if out, code := cmd("jobs", "stats"); code != 0 || !strings.Contains(out, "housekeeping.job_pings") {
			t.Fatalf("jobs stats: exit %d\n%s", code, out)
		}
		if out, code := cmd("healthcheck"); code != 0 || !strings.Contains(out, "/healthz: ok") {
			t.Fatalf("healthcheck: exit %d\n%s", code, out)
		}
		if out, code := cmd("healthcheck", "--path", "/readyz"); code != 0 {
			t.Fatalf("healthcheck /readyz: exit %d\n%s", code, out)
		}
		if out, code := cmd("healthcheck", "--addr", freeAddr(t)); code != 1 {
			t.Fatalf("healthcheck of nothing: exit %d\n%s", code, out)
		}

		// With the server's workers gone, a ping is not handled and says why.
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		p.done <- <-p.done
		if out, code := cmd("jobs", "ping", "--timeout", "1s"); code != 1 || !strings.Contains(out, "is a worker running") {
			t.Fatalf("jobs ping without workers: exit %d\n%s", code, out)
		}
	})
}
