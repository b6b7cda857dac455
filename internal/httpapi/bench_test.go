package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/listings"
	"github.com/ocopconnect/ocopconnect/internal/media/mediatest"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// The HTTP benchmarks run real requests over loopback with keep-alive from
// concurrent clients, so both sides of each ratio pay the same network and
// client costs; tools/benchratio turns their ns/op into throughput ratios.

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
}

// hammer sends req from 8 goroutines per core; every answer must be 200.
func hammer(b *testing.B, req func() *http.Request) { hammerStatus(b, http.StatusOK, req) }

// hammerStatus is hammer for an endpoint answering want (201 for creates).
func hammerStatus(b *testing.B, want int, req func() *http.Request) {
	client := benchClient()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Do(req())
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				b.Errorf("status %d, want %d", resp.StatusCode, want)
				return
			}
		}
	})
}

// BenchmarkBareGinHealthz is the baseline: a Gin engine with one handler and
// no middleware.
func BenchmarkBareGinHealthz(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	srv := httptest.NewServer(r)
	defer srv.Close()
	hammer(b, func() *http.Request { req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil); return req })
}

// benchApp is the production wiring on SQLite with info-level JSON request
// logging (to a discarding writer, so the formatting cost is counted).
func benchApp(b *testing.B, extra ...string) (*app.App, *httptest.Server) {
	db := testdb.DatabaseBackends(b)[0].New(b)
	env := map[string]string{"OCOP_DATA_DIR": db.DataDir, "OCOP_JWT_KEY": testsupport.TestJWTKey, "OCOP_LOG_FORMAT": "json"}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	cfg, err := config.LoadFrom(env)
	if err != nil {
		b.Fatal(err)
	}
	cfg.ApplyDefaults()
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.New(context.Background(), cfg, log, app.Options{SQLitePath: db.SQLitePath})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Router)
	b.Cleanup(func() { srv.Close(); a.Close() })
	return a, srv
}

// BenchmarkFullStackMe is GET /me through every middleware with a valid
// token: request ID, logging, metrics, recovery, security headers, body
// limit, JWT verification, the session check and the user lookup.
func BenchmarkFullStackMe(b *testing.B) { benchMe(b) }

// BenchmarkFullStackMeTraced is the same with every request traced and
// exported (server span, session lookup span) to a collector that discards
// what it receives: the price of OCOP_OTEL_ENDPOINT at a sample ratio of 1.
func BenchmarkFullStackMeTraced(b *testing.B) {
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	b.Cleanup(collector.Close) // after the app's Close has flushed to it
	benchMe(b, "OCOP_OTEL_ENDPOINT", collector.URL)
}

func benchMe(b *testing.B, env ...string) {
	a, srv := benchApp(b, env...)
	ctx := context.Background()
	if _, err := a.Accounts.Register(ctx, registerInput("bench@example.vn", "buyer")); err != nil {
		b.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"bench@example.vn","password":"`+goodPassword+`"}`))
	if err != nil {
		b.Fatal(err)
	}
	var tk tokens
	(&testsupport.Response{Body: mustRead(resp)}).JSON(b, &tk)
	hammer(b, func() *http.Request {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
		return req
	})
}

func mustRead(r *http.Response) []byte {
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return b
}

// BenchmarkListingGet is the public GET /listings/{id} of a published
// listing with a certificate in force and two photos: the full middleware
// stack, the listing and image reads and the certificate check.
func BenchmarkListingGet(b *testing.B) {
	a, srv := benchApp(b)
	ctx := context.Background()
	owner, err := a.Accounts.Register(ctx, registerInput("htx@example.vn", ocop.RoleProducer))
	if err != nil {
		b.Fatal(err)
	}
	admin, err := a.Accounts.CreateUser(ctx, registerInput("admin@example.vn", ocop.RoleAdmin))
	if err != nil {
		b.Fatal(err)
	}
	ownerCtx := asUser(owner.ID, ocop.RoleProducer)
	adminCtx := asUser(admin.ID, ocop.RoleAdmin)
	p, err := a.Producers.Create(ownerCtx, producers.ProducerInput{LegalName: "HTX Cà phê", Kind: ocop.KindCooperative, ProvinceCode: "66", CommuneCode: "22015"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.Producers.Verify(adminCtx, p.ID, ""); err != nil {
		b.Fatal(err)
	}
	cert, err := a.Producers.AddCertificate(ownerCtx, p.ID, producers.CertificateInput{
		ProductName: "Cà phê", ProductGroup: "food", ProductSet: "coffee_cocoa", Stars: 4, DecisionNumber: "1/QĐ",
		DecisionDate: ocop.DateOf(a.Now()).AddMonths(-1).String(), IssuingLevel: ocop.IssuingProvincial, IssuingBody: "UBND tỉnh",
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.Producers.VerifyCertificate(adminCtx, cert.ID); err != nil {
		b.Fatal(err)
	}
	moq := int64(10)
	v, err := a.Listings.Create(ownerCtx, listings.Input{
		ProducerID: p.ID, TitleVI: "Cà phê Robusta", DescriptionVI: "Rang mộc", ProductGroup: "food", ProductSet: "coffee_cocoa",
		CertificateID: cert.ID, Unit: "kg", MinOrderQty: moq, Tags: []string{"robusta", "rang mộc"}, HarvestMonths: []int{11, 12},
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 2 {
		photo := mediatest.JPEG(b, mediatest.Photo(800, 600, uint64(i)))
		if _, _, err := a.Listings.AddImage(ownerCtx, v.ID, nil, bytes.NewReader(photo)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := a.Listings.Publish(ownerCtx, v.ID, nil); err != nil {
		b.Fatal(err)
	}
	url := srv.URL + "/api/v1/listings/" + v.ID
	hammer(b, func() *http.Request { req, _ := http.NewRequest(http.MethodGet, url, nil); return req })
}

func asUser(id string, roles ...ocop.Role) context.Context {
	return ocop.WithPrincipal(context.Background(), ocop.Principal{UserID: id, Roles: roles})
}
