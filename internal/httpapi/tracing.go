package httpapi

import (
	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// untraced are the probes and the scrape: hit every few seconds by
// machines, they would be most of the traces and say nothing.
var untraced = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// tracing is the middleware that makes each request a server span named
// after its route pattern ("GET /api/v1/me", never the concrete path),
// continuing the caller's trace from a W3C traceparent header. With tracing
// off it is nothing at all, so the request path pays nothing.
func (a *API) tracing() []gin.HandlerFunc {
	if a.Tracing == nil || !a.Tracing.Enabled() {
		return nil
	}
	mw := otelgin.Middleware(a.Tracing.ServiceName(),
		otelgin.WithTracerProvider(a.Tracing.TracerProvider()),
		otelgin.WithPropagators(a.Tracing.Propagator()),
		// Request metrics are Prometheus' job (/metrics); no OTel metrics.
		otelgin.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelgin.WithGinFilter(func(c *gin.Context) bool { return !untraced[c.FullPath()] }),
	)
	return []gin.HandlerFunc{mw, tagSpan}
}

// tagSpan puts the request ID (set by withRequestID, which runs after it)
// and the authenticated user on the server span once the request is done.
func tagSpan(c *gin.Context) {
	c.Next()
	span := trace.SpanFromContext(c.Request.Context())
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(attribute.String("ocop.request_id", requestID(c)))
	if p, ok := ocop.PrincipalFrom(c.Request.Context()); ok {
		span.SetAttributes(attribute.String("user.id", p.UserID))
	}
}
