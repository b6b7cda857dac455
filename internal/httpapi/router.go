package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ocopconnect/ocopconnect/internal/accounts"
	"github.com/ocopconnect/ocopconnect/internal/events"
	"github.com/ocopconnect/ocopconnect/internal/imports"
	"github.com/ocopconnect/ocopconnect/internal/inquiries"
	"github.com/ocopconnect/ocopconnect/internal/listings"
	"github.com/ocopconnect/ocopconnect/internal/listingsearch"
	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/meetings"
	"github.com/ocopconnect/ocopconnect/internal/notify"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/stats"
	"github.com/ocopconnect/ocopconnect/internal/telemetry"
)

// ReadinessCheck reports whether one dependency can serve traffic.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Deps is everything the HTTP layer needs, wired by cmd/ocopconnect.
type Deps struct {
	Logger         *slog.Logger
	Registry       *prometheus.Registry
	Accounts       *accounts.Service
	Idempotency    *Idempotency
	Readiness      []ReadinessCheck
	MaxBodyBytes   int64
	CORSOrigins    []string
	TrustedProxies []string
	Version        string

	// Producers serves producers, certificates, places and the taxonomy.
	Producers                   *producers.Service
	CertificateDocumentMaxBytes int64
	// Blobs serves GET /media; MediaSignedURLTTL is the lifetime of the
	// presigned URLs it redirects to when the store can sign (S3).
	Blobs             ocop.Blobs
	MediaSignedURLTTL time.Duration
	// Media processes image uploads (receiveImage).
	Media *media.Processor

	// Events serves trade fairs, booths and bookings.
	Events *events.Service
	// Tracing, when set, traces every request (tracing.go); nil adds no
	// middleware at all.
	Tracing *telemetry.Provider
	// Listings serves listings and their photos.
	Listings *listings.Service

	// Inquiries serves buyer inquiries and producer responsiveness;
	// Notifications the in-app notifications.
	Inquiries     *inquiries.Service
	Notifications *notify.Service
	// Meetings serves fair meetings (B2B matchmaking).
	Meetings *meetings.Service
	// ImportJobs runs admin-uploaded OCOP lists; ImportMaxBytes bounds them.
	ImportJobs     *imports.Jobs
	ImportMaxBytes int64
	// Stats serves the programme statistics and charts.
	Stats *stats.Service
	// Search serves listing search and type-ahead suggestions.
	Search *listingsearch.Service
}

// API holds the handlers' dependencies.
type API struct {
	Deps
	bodyLimits map[string]int64
	metrics    *httpMetrics
}

// New builds the router with every route of api/openapi.yaml.
func New(d Deps) (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	// Request and trace IDs come from the request context (observe logs with it).
	d.Logger = slog.New(telemetry.CorrelateLogs(d.Logger.Handler()))
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 1 << 20
	}
	a := &API{Deps: d, bodyLimits: map[string]int64{}, metrics: newHTTPMetrics(d.Registry)}

	r := gin.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		return nil, err
	}
	if len(d.TrustedProxies) == 0 {
		r.ForwardedByClientIP = false
	}

	r.Use(a.tracing()...) // first, so that the request log line sees the span
	r.Use(withRequestID, observe(d.Logger, a.metrics), recoverPanics(d.Logger), securityHeaders)
	if len(d.CORSOrigins) > 0 {
		cc := cors.Config{
			AllowMethods:     []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
			AllowHeaders:     []string{"Authorization", "Content-Type", "If-Match", "Idempotency-Key", requestIDHeader},
			ExposeHeaders:    []string{"ETag", "Location", "Retry-After", requestIDHeader, "Idempotent-Replayed"},
			AllowCredentials: false,
			MaxAge:           12 * time.Hour,
		}
		if len(d.CORSOrigins) == 1 && d.CORSOrigins[0] == "*" {
			cc.AllowAllOrigins = true
		} else {
			cc.AllowOrigins = d.CORSOrigins
		}
		r.Use(cors.New(cc))
	}
	r.Use(limitBody(d.MaxBodyBytes, a.bodyLimits))
	r.NoRoute(func(c *gin.Context) {
		fail(c, notFoundRoute(c))
	})
	r.NoMethod(func(c *gin.Context) {
		fail(c, methodNotAllowed(c))
	})

	a.routesOps(r)
	a.routesMedia(r)
	v1 := r.Group("/api/v1")
	a.routesAuth(v1)
	a.routesPlaces(v1)
	a.routesProducers(v1)
	a.routesEvents(v1)
	a.routesListings(v1)
	a.routesInquiries(v1)
	a.routesMeetings(v1)
	a.routesImports(v1)
	a.routesStats(v1)
	a.routesSearch(v1)
	return r, nil
}
