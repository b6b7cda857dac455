package testsupport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/ocopconnect/ocopconnect/api"
	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// TestJWTKey signs tokens in tests (never used outside tests).
const TestJWTKey = "test-signing-key-0123456789abcdef-not-for-production"

func init() {
	// Non-JSON bodies the API serves are checked for status, media type and
	// headers; their content is compared as an opaque string.
	for _, ct := range []string{"text/html", "text/javascript", "text/css", "application/yaml", "image/png",
		"image/jpeg", "image/webp", "image/svg+xml", "text/calendar", "text/csv", "application/pdf"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
}

var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
)

// Spec loads and validates api/openapi.yaml once per test process.
func Spec(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		specDoc, specErr = loader.LoadFromData(api.OpenAPI)
		if specErr != nil {
			return
		}
		if specErr = specDoc.Validate(context.Background()); specErr != nil {
			return
		}
		specRouter, specErr = gorillamux.NewRouter(specDoc)
	})
	if specErr != nil {
		t.Fatalf("api/openapi.yaml: %v", specErr)
	}
	return specDoc, specRouter
}

// Server is the production wiring served over HTTP for one test.
type Server struct {
	*app.App
	URL    string
	DB     testdb.DB
	t      testing.TB
	clock  *Clock
	client *http.Client
}

// Clock is a settable test clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the current fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the fake time forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// ServerOption adjusts a test server's configuration.
type ServerOption func(cfg *config.Config)

// NewServer wires the application on db with test defaults and serves it.
// Background workers do not run: tests drain the outbox with DrainOutbox so
// that what happens when is deterministic.
func NewServer(t testing.TB, db testdb.DB, opts ...ServerOption) *Server {
	t.Helper()
	env := map[string]string{
		"OCOP_DATA_DIR":     db.DataDir,
		"OCOP_DATABASE_URL": db.DatabaseURL,
		"OCOP_JWT_KEY":      TestJWTKey,
		"OCOP_LOG_LEVEL":    "warn",
	}
	cfg, err := config.LoadFrom(env)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(cfg)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clock := &Clock{now: time.Now().UTC().Truncate(time.Millisecond)}
	log := app.NewLogger(cfg)
	a, err := app.New(context.Background(), cfg, log, app.Options{SQLitePath: db.SQLitePath, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(a.Router)
	t.Cleanup(func() {
		hs.Close()
		a.Close()
	})
	s := &Server{App: a, URL: hs.URL, DB: db, t: t, clock: clock}
	s.client = &http.Client{
		Transport: &validatingTransport{t: t, base: http.DefaultTransport}, Timeout: 60 * time.Second,
		// Tests check the API's own answers: a redirect (e.g. GET /media to a
		// presigned S3 URL) is returned, not followed to a server the
		// contract does not describe.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

// Clock returns the server's fake clock.
func (s *Server) Clock() *Clock { return s.clock }

// DrainOutbox runs the background handlers until the outbox is empty (or
// only holds messages waiting for a retry).
func (s *Server) DrainOutbox() {
	s.t.Helper()
	for range 100 {
		n, err := s.Runner.DrainOnce(context.Background())
		if err != nil {
			s.t.Fatalf("drain outbox: %v", err)
		}
		if n == 0 {
			return
		}
	}
	s.t.Fatal("outbox did not drain in 100 passes")
}

// Response is a completed request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Problem decodes an RFC 9457 problem body and checks its media type.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (body %s)", ct, r.Body)
	}
	var p Problem
	r.JSON(t, &p)
	return p
}

// Problem mirrors the problem document for assertions.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail"`
	Code      string            `json:"code"`
	Errors    []ocop.FieldError `json:"errors"`
	RequestID string            `json:"request_id"`
}

// HasField reports whether the problem names field.
func (p Problem) HasField(field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Req describes a request for Do.
type Req struct {
	Method string
	Path   string
	// Body is marshalled as JSON unless it is a []byte, string or io.Reader.
	Body        any
	Token       string
	Header      map[string]string
	ContentType string
}

// Do sends a request through the spec-validating client.
func (s *Server) Do(t testing.TB, r Req) *Response {
	t.Helper()
	var body io.Reader
	ct := r.ContentType
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	case io.Reader:
		body = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(j)
		if ct == "" {
			ct = "application/json"
		}
	}
	req, err := http.NewRequest(r.Method, s.URL+r.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Get, Post, Patch, Delete are shortcuts for Do.
func (s *Server) Get(t testing.TB, path, token string) *Response {
	t.Helper()
	return s.Do(t, Req{Method: http.MethodGet, Path: path, Token: token})
}

// Post sends a JSON body.
func (s *Server) Post(t testing.TB, path, token string, body any) *Response {
	t.Helper()
	return s.Do(t, Req{Method: http.MethodPost, Path: path, Token: token, Body: body})
}

// Expect fails the test unless the response has the wanted status.
func (r *Response) Expect(t testing.TB, status int) *Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Body)
	}
	return r
}

// validatingTransport checks every exchange against api/openapi.yaml:
//   - the route must be in the spec;
//   - the response (status, headers, body) must match the spec;
//   - a request the spec calls invalid must be refused with a 4xx problem
//     (tests send invalid requests on purpose; the server must catch what the
//     contract forbids).
type validatingTransport struct {
	t    testing.TB
	base http.RoundTripper
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	_, router := Spec(v.t)
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	check := req.Clone(context.Background())
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(check)
	if err != nil {
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			return resp, nil // a path the API does not have either
		}
		v.t.Errorf("openapi: %s %s is not in api/openapi.yaml but answered %d", req.Method, req.URL.Path, resp.StatusCode)
		return resp, nil
	}
	in := &openapi3filter.RequestValidationInput{
		Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if reqErr := openapi3filter.ValidateRequest(context.Background(), in); reqErr != nil {
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			v.t.Errorf("openapi: the server accepted (%d) a request the contract forbids: %s %s: %v", resp.StatusCode, req.Method, req.URL.Path, firstLine(reqErr))
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		v.t.Errorf("openapi: response of %s %s (%d) does not match api/openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, truncateBody(respBody))
	}
	return resp, nil
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}

func truncateBody(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + fmt.Sprintf("... (%d bytes)", len(b))
	}
	return string(b)
}

// Re-exported so API tests need one import.
type (
	// DB is a database prepared for a test.
	DB = testdb.DB
)

// ForEachDatabase runs fn as a subtest per database backend.
func ForEachDatabase(t *testing.T, fn func(t *testing.T, db DB)) { testdb.ForEachDatabase(t, fn) }

// DropTemplate removes the PostgreSQL template database (TestMain).
func DropTemplate() { testdb.DropTemplate() }
