package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// The caller's trace, as a browser or gateway would send it.
const (
	callerTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerParent = "00f067aa0ba902b7"
	traceparent  = "00-" + callerTrace + "-" + callerParent + "-01"
)

// lockedBuffer collects log output written by concurrent requests.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the JSON log records.
func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// tracedApp wires the production service on db with JSON logs to a buffer.
func tracedApp(t *testing.T, db testdb.DB, env map[string]string) (*app.App, string, *lockedBuffer) {
	t.Helper()
	base := map[string]string{
		"OCOP_DATA_DIR": db.DataDir, "OCOP_DATABASE_URL": db.DatabaseURL,
		"OCOP_JWT_KEY": testsupport.TestJWTKey, "OCOP_LOG_FORMAT": "json",
	}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := app.LoadConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	a, err := app.New(context.Background(), cfg, app.NewLoggerTo(cfg, logs), app.Options{SQLitePath: db.SQLitePath})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Router)
	t.Cleanup(srv.Close)
	return a, srv.URL, logs
}

type exchange struct {
	status    int
	requestID string
	body      map[string]any
}

func call(t *testing.T, method, url, body string, header map[string]string) exchange {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	ex := exchange{status: resp.StatusCode, requestID: resp.Header.Get("X-Request-ID")}
	_ = json.Unmarshal(raw, &ex.body)
	return ex
}

// signUpAndAsk registers, logs in and asks GET /me, all under the caller's
// trace, and returns the three request IDs.
func signUpAndAsk(t *testing.T, url string) (register, me exchange) {
	t.Helper()
	tp := map[string]string{"traceparent": traceparent}
	register = call(t, http.MethodPost, url+"/api/v1/auth/register",
		`{"email":"lan@example.vn","password":"ca-phe-buon-ma-thuot","display_name":"Lan","role":"buyer"}`, tp)
	if register.status != http.StatusCreated {
		t.Fatalf("register: %d %v", register.status, register.body)
	}
	login := call(t, http.MethodPost, url+"/api/v1/auth/login", `{"email":"lan@example.vn","password":"ca-phe-buon-ma-thuot"}`, nil)
	if login.status != http.StatusOK {
		t.Fatalf("login: %d %v", login.status, login.body)
	}
	me = call(t, http.MethodGet, url+"/api/v1/me", "", map[string]string{
		"traceparent": traceparent, "Authorization": "Bearer " + login.body["access_token"].(string)})
	if me.status != http.StatusOK {
		t.Fatalf("me: %d %v", me.status, me.body)
	}
	return register, me
}

func findSpan(spans []testsupport.ExportedSpan, match func(s testsupport.ExportedSpan) bool) (testsupport.ExportedSpan, bool) {
	for _, s := range spans {
		if match(s) {
			return s, true
		}
	}
	return testsupport.ExportedSpan{}, false
}

func requestLine(t *testing.T, logs *lockedBuffer, requestID string) map[string]any {
	t.Helper()
	for _, l := range logs.lines(t) {
		if l["msg"] == "request" && l["request_id"] == requestID {
			return l
		}
	}
	t.Fatalf("no request log line with request_id %s", requestID)
	return nil
}

