// Package app is the composition root: it builds every adapter and use case
// from a Config and wires them together. cmd/ocopconnect calls it for each
// subcommand, and black-box tests call it to get exactly the production
// wiring on a temporary data directory.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel"

	"github.com/ocopconnect/ocopconnect/internal/accounts"
	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/events"
	"github.com/ocopconnect/ocopconnect/internal/httpapi"
	"github.com/ocopconnect/ocopconnect/internal/imports"
	"github.com/ocopconnect/ocopconnect/internal/inquiries"
	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/listings"
	"github.com/ocopconnect/ocopconnect/internal/listingsearch"
	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/meetings"
	"github.com/ocopconnect/ocopconnect/internal/notify"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/search"
	"github.com/ocopconnect/ocopconnect/internal/stats"
	"github.com/ocopconnect/ocopconnect/internal/store"
	"github.com/ocopconnect/ocopconnect/internal/telemetry"
)

// Version is set at build time (-ldflags "-X .../internal/app.Version=...").
var Version = "dev"

// App is a wired service.
type App struct {
	Config   *config.Config
	Log      *slog.Logger
	Store    *store.Store
	Accounts *accounts.Service
	Runner   *jobs.Runner
	Router   *gin.Engine
	Registry *prometheus.Registry
	Blobs    ocop.Blobs
	Now      ocop.Clock
	Pinger   *jobs.Pinger

	// Producers is the producers/certificates use case.
	Producers *producers.Service
	Media     *media.Processor

	// Events is the trade-fair use case.
	Events *events.Service
	// Search is the listing index (Bleve under the data dir, or
	// Meilisearch), opened on first use.
	Search *search.Index
	// Telemetry is the tracer provider (a no-op one without OCOP_OTEL_ENDPOINT).
	Telemetry *telemetry.Provider
	Listings  *listings.Service
	Inquiries *inquiries.Service
	Notify    *notify.Service
	// Meetings is the fair-meetings (B2B matchmaking) use case.
	Meetings *meetings.Service

	// Imports loads official OCOP lists; ImportJobs runs admin uploads.
	Imports    *imports.Service
	ImportJobs *imports.Jobs
	// ListingSearch serves searches and keeps the index true (outbox relay,
	// reindex).
	ListingSearch *listingsearch.Service

	opts Options
}

// Options adjust wiring for tests and tools.
type Options struct {
	// SQLitePath overrides the SQLite file (tests).
	SQLitePath string
	// Now replaces the clock (tests).
	Now ocop.Clock
	// SkipMigrate leaves the schema alone even if MigrateOnStart is set.
	SkipMigrate bool
	// WithoutSearchRelay leaves the search topics to other processes: a
	// worker process cannot open the embedded index the server holds.
	WithoutSearchRelay bool
}

// NewLogger builds the one logger of the process.
func NewLogger(cfg *config.Config) *slog.Logger { return NewLoggerTo(cfg, os.Stderr) }

// NewLoggerTo builds the logger writing to w. Records logged with a
// request's or job's context carry its request_id, trace_id and span_id.
func NewLoggerTo(cfg *config.Config, w io.Writer) *slog.Logger {
	level, _ := config.ParseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(telemetry.CorrelateLogs(h))
}

