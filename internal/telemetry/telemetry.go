// Package telemetry is the service's OpenTelemetry tracing: a tracer
// provider exporting over OTLP/HTTP when OCOP_OTEL_ENDPOINT is set (and a
// no-op one otherwise, so that a service without a collector pays nothing),
// the Start/End helpers adapters use to trace their network calls, a tracing
// decorator for the media port, and a slog handler that stamps request and
// trace IDs on every log record made with a request's context.
//
// No global OpenTelemetry state is set: the provider is handed to the HTTP
// layer, the store and the job runner by the composition root, and spans of
// adapters hang off the span already in the context. Several wired services
// in one process (tests) therefore never see each other's traces.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// ScopeName is the instrumentation scope of the service's own spans.
const ScopeName = "github.com/ocopconnect/ocopconnect"

// Config selects and tunes tracing.
type Config struct {
	// Endpoint is the OTLP/HTTP URL of a collector. A URL without a path
	// ("http://otel-collector:4318") gets the standard /v1/traces; any other
	// path is used as given. Empty: tracing is off.
	Endpoint    string
	ServiceName string
	Version     string
	// SampleRatio is the share of new traces recorded (0..1). Requests that
	// arrive with a sampled W3C traceparent are always recorded.
	SampleRatio float64
}

// Provider owns the tracer provider of one wired service.
type Provider struct {
	tp      trace.TracerProvider
	sdk     *sdktrace.TracerProvider // nil when tracing is off
	service string
}

// Off is a provider that records nothing.
func Off() *Provider { return &Provider{tp: noop.NewTracerProvider(), service: "ocopconnect"} }

// Setup builds the provider described by cfg. With no endpoint it returns
// Off(): no exporter, no goroutine, no connection attempt.
func Setup(ctx context.Context, cfg Config) (*Provider, error) {
	if cfg.Endpoint == "" {
		return Off(), nil
	}
	endpoint, err := ExportURL(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	name := cfg.ServiceName
	if name == "" {
		name = "ocopconnect"
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(name), semconv.ServiceVersion(cfg.Version)}
	if host, err := os.Hostname(); err == nil {
		// Replicas share a service name; the instance tells them apart.
		attrs = append(attrs, semconv.ServiceInstanceID(fmt.Sprintf("%s/%d", host, os.Getpid())))
	}
	// OTEL_RESOURCE_ATTRIBUTES (deployment.environment and the like) is
	// honoured; our own attributes win over it.
	res, err := resource.Merge(resource.Environment(), resource.NewWithAttributes(semconv.SchemaURL, attrs...))
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	ratio := min(max(cfg.SampleRatio, 0), 1)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	)
	return &Provider{tp: tp, sdk: tp, service: name}, nil
}

// ExportURL turns OCOP_OTEL_ENDPOINT into the URL spans are posted to.
func ExportURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("OTLP endpoint %q is not an http(s) URL", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

// Enabled reports whether spans are recorded and exported.
func (p *Provider) Enabled() bool { return p.sdk != nil }

// ServiceName is the service.name spans are exported under.
func (p *Provider) ServiceName() string { return p.service }

// TracerProvider is the provider to hand to instrumentation.
func (p *Provider) TracerProvider() trace.TracerProvider { return p.tp }

// Propagator reads and writes W3C trace context (traceparent, tracestate).
func (p *Provider) Propagator() propagation.TextMapPropagator { return propagation.TraceContext{} }

// ForceFlush exports every finished span now.
func (p *Provider) ForceFlush(ctx context.Context) error {
	if p.sdk == nil {
		return nil
	}
	return p.sdk.ForceFlush(ctx)
}

// Shutdown flushes the spans still buffered and stops the exporter. It waits
// at most a few seconds: a collector that is down must not hold up a
// graceful exit.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p.sdk == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return p.sdk.Shutdown(ctx)
}

// noSpan is what Start returns when there is nothing to trace under.
var noSpan = trace.SpanFromContext(context.Background())

// Start begins a client span named name ("search.query", "blob.put") as a
// child of the span in ctx, for an adapter's call to a network service.
// Without a recording span in ctx (tracing off, a sampled-out trace, or
// work outside any request or job) it returns ctx unchanged and a no-op
// span at the cost of one context lookup. End the span with End.
//
//	ctx, span := telemetry.Start(ctx, "search.query", attribute.String("search.index", name))
//	defer func() { telemetry.End(span, err) }()
func Start(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, noSpan
	}
	return parent.TracerProvider().Tracer(ScopeName).Start(ctx, name,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// End records err on span (an ocop not_found is an answer, not a failure)
// and ends it.
func End(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.RecordError(err)
		if !ocop.IsCode(err, ocop.CodeNotFound) {
			span.SetStatus(codes.Error, err.Error())
		}
		var oe *ocop.Error
		if errors.As(err, &oe) {
			span.SetAttributes(attribute.String("ocop.error_code", string(oe.Code)))
		}
	}
	span.End()
}
