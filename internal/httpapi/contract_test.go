package httpapi_test

import (
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/httpapi"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// TestRoutesMatchSpec fails when a registered route is missing from
// api/openapi.yaml or the spec names a route the router does not serve.
func TestRoutesMatchSpec(t *testing.T) {
	doc, _ := Spec(t)
	var db DB
	for _, b := range testdb.DatabaseBackends(t) {
		if b.Name == "sqlite" {
			db = b.New(t)
		}
	}
	s := NewServer(t, db)

	served := map[string]bool{}
	for _, r := range s.Router.Routes() {
		served[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	specified := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			specified[strings.ToUpper(method)+" "+path] = true
		}
	}
	var missing, extra []string
	for r := range served {
		if !specified[r] {
			missing = append(missing, r)
		}
	}
	for r := range specified {
		if !served[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes served but missing from api/openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("routes in api/openapi.yaml that the router does not serve:\n  %s", strings.Join(extra, "\n  "))
	}
}

// TestErrorCodesMatchSpec keeps the spec's ErrorCode enum equal to the codes
// the server can send.
func TestErrorCodesMatchSpec(t *testing.T) {
	doc, _ := Spec(t)
	schema := doc.Components.Schemas["ErrorCode"].Value
	var inSpec []string
	for _, v := range schema.Enum {
		inSpec = append(inSpec, v.(string))
	}
	var mapped []string
	for _, c := range httpapi.MappedCodes() {
		mapped = append(mapped, string(c))
	}
	slices.Sort(inSpec)
	slices.Sort(mapped)
	if !slices.Equal(inSpec, mapped) {
		t.Fatalf("ErrorCode enum in api/openapi.yaml %v\ndiffers from the codes httpapi maps %v", inSpec, mapped)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		r := s.Get(t, "/healthz", "").Expect(t, http.StatusOK)
		if id := r.Header.Get("X-Request-ID"); id == "" {
			t.Fatal("no X-Request-ID")
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatal("security headers missing")
		}
		// A sane client request ID is echoed; a hostile one is replaced.
		r = s.Do(t, Req{Method: http.MethodGet, Path: "/healthz", Header: map[string]string{"X-Request-ID": "abc-123"}})
		if r.Header.Get("X-Request-ID") != "abc-123" {
			t.Fatalf("request ID not echoed: %q", r.Header.Get("X-Request-ID"))
		}
		r = s.Do(t, Req{Method: http.MethodGet, Path: "/healthz", Header: map[string]string{"X-Request-ID": "bad id\twith spaces"}})
		if r.Header.Get("X-Request-ID") == "bad id\twith spaces" {
			t.Fatal("hostile request ID echoed")
		}

		ready := s.Get(t, "/readyz", "").Expect(t, http.StatusOK).Map(t)
		if checks := ready["checks"].(map[string]any); checks["database"] != "ok" || checks["search"] != "ok" {
			t.Fatalf("readyz = %v", ready)
		}
		m := s.Get(t, "/metrics", "").Expect(t, http.StatusOK)
		for _, want := range []string{"ocop_http_requests_total", "ocop_http_request_duration_seconds", "go_goroutines", "go_sql_open_connections"} {
			if !strings.Contains(string(m.Body), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		spec := s.Get(t, "/openapi.yaml", "").Expect(t, http.StatusOK)
		if !strings.HasPrefix(string(spec.Body), "openapi: 3.1") {
			t.Fatal("/openapi.yaml is not the contract")
		}
		docs := s.Get(t, "/docs", "").Expect(t, http.StatusOK)
		if !strings.Contains(string(docs.Body), "/docs/assets/swagger-ui-bundle.js") {
			t.Fatal("/docs does not load the bundled Swagger UI")
		}
		s.Get(t, "/docs/assets/swagger-ui-bundle.js", "").Expect(t, http.StatusOK)
		s.Get(t, "/docs/assets/ocop-init.js", "").Expect(t, http.StatusOK)
		s.Get(t, "/docs/assets/nope.js", "").Expect(t, http.StatusNotFound).Problem(t)

		p := s.Get(t, "/api/v1/no-such-route", "").Expect(t, http.StatusNotFound).Problem(t)
		if p.Code != "not_found" {
			t.Fatalf("code %s", p.Code)
		}
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/me"}).Expect(t, http.StatusMethodNotAllowed).Problem(t)

		// The database going away makes /readyz name it, while /healthz stays up.
		s.Store.Close()
		p = s.Get(t, "/readyz", "").Expect(t, http.StatusServiceUnavailable).Problem(t)
		if !strings.Contains(p.Detail, "database") {
			t.Fatalf("readyz detail does not name the database: %q", p.Detail)
		}
		s.Get(t, "/healthz", "").Expect(t, http.StatusOK)
	})
}