func TestTracingExportsRequestDatabaseAndJobSpans(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		recv := testsupport.NewOTLPReceiver(t)
		a, url, logs := tracedApp(t, db, map[string]string{
			"OCOP_OTEL_ENDPOINT": recv.URL, "OCOP_OTEL_SERVICE_NAME": "ocop-test-api", "OCOP_WORKERS": "0",
		})
		closed := false
		t.Cleanup(func() {
			if !closed {
				a.Close()
			}
		})
		register, me := signUpAndAsk(t, url)
		if err := a.Telemetry.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
		spans := recv.Spans()

		// The server span continues the caller's trace and is named after the route.
		server, ok := findSpan(spans, func(s testsupport.ExportedSpan) bool { return s.Name == "POST /api/v1/auth/register" })
		if !ok {
			t.Fatalf("no server span for the register route among %d spans: %+v", len(spans), spans)
		}
		if server.TraceID != callerTrace || server.ParentSpanID != callerParent || server.Kind != tracepb.Span_SPAN_KIND_SERVER {
			t.Fatalf("server span does not continue the caller's trace: %+v", server)
		}
		if server.Service != "ocop-test-api" || server.Attrs["http.route"] != "/api/v1/auth/register" ||
			server.Attrs["http.response.status_code"] != "201" || server.Attrs["ocop.request_id"] != register.requestID {
			t.Fatalf("server span attributes: %+v", server)
		}
		// The insert of the user is a child of it, with the SQL but no values.
		insert, ok := findSpan(spans, func(s testsupport.ExportedSpan) bool {
			return s.ParentSpanID == server.SpanID && s.Name == "insert users"
		})
		if !ok {
			t.Fatalf("no child DB span inserting the user under %s: %+v", server.SpanID, spans)
		}
		wantSystem := "sqlite"
		if db.IsPostgres() {
			wantSystem = "postgresql"
		}
		if insert.TraceID != callerTrace || insert.Kind != tracepb.Span_SPAN_KIND_CLIENT || insert.Attrs["db.system.name"] != wantSystem ||
			!strings.Contains(strings.ToLower(insert.Attrs["db.query.text"]), "insert into") || strings.Contains(insert.Attrs["db.query.text"], "lan@example.vn") {
			t.Fatalf("DB span: %+v", insert)
		}

		// The hand-written hot-path query of an authenticated request is traced too.
		meSpan, ok := findSpan(spans, func(s testsupport.ExportedSpan) bool { return s.Name == "GET /api/v1/me" && s.TraceID == callerTrace })
		if !ok {
			t.Fatalf("no server span for GET /api/v1/me: %+v", spans)
		}
		if _, ok := findSpan(spans, func(s testsupport.ExportedSpan) bool {
			return s.ParentSpanID == meSpan.SpanID && s.Name == "select sessions users"
		}); !ok {
			t.Fatalf("no session lookup span under GET /api/v1/me: %+v", spans)
		}
		if meSpan.Attrs["user.id"] == "" {
			t.Fatalf("the authenticated user is not on the span: %+v", meSpan)
		}

		// The request log lines carry the trace and the server span.
		for _, c := range []struct {
			ex   exchange
			span testsupport.ExportedSpan
		}{{register, server}, {me, meSpan}} {
			ex, span := c.ex, c.span
			line := requestLine(t, logs, ex.requestID)
			if line["trace_id"] != callerTrace || line["span_id"] != span.SpanID {
				t.Fatalf("request log line not correlated with span %s/%s: %v", callerTrace, span.SpanID, line)
			}
		}

		// Probes are not traced.
		if ex := call(t, http.MethodGet, url+"/healthz", "", map[string]string{"traceparent": traceparent}); ex.status != http.StatusOK {
			t.Fatalf("healthz: %d", ex.status)
		}

		// An outbox batch is a consumer span with its topic; its database
		// writes are its children; it links to the span that wrote its
		// messages. Close (graceful exit) exports it without an explicit
		// flush.
		writerCtx, writer := a.Telemetry.TracerProvider().Tracer("test").Start(context.Background(), "send pings")
		keys, err := a.Pinger.Send(writerCtx, 2, 0)
		writer.End()
		if err != nil {
			t.Fatal(err)
		}
		if n, err := a.Runner.DrainOnce(context.Background()); err != nil || n != len(keys) {
			t.Fatalf("drain: %d %v", n, err)
		}
		closed = true
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		spans = recv.Spans()
		batch, ok := findSpan(spans, func(s testsupport.ExportedSpan) bool { return strings.HasPrefix(s.Name, "outbox ") })
		if !ok {
			t.Fatalf("no outbox batch span exported at close: %+v", spans)
		}
		if batch.Kind != tracepb.Span_SPAN_KIND_CONSUMER || batch.Attrs["messaging.destination.name"] != strings.TrimPrefix(batch.Name, "outbox ") ||
			batch.Attrs["messaging.batch.message_count"] != "2" || batch.ParentSpanID != "" {
			t.Fatalf("outbox span: %+v", batch)
		}
		wsc := writer.SpanContext()
		if want := wsc.TraceID().String() + "/" + wsc.SpanID().String(); !slices.Equal(batch.Links, []string{want}) || batch.TraceID == wsc.TraceID().String() {
			t.Fatalf("outbox batch links %v, want only the writer %s (in a trace of its own)", batch.Links, want)
		}
		if _, ok := findSpan(spans, func(s testsupport.ExportedSpan) bool {
			return s.ParentSpanID == batch.SpanID && s.Attrs["db.system.name"] == wantSystem
		}); !ok {
			t.Fatalf("no DB span under the outbox batch: %+v", spans)
		}
		for _, s := range spans {
			if strings.Contains(s.Name, "healthz") || s.Attrs["http.route"] == "/healthz" {
				t.Fatalf("probe traced: %+v", s)
			}
			// Only work under a request or a job is traced: the claim that
			// found the batch (and any idle poll) makes no root DB span.
			if s.ParentSpanID == "" && s.Attrs["db.system.name"] != "" {
				t.Fatalf("root DB span outside any request or job: %+v", s)
			}
		}
	})
}

func TestTracingOffExportsNothing(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		recv := testsupport.NewOTLPReceiver(t)
		// The SDK's own variables point at the receiver: if anything built
		// an exporter regardless of OCOP_OTEL_ENDPOINT, it would send there.
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL)
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", recv.URL+"/v1/traces")
		a, url, logs := tracedApp(t, db, map[string]string{"OCOP_WORKERS": "0"})
		if a.Telemetry.Enabled() {
			t.Fatal("tracing on without OCOP_OTEL_ENDPOINT")
		}
		register, me := signUpAndAsk(t, url)
		if _, err := a.Pinger.Send(context.Background(), 1, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Runner.DrainOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := a.Telemetry.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		// Close shuts a provider down synchronously, flushing whatever an
		// exporter held, so anything that would be sent has been by now.
		if n := recv.Requests(); n != 0 {
			t.Fatalf("tracing off, yet %d export requests reached the collector", n)
		}
		// Request IDs still correlate the logs; there is no trace to name,
		// not even the caller's (nothing reads traceparent).
		for _, ex := range []exchange{register, me} {
			line := requestLine(t, logs, ex.requestID)
			if _, has := line["trace_id"]; has {
				t.Fatalf("trace_id logged with tracing off: %v", line)
			}
		}
	})
}
