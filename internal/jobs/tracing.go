package jobs

import (
	"context"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// startBatchSpan begins the consumer span of one outbox batch: the
// handler's calls (search index, media, SMTP) and the completion writes
// become its children. A batch gathers messages written by many requests,
// so it is a trace of its own with a link to each request's span (the
// messages carry their writer's traceparent), as OpenTelemetry's messaging
// conventions do for batch processing.
func (r *Runner) startBatchSpan(ctx context.Context, worker string, t Topic, msgs []ocop.OutboxMessage) (context.Context, trace.Span) {
	return r.tracer.Start(ctx, "outbox "+t.Name, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithNewRoot(), trace.WithLinks(writerLinks(msgs)...),
		trace.WithAttributes(
			semconv.MessagingSystemKey.String("ocop.outbox"),
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingDestinationName(t.Name),
			semconv.MessagingBatchMessageCount(len(msgs)),
			attribute.String("ocop.worker", worker),
		))
}

// writerLinks links to the spans that wrote the messages, once each.
func writerLinks(msgs []ocop.OutboxMessage) []trace.Link {
	var links []trace.Link
	seen := map[trace.SpanID]bool{}
	for _, m := range msgs {
		if m.TraceParent == "" {
			continue
		}
		ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": m.TraceParent})
		sc := trace.SpanContextFromContext(ctx)
		if !sc.IsValid() || seen[sc.SpanID()] {
			continue
		}
		seen[sc.SpanID()] = true
		links = append(links, trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{
			attribute.String("messaging.message.id", strconv.FormatInt(m.ID, 10)),
		}})
	}
	return links
}

// failSpan notes a failed message on its batch's span.
func failSpan(span trace.Span, m ocop.OutboxMessage, err error, dead bool) {
	if !span.IsRecording() {
		return
	}
	span.RecordError(err, trace.WithAttributes(
		attribute.String("messaging.message.id", strconv.FormatInt(m.ID, 10)),
		attribute.Int("ocop.outbox.attempt", m.Attempts),
		attribute.Bool("ocop.outbox.dead", dead),
	))
	span.SetStatus(codes.Error, "some messages failed")
}

func (r *Runner) startPeriodicSpan(ctx context.Context, p Periodic) (context.Context, trace.Span) {
	return r.tracer.Start(ctx, "periodic "+p.Name, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.String("ocop.job", p.Name)))
}

func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