// New wires the service. The caller must Close it.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, o Options) (*App, error) {
	now := o.Now
	if now == nil {
		// Millisecond precision is what SQLite keeps; using it everywhere
		// means a time reads back exactly as it was written on both dialects.
		now = func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
	}
	tel, err := telemetry.Setup(ctx, telemetry.Config{
		Endpoint: cfg.OTelEndpoint, ServiceName: cfg.OTelServiceName, Version: Version, SampleRatio: cfg.OTelSampleRatio,
	})
	if err != nil {
		return nil, fmt.Errorf("OCOP_OTEL_ENDPOINT: %w", err)
	}
	st, err := store.Open(ctx, store.Options{
		DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, SQLitePath: o.SQLitePath,
		MaxOpenConns: cfg.DBMaxOpenConns, MaxIdleConns: cfg.DBMaxIdleConns, ConnMaxLifetime: cfg.DBConnMaxLife, Logger: log,
	})
	if err != nil {
		_ = tel.Shutdown(ctx)
		return nil, err
	}
	st.SetClock(now)
	a := &App{Config: cfg, Log: log, Store: st, Now: now, Telemetry: tel, opts: o}
	if tel.Enabled() {
		if err := st.UseTracing(tel.TracerProvider()); err != nil {
			a.Close()
			return nil, err
		}
		// The exporter reports failures (collector down) through OpenTelemetry's
		// one process-wide handler; send them to our log instead of stderr.
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing", "err", err) }))
		log.Info("tracing enabled", "endpoint", config.RedactURL(cfg.OTelEndpoint), "service", tel.ServiceName(), "sample_ratio", cfg.OTelSampleRatio)
	}
	if cfg.MigrateOnStart && !o.SkipMigrate {
		if _, err := st.MigrateUp(ctx); err != nil {
			a.Close()
			return nil, err
		}
	}
	if err := a.wire(); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) wire() error {
	cfg := a.Config
	key, previous, err := a.signingKeys()
	if err != nil {
		return err
	}
	signer, err := accounts.NewSigner(key, previous, cfg.AccessTokenTTL, a.Now)
	if err != nil {
		return err
	}
	st := a.Store
	if err := a.wireMedia(); err != nil {
		return err
	}
	if a.Search, err = search.Open(cfg); err != nil {
		return err
	}
	if a.Telemetry.Enabled() {
		a.Blobs = telemetry.TraceBlobs(a.Blobs) // whichever backend is configured above
	}
	a.Accounts = &accounts.Service{
		Tx: st, Users: st.Users(), Sessions: st.Sessions(), Limiter: st.RateLimiter(), Audit: st.AuditLog(),
		Signer: signer, RefreshTTL: cfg.RefreshTokenTTL, Now: a.Now,
		Throttle: accounts.Throttle{
			MaxFailuresPerAccountIP: cfg.LoginMaxFailuresPerAccountIP, MaxFailuresPerAccount: cfg.LoginMaxFailuresPerAccount,
			MaxFailuresPerIP: cfg.LoginMaxFailuresPerIP, Window: cfg.LoginThrottleWindow,
		},
	}

	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(st.SQLDB(), st.Dialect()),
	)

	a.Runner = jobs.New(st.Outbox(), st.Leases(), jobs.Options{
		Workers: max(cfg.Workers, 1), PollInterval: cfg.JobPollInterval, MaxAttempts: cfg.JobMaxAttempts,
		Logger: a.Log, Now: a.Now, Registerer: a.Registry, Tracer: a.Telemetry.TracerProvider(),
	})
	st.OnEnqueue(a.Runner.Wake)
	a.registerHousekeeping()
	a.registerPings()
	a.wireProducers()
	a.registerMedia()
	a.wireEvents()
	a.wireListings()
	if err := a.wireInquiries(); err != nil {
		return err
	}
	a.wireEventNotices()
	if err := a.wireMeetings(key); err != nil {
		return err
	}
	a.wireImports()
	a.wireSearch()

	a.Router, err = httpapi.New(httpapi.Deps{
		Logger: a.Log, Registry: a.Registry, Accounts: a.Accounts,
		Idempotency: &httpapi.Idempotency{Tx: st, Keys: st.IdempotencyKeys(), TTL: 48 * time.Hour, Now: a.Now},
		Readiness: []httpapi.ReadinessCheck{
			{Name: "database", Check: st.Ping},
			{Name: "media", Check: a.Blobs.Ping},
			{Name: "search", Check: a.searchReady},
		},
		MaxBodyBytes: cfg.MaxBodyBytes, CORSOrigins: cfg.CORSOrigins, TrustedProxies: cfg.TrustedProxies, Version: Version,
		Producers: a.Producers, CertificateDocumentMaxBytes: cfg.CertificateDocumentMaxBytes,
		Blobs: a.Blobs, MediaSignedURLTTL: cfg.MediaSignedURLTTL, Media: a.Media,
		Events:    a.Events,
		Tracing:   a.Telemetry,
		Listings:  a.Listings,
		Inquiries: a.Inquiries, Notifications: a.Notify,
		Meetings:   a.Meetings,
		ImportJobs: a.ImportJobs, ImportMaxBytes: cfg.ImportMaxBytes,
		Stats:  &stats.Service{Repo: st.Stats(), Now: a.Now},
		Search: a.ListingSearch,
	})
	return err
}

