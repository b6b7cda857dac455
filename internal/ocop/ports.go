package ocop

import (
	"context"
	"encoding/json"
	"time"
)

// Transactor runs fn in one database transaction. The transaction travels in
// the context passed to fn: every repository call made with that context joins
// it, so a use case cannot accidentally write half of its change outside the
// transaction (on SQLite that would even deadlock). Nesting is an error.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// OutboxMessage is a unit of background work recorded in the same transaction
// as the change that caused it, so the work is never lost and never runs for
// a change that was rolled back.
type OutboxMessage struct {
	ID    int64
	Topic string
	// Key names the object the message is about (e.g. a listing ID). Handlers
	// read the object's current state by key, so a stale message can never
	// overwrite newer data.
	Key      string
	Payload  json.RawMessage
	Attempts int
	// CreatedAt is when the change was committed; the relay reports lag from it.
	CreatedAt time.Time
	// TraceParent is the W3C traceparent of the span that wrote the
	// message ("" outside a traced request or job); the outbox fills it from
	// the context. The batch span that handles the message links to it.
	TraceParent string
}

// Outbox records background work inside the caller's transaction.
type Outbox interface {
	Enqueue(ctx context.Context, msgs ...OutboxMessage) error
}

// AuditEntry records who changed what. Before/After are JSON snapshots of the
// fields that matter for the action.
type AuditEntry struct {
	ActorID    string // empty for the system (e.g. a sweep job)
	Action     string // e.g. "user.role_granted"
	ObjectType string
	ObjectID   string
	Before     any
	After      any
}

// AuditLog appends audit entries inside the caller's transaction.
type AuditLog interface {
	Record(ctx context.Context, e AuditEntry) error
}

// RateDecision is the outcome of counting one hit against a limit.
type RateDecision struct {
	Allowed    bool
	Count      int
	RetryAfter time.Duration
}

// RateLimiter counts events per key in fixed windows stored in the database,
// so limits hold across every API process.
type RateLimiter interface {
	// Hit counts one event and reports whether the key is still within limit.
	Hit(ctx context.Context, key string, limit int, window time.Duration) (RateDecision, error)
	// Peek reports whether the key is over limit without counting an event.
	Peek(ctx context.Context, key string, limit int, window time.Duration) (RateDecision, error)
	// Reset forgets a key's current window (e.g. after a successful login).
	Reset(ctx context.Context, key string, window time.Duration) error
	// Release takes back one event counted by Hit in the current window: a
	// reservation that turned out not to count (a login that succeeded).
	Release(ctx context.Context, key string, window time.Duration) error
}

// Clock returns the current time; tests substitute a fake one.
type Clock func() time.Time

// IdempotencyRecord is the stored outcome of a request made with an
// Idempotency-Key: replayed verbatim to a retry with the same key and body.
type IdempotencyRecord struct {
	UserID      string
	Key         string
	Fingerprint string
	Status      int
	Headers     map[string]string
	Body        []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
}
