package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ocopconnect/ocopconnect/internal/blob"
	"github.com/ocopconnect/ocopconnect/internal/blob/blobtest"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/telemetry"
)

// recording returns a context inside a recorded root span and the recorder
// that sees every span ended under it.
func recording(t *testing.T) (context.Context, trace.Span, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, root := tp.Tracer("test").Start(context.Background(), "root")
	return ctx, root, rec
}

func TestStartMakesChildSpansOnly(t *testing.T) {
	// Outside any span (tracing off, or work outside a request) Start
	// returns the context as it is and a span that records nothing.
	bg := context.Background()
	ctx, span := telemetry.Start(bg, "search.query")
	if ctx != bg || span.IsRecording() || span.SpanContext().IsValid() {
		t.Fatalf("Start outside a span made one: %v", span.SpanContext())
	}
	telemetry.End(span, errors.New("ignored"))

	ctx, root, rec := recording(t)
	cctx, child := telemetry.Start(ctx, "search.query", attribute.String("search.index", "listings"))
	if trace.SpanFromContext(cctx) != child {
		t.Fatal("the child span is not in the returned context")
	}
	telemetry.End(child, ocop.NotFound("listing"))
	_, failed := telemetry.Start(ctx, "search.index")
	telemetry.End(failed, errors.New("connection refused"))
	root.End()

	ended := rec.Ended()
	if len(ended) != 3 {
		t.Fatalf("%d spans ended, want 3", len(ended))
	}
	q, f := ended[0], ended[1]
	if q.Name() != "search.query" || q.Parent().SpanID() != root.SpanContext().SpanID() || q.SpanKind() != trace.SpanKindClient {
		t.Fatalf("child span: %s parent %v kind %v", q.Name(), q.Parent().SpanID(), q.SpanKind())
	}
	// not_found is an answer, not a failure; a refused connection is one.
	if q.Status().Code == codes.Error || len(q.Events()) != 1 {
		t.Fatalf("not_found: status %v, events %v", q.Status(), q.Events())
	}
	if f.Status().Code != codes.Error || !strings.Contains(f.Status().Description, "connection refused") {
		t.Fatalf("failure: status %v", f.Status())
	}
	attrs := map[attribute.Key]string{}
	for _, a := range q.Attributes() {
		attrs[a.Key] = a.Value.Emit()
	}
	if attrs["search.index"] != "listings" || attrs["ocop.error_code"] != "not_found" {
		t.Fatalf("attributes: %v", attrs)
	}
}

func TestCorrelateLogs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(telemetry.CorrelateLogs(telemetry.CorrelateLogs(slog.NewJSONHandler(&buf, nil)))).With("component", "test")
	ctx, root, _ := recording(t)
	ctx = ocop.WithRequestID(ctx, "req-1")

	log.InfoContext(ctx, "inside")
	log.Info("outside")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log: %s", buf.String())
	}
	var in, out map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &out); err != nil {
		t.Fatal(err)
	}
	sc := root.SpanContext()
	if in["request_id"] != "req-1" || in["trace_id"] != sc.TraceID().String() || in["span_id"] != sc.SpanID().String() || in["component"] != "test" {
		t.Fatalf("record with the request context: %v", in)
	}
	// Wrapping twice must not log the IDs twice.
	if strings.Count(lines[0], `"trace_id"`) != 1 || strings.Count(lines[0], `"request_id"`) != 1 {
		t.Fatalf("IDs repeated: %s", lines[0])
	}
	if _, has := out["trace_id"]; has || out["request_id"] != nil {
		t.Fatalf("record without a context got IDs: %v", out)
	}
}

func TestTracedBlobsKeepTheContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) ocop.Blobs {
		d, err := blob.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return telemetry.TraceBlobs(d)
	})
}

func TestTracedBlobsSpans(t *testing.T) {
	d, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := telemetry.TraceBlobs(d)
	ctx, root, rec := recording(t)
	if err := b.Put(ctx, "listings/1/a.jpg", strings.NewReader("jpeg"), 4, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(ctx, "listings/1/missing.jpg"); !ocop.IsCode(err, ocop.CodeNotFound) {
		t.Fatalf("stat of a missing key: %v", err)
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	root.End()
	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
		if s.Name() == "root" {
			continue
		}
		attrs := map[attribute.Key]string{}
		for _, a := range s.Attributes() {
			attrs[a.Key] = a.Value.Emit()
		}
		if s.Parent().SpanID() != root.SpanContext().SpanID() || attrs["ocop.blob.backend"] != "blob.Disk" || !strings.HasPrefix(attrs["ocop.blob.key"], "listings/1/") {
			t.Fatalf("span %s: parent %v attrs %v", s.Name(), s.Parent().SpanID(), attrs)
		}
		if s.Name() == "blob.put" && (attrs["ocop.blob.size"] != "4" || attrs["ocop.blob.content_type"] != "image/jpeg") {
			t.Fatalf("put attributes: %v", attrs)
		}
	}
	if strings.Join(names, ",") != "blob.put,blob.stat,root" {
		t.Fatalf("spans %v, want put, stat (Ping is not traced) and the root", names)
	}
}

func TestExportURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://otel-collector:4318":        "http://otel-collector:4318/v1/traces",
		"http://otel-collector:4318/":       "http://otel-collector:4318/v1/traces",
		"https://otlp.example.vn/v1/traces": "https://otlp.example.vn/v1/traces",
		"https://gw.example.vn/otlp/traces": "https://gw.example.vn/otlp/traces",
	} {
		got, err := telemetry.ExportURL(in)
		if err != nil || got != want {
			t.Errorf("ExportURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := telemetry.ExportURL("otel-collector:4318"); err == nil {
		t.Error("a URL without a scheme was accepted")
	}
}

func TestOffIsANoOp(t *testing.T) {
	p, err := telemetry.Setup(context.Background(), telemetry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Enabled() {
		t.Fatal("no endpoint, yet enabled")
	}
	_, span := p.TracerProvider().Tracer("x").Start(context.Background(), "s")
	if span.IsRecording() || span.SpanContext().IsValid() {
		t.Fatal("the off provider records")
	}
	if err := p.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
