package store

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type outboxRow struct {
	ID          int64 `gorm:"primaryKey;autoIncrement"`
	Topic       string
	Key         string
	Payload     string
	CreatedAt   time.Time
	RunAfter    time.Time
	Attempts    int
	LockedUntil *time.Time
	LockedBy    *string
	LastError   *string
	DeadAt      *time.Time
	TraceParent *string
}

func (outboxRow) TableName() string { return "outbox" }

// Outbox is the durable queue of background work. Messages are written in the
// transaction of the change that causes them and claimed by workers with a
// lease; a worker that dies mid-batch loses nothing, because its lease runs
// out and another worker claims the messages again.
type Outbox struct{ s *Store }

// Outbox returns the outbox repository.
func (s *Store) Outbox() *Outbox { return &Outbox{s} }

var _ ocop.Outbox = (*Outbox)(nil)

// Enqueue records messages inside the caller's transaction (or on their own).
func (o *Outbox) Enqueue(ctx context.Context, msgs ...ocop.OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	now := o.s.now()
	parent := traceParent(ctx)
	rows := make([]outboxRow, len(msgs))
	for i, m := range msgs {
		payload := string(m.Payload)
		if payload == "" {
			payload = "{}"
		}
		tp := m.TraceParent
		if tp == "" {
			tp = parent
		}
		rows[i] = outboxRow{Topic: m.Topic, Key: m.Key, Payload: payload, CreatedAt: now, RunAfter: now, TraceParent: strPtr(tp)}
	}
	if err := o.s.conn(ctx).CreateInBatches(&rows, 500).Error; err != nil {
		return translate(err)
	}
	for i := range rows {
		msgs[i].ID = rows[i].ID
	}
	if hook := o.s.onEnqueue; hook != nil {
		hook()
	}
	return nil
}

// Claim leases up to limit ready messages of the given topics to worker.
// On PostgreSQL, FOR UPDATE SKIP LOCKED lets several workers claim disjoint
// batches at once; SQLite has a single writer, so its immediate transactions
// already serialise claims.
func (o *Outbox) Claim(ctx context.Context, worker string, topics []string, limit int, lease time.Duration) ([]ocop.OutboxMessage, error) {
	if len(topics) == 0 || limit <= 0 {
		return nil, nil
	}
	now := o.s.now()
	lock := ""
	if o.s.isPostgres() {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	args := []any{now.Add(lease), worker}
	args = append(args, now, now)
	for _, t := range topics {
		args = append(args, t)
	}
	args = append(args, limit)
	q := `UPDATE outbox SET locked_until = ?, locked_by = ?, attempts = attempts + 1
		WHERE id IN (
			SELECT id FROM outbox
			WHERE dead_at IS NULL AND run_after <= ? AND (locked_until IS NULL OR locked_until < ?)
			  AND topic IN (` + placeholders(len(topics)) + `)
			ORDER BY id LIMIT ?` + lock + `)
		RETURNING id, topic, key, payload, attempts, created_at, trace_parent`
	var rows []outboxRow
	if err := o.s.conn(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.OutboxMessage, len(rows))
	for i, r := range rows {
		out[i] = ocop.OutboxMessage{ID: r.ID, Topic: r.Topic, Key: r.Key, Payload: []byte(r.Payload), Attempts: r.Attempts, CreatedAt: r.CreatedAt.UTC(),
			TraceParent: strVal(r.TraceParent)}
	}
	sortMessages(out)
	return out, nil
}

// Complete deletes handled messages. Only the lease holder's rows go: if a
// lease ran out and another worker took the message over, that worker will
// complete it.
func (o *Outbox) Complete(ctx context.Context, worker string, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	return translate(o.s.conn(ctx).Exec(`DELETE FROM outbox WHERE locked_by = ? AND id IN ?`, worker, ids).Error)
}

// Fail releases a message for a later retry, or dead-letters it.
func (o *Outbox) Fail(ctx context.Context, worker string, id int64, cause string, retryAt time.Time, dead bool) error {
	if len(cause) > 2000 {
		cause = cause[:2000]
	}
	upd := map[string]any{"locked_until": nil, "locked_by": nil, "last_error": cause, "run_after": retryAt.UTC()}
	if dead {
		upd["dead_at"] = o.s.now()
	}
	return translate(o.s.conn(ctx).Model(&outboxRow{}).Where("id = ? AND locked_by = ?", id, worker).Updates(upd).Error)
}

// OutboxStats summarises the queue for metrics and readiness.
type OutboxStats struct {
	Topic       string
	Pending     int64
	Dead        int64
	OldestReady *time.Time
}

// Stats reports backlog, dead letters and the age of the oldest message per topic.
func (o *Outbox) Stats(ctx context.Context) ([]OutboxStats, error) {
	var rows []OutboxStats
	err := o.s.conn(ctx).Raw(`SELECT topic,
			SUM(CASE WHEN dead_at IS NULL THEN 1 ELSE 0 END) AS pending,
			SUM(CASE WHEN dead_at IS NULL THEN 0 ELSE 1 END) AS dead
		FROM outbox GROUP BY topic ORDER BY topic`).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	for i := range rows {
		if rows[i].Pending == 0 {
			continue
		}
		// A plain column (not MIN()) keeps its declared type, so SQLite
		// decodes it as a time; the ready index makes this a point lookup.
		var oldest []outboxRow
		if err := o.s.conn(ctx).Select("created_at").Where("topic = ? AND dead_at IS NULL", rows[i].Topic).
			Order("id").Limit(1).Find(&oldest).Error; err != nil {
			return nil, translate(err)
		}
		if len(oldest) == 1 {
			t := oldest[0].CreatedAt.UTC()
			rows[i].OldestReady = &t
		}
	}
	return rows, nil
}

// DeadLetters lists dead messages of a topic (for operators and tests).
func (o *Outbox) DeadLetters(ctx context.Context, topic string) ([]ocop.OutboxMessage, []string, error) {
	var rows []outboxRow
	if err := o.s.conn(ctx).Where("topic = ? AND dead_at IS NOT NULL", topic).Order("id").Find(&rows).Error; err != nil {
		return nil, nil, translate(err)
	}
	msgs := make([]ocop.OutboxMessage, len(rows))
	errs := make([]string, len(rows))
	for i, r := range rows {
		msgs[i] = ocop.OutboxMessage{ID: r.ID, Topic: r.Topic, Key: r.Key, Payload: []byte(r.Payload), Attempts: r.Attempts, CreatedAt: r.CreatedAt}
		if r.LastError != nil {
			errs[i] = *r.LastError
		}
	}
	return msgs, errs, nil
}

// Requeue gives dead messages of a topic another life (operator action).
func (o *Outbox) Requeue(ctx context.Context, topic string) (int64, error) {
	res := o.s.conn(ctx).Model(&outboxRow{}).Where("topic = ? AND dead_at IS NOT NULL", topic).
		Updates(map[string]any{"dead_at": nil, "attempts": 0, "run_after": o.s.now(), "locked_until": nil, "locked_by": nil})
	return res.RowsAffected, translate(res.Error)
}

func sortMessages(m []ocop.OutboxMessage) {
	// RETURNING does not promise an order; handlers see messages oldest first.
	slices.SortFunc(m, func(a, b ocop.OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
}
