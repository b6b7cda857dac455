package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// CorrelateLogs wraps h so that every record logged with a context carries
// that context's request_id (see ocop.WithRequestID) and, inside a recorded
// span, trace_id and span_id: a log line can be found from a trace and the
// trace from a log line. Records logged without a context (log.Info rather
// than log.InfoContext) get nothing. Wrapping twice is harmless.
func CorrelateLogs(h slog.Handler) slog.Handler {
	if _, ok := h.(correlating); ok {
		return h
	}
	return correlating{h}
}

type correlating struct{ inner slog.Handler }

func (c correlating) Enabled(ctx context.Context, l slog.Level) bool { return c.inner.Enabled(ctx, l) }

func (c correlating) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if id := ocop.RequestIDFrom(ctx); id != "" {
			r.AddAttrs(slog.String("request_id", id))
		}
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		}
	}
	return c.inner.Handle(ctx, r)
}

func (c correlating) WithAttrs(as []slog.Attr) slog.Handler {
	return correlating{c.inner.WithAttrs(as)}
}

func (c correlating) WithGroup(name string) slog.Handler {
	return correlating{c.inner.WithGroup(name)}
}
