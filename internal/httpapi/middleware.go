package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

const requestIDHeader = "X-Request-ID"

// A client-supplied request ID is kept only if it is short and plain, so it
// cannot smuggle anything into logs.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// withRequestID accepts X-Request-ID or makes one, echoes it, and puts it in
// the request context for logs and audit entries.
func withRequestID(c *gin.Context) {
	id := c.GetHeader(requestIDHeader)
	if !requestIDPattern.MatchString(id) {
		id = uuid.Must(uuid.NewV7()).String()
	}
	c.Set("request_id", id)
	c.Header(requestIDHeader, id)
	c.Request = c.Request.WithContext(ocop.WithRequestID(c.Request.Context(), id))
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString("request_id") }

// routeOf is the matched route pattern, the low-cardinality label for logs
// and metrics ("/api/v1/users/:id", not the concrete path).
func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// httpMetrics are the request counters and latency histograms.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocop_http_requests_total", Help: "HTTP requests, by method, route and status."},
			[]string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ocop_http_request_duration_seconds", Help: "HTTP request latency, by method, route and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
			[]string{"method", "route", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ocop_http_requests_in_flight", Help: "HTTP requests being served."}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.inFlight)
	}
	return m
}

// observe logs every request once and records its metrics. Server errors
// carry their cause in the log line (never in the response).
func observe(log *slog.Logger, m *httpMetrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		m.inFlight.Inc()
		c.Next()
		m.inFlight.Dec()
		d := time.Since(start)
		status := c.Writer.Status()
		route := routeOf(c)
		code := strconv.Itoa(status)
		m.requests.WithLabelValues(c.Request.Method, route, code).Inc()
		m.duration.WithLabelValues(c.Request.Method, route, code).Observe(d.Seconds())

		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		if !log.Enabled(c.Request.Context(), level) {
			return
		}
		// request_id, trace_id and span_id come from the context (telemetry.CorrelateLogs).
		attrs := []slog.Attr{
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", d),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.String("client_ip", c.ClientIP()),
		}
		if p, ok := ocop.PrincipalFrom(c.Request.Context()); ok {
			attrs = append(attrs, slog.String("user_id", p.UserID))
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, slog.String("error", c.Errors.String()))
		}
		log.LogAttrs(c.Request.Context(), level, "request", attrs...)
	}
}

// recoverPanics turns a panic into a 500 problem and logs the stack.
func recoverPanics(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if err, ok := rec.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(rec) // the client went away; let net/http handle it
			}
			log.ErrorContext(c.Request.Context(), "panic", "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			fail(c, fmt.Errorf("panic: %v", rec))
		}()
		c.Next()
	}
}

// limitBody caps request bodies. Routes that take uploads register their own,
// larger limit in limits (by route pattern). A declared Content-Length over
// the limit is refused before reading; otherwise the reader stops at the limit
// and decoding turns that into a 413.
func limitBody(def int64, limits map[string]int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := def
		if l, ok := limits[c.FullPath()]; ok {
			limit = l
		}
		if c.Request.ContentLength > limit {
			fail(c, ocop.Errorf(ocop.CodeTooLarge, "the body is larger than the %d bytes allowed", limit))
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

// securityHeaders are safe defaults for a JSON API; the docs page relaxes
// the content security policy for its own assets.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	if c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https" {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	c.Next()
}
