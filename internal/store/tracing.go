package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// UseTracing makes every GORM statement (and the hand-written hot-path
// queries) a client span under the span in its context. Statements outside
// any recorded span (the workers' idle polls, periodic leases) make none: a
// trace per poll every half second would bury the traces that matter.
//
// This is a few GORM callbacks rather than gorm.io/plugin/opentelemetry:
// that plugin's tracing package imports the MySQL and ClickHouse drivers
// (for a type switch), which would put both drivers and the ClickHouse
// client's dependencies into our static binary.
func (s *Store) UseTracing(tp trace.TracerProvider) error {
	s.tracer = tp.Tracer("github.com/ocopconnect/ocopconnect/internal/store")
	type registrar interface {
		Register(name string, fn func(*gorm.DB)) error
	}
	cb := s.db.Callback()
	for _, r := range [][2]registrar{
		{cb.Create().Before("gorm:create"), cb.Create().After("gorm:create")},
		{cb.Query().Before("gorm:query"), cb.Query().After("gorm:query")},
		{cb.Update().Before("gorm:update"), cb.Update().After("gorm:update")},
		{cb.Delete().Before("gorm:delete"), cb.Delete().After("gorm:delete")},
		{cb.Row().Before("gorm:row"), cb.Row().After("gorm:row")},
		{cb.Raw().Before("gorm:raw"), cb.Raw().After("gorm:raw")},
	} {
		if err := r[0].Register("ocop:trace_start", s.traceStart); err != nil {
			return err
		}
		if err := r[1].Register("ocop:trace_end", s.traceEnd); err != nil {
			return err
		}
	}
	return nil
}

// spanContext marks a statement context that carries our span, and keeps
// the caller's context to put back afterwards.
type spanContext struct {
	context.Context
	parent context.Context
}

func (s *Store) traceStart(tx *gorm.DB) {
	parent := tx.Statement.Context
	if parent == nil || !trace.SpanFromContext(parent).IsRecording() {
		return
	}
	// The name is set properly once the SQL is built (traceEnd).
	ctx, _ := s.tracer.Start(parent, "db", trace.WithSpanKind(trace.SpanKindClient))
	tx.Statement.Context = spanContext{ctx, parent}
}

func (s *Store) traceEnd(tx *gorm.DB) {
	sc, ok := tx.Statement.Context.(spanContext)
	if !ok {
		return
	}
	tx.Statement.Context = sc.parent
	span := trace.SpanFromContext(sc.Context)
	query := tx.Statement.SQL.String()
	op := sqlOperation(query)
	name := op
	if tx.Statement.Table != "" {
		name += " " + tx.Statement.Table
		span.SetAttributes(semconv.DBCollectionName(tx.Statement.Table))
	}
	span.SetName(name)
	// The SQL has placeholders, never the values: those can be password
	// hashes and tokens.
	span.SetAttributes(s.dbSystem(), semconv.DBOperationName(op), semconv.DBQueryText(query), semconv.DBQuerySummary(name))
	if tx.Statement.RowsAffected >= 0 {
		span.SetAttributes(attribute.Int64("db.rows_affected", tx.Statement.RowsAffected))
	}
	if err := tx.Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && !errors.Is(err, sql.ErrNoRows) {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// traceQuery spans a hand-written query (hot paths that skip GORM). The
// returned function ends it with the query's error.
func (s *Store) traceQuery(ctx context.Context, name, query string) (context.Context, func(error)) {
	if s.tracer == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, func(error) {}
	}
	ctx, span := s.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(s.dbSystem(), semconv.DBOperationName(sqlOperation(query)), semconv.DBQueryText(query), semconv.DBQuerySummary(name)))
	return ctx, func(err error) {
		// An answer such as "the session has ended" is not a failure of the query.
		if code := ocop.ErrorCode(err); err != nil && !errors.Is(err, sql.ErrNoRows) && (code == ocop.CodeInternal || code == ocop.CodeUnavailable) {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

func (s *Store) dbSystem() attribute.KeyValue {
	if s.isPostgres() {
		return semconv.DBSystemNamePostgreSQL
	}
	return semconv.DBSystemNameSQLite
}

// sqlOperation is the statement's first keyword, lower-cased ("select").
func sqlOperation(query string) string {
	q := strings.TrimLeft(query, " \t\r\n;(")
	end := strings.IndexFunc(q, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '(' })
	if end < 0 {
		end = len(q)
	}
	return strings.ToLower(q[:end])
}

// traceParent is the W3C traceparent of the span in ctx ("" when there is
// none), written with the outbox messages so that the batch handling them
// can link back to the request or job that wrote them.
func traceParent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c.Get("traceparent")
}