// searchReady pings the search backend; the cause goes to the log, the
// readiness answer only names the check.
func (a *App) searchReady(ctx context.Context) error {
	if err := a.Search.Ping(ctx); err != nil {
		a.Log.Warn("search backend not ready", "backend", a.Search.Backend(), "err", err)
		return errors.New("search backend unreachable")
	}
	return nil
}

// signingKeys returns the configured key, or in development the one kept in
// the data directory (generated on first start, with a warning).
func (a *App) signingKeys() ([]byte, [][]byte, error) {
	var previous [][]byte
	for _, k := range a.Config.JWTPreviousKeys {
		previous = append(previous, []byte(k))
	}
	if a.Config.JWTKey != "" {
		return []byte(a.Config.JWTKey), previous, nil
	}
	if a.Config.Env == config.EnvProduction {
		// Validate refuses this already; the check here keeps any caller that
		// skips validation from generating a key per replica, which would make
		// each replica reject the tokens the others signed.
		return nil, nil, errors.New("OCOP_JWT_KEY: is required in production: every API process must sign with the same configured key")
	}
	key, created, err := accounts.LoadOrCreateKey(a.Config.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("JWT key: %w", err)
	}
	msg := "using the JWT signing key kept in the data directory; set OCOP_JWT_KEY in production (every API replica must share it)"
	if created {
		msg = "generated a JWT signing key in the data directory; set OCOP_JWT_KEY in production (every API replica must share it)"
	}
	a.Log.Warn(msg, "file", a.Config.DataDir+"/jwt.key")
	return key, previous, nil
}

// registerHousekeeping adds the sweeps that keep platform tables small.
func (a *App) registerHousekeeping() {
	st := a.Store
	a.Runner.Every(jobs.Periodic{Name: "housekeeping.expired_sessions", Interval: time.Hour, Run: func(ctx context.Context) error {
		// Keep ended sessions a week for support questions, then drop them.
		n, err := st.Sessions().DeleteExpired(ctx, a.Now().Add(-7*24*time.Hour))
		a.Log.Debug("expired sessions removed", "count", n)
		return err
	}})
	a.Runner.Every(jobs.Periodic{Name: "housekeeping.rate_counters", Interval: 10 * time.Minute, Run: func(ctx context.Context) error {
		_, err := st.RateLimiter().DeleteExpired(ctx, a.Now())
		return err
	}})
	a.Runner.Every(jobs.Periodic{Name: "housekeeping.idempotency_keys", Interval: time.Hour, Run: func(ctx context.Context) error {
		_, err := st.IdempotencyKeys().DeleteExpired(ctx, a.Now())
		return err
	}})
}

// Close releases the search index, exports the spans still buffered
// (within a few seconds), then releases the database.
func (a *App) Close() error {
	var err error
	if a.Search != nil {
		err = a.Search.Close()
	}
	if a.Telemetry != nil {
		if terr := a.Telemetry.Shutdown(context.Background()); terr != nil {
			a.Log.Warn("flushing traces at exit failed", "err", terr)
		}
	}
	return errors.Join(err, a.Store.Close())
}

// Serve runs the HTTP server (and, with workers > 0, the background workers)
// until ctx is cancelled, then shuts down gracefully: it stops accepting,
// lets in-flight requests finish within the grace period, stops the workers
// and returns. ready, if not nil, receives the bound address.
func (a *App) Serve(ctx context.Context, workers int, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (OCOP_ADDR): %w", a.Config.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.Router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // uploads on slow rural links
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	workCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorkers()
	var wg sync.WaitGroup
	if workers > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = a.Runner.Run(workCtx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.RebuildSearchIfEmpty(workCtx)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.Log.Info("serving", "addr", ln.Addr().String(), "database", a.Store.Dialect(), "workers", workers, "version", Version)
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err := <-serveErr:
		stopWorkers()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down: draining in-flight requests", "grace", a.Config.ShutdownGrace)
	shCtx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownGrace)
	defer cancel()
	err = srv.Shutdown(shCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		a.Log.Warn("grace period over; closing remaining connections")
		err = srv.Close()
	}
	stopWorkers()
	wg.Wait()
	if e := <-serveErr; e != nil && !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	a.Log.Info("stopped")
	return err
}

// LoadConfig reads, completes and validates the configuration.
func LoadConfig(environ map[string]string) (*config.Config, error) {
	cfg, err := config.LoadFrom(environ)
	if err != nil {
		return nil, err
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Environ returns the process environment as a map (for LoadConfig).
func Environ() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}
