package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type idempotencyRow struct {
	UserID          string `gorm:"primaryKey"`
	Key             string `gorm:"primaryKey"`
	Fingerprint     string
	ResponseStatus  int
	ResponseHeaders string
	ResponseBody    []byte
	CreatedAt       time.Time
	ExpiresAt       time.Time
}

func (idempotencyRow) TableName() string { return "idempotency_keys" }

// IdempotencyKeys stores responses for replay.
type IdempotencyKeys struct{ s *Store }

// IdempotencyKeys returns the idempotency-key repository.
func (s *Store) IdempotencyKeys() *IdempotencyKeys { return &IdempotencyKeys{s} }

// Reserve claims (user, key) inside the caller's outer transaction. It
// returns nil when the key is new; otherwise the record already committed by
// an earlier request. A concurrent request with the same key waits here until
// the first one ends (the primary key makes it: PostgreSQL blocks the
// conflicting insert, SQLite's single writer blocks at BEGIN), then either
// sees its record or, if it rolled back, takes the key itself; so a
// duplicate can never run twice.
func (k *IdempotencyKeys) Reserve(ctx context.Context, rec *ocop.IdempotencyRecord) (*ocop.IdempotencyRecord, error) {
	db := k.s.conn(ctx)
	res := db.Exec(`INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_headers, response_body, created_at, expires_at)
		VALUES (?, ?, ?, 0, '{}', ?, ?, ?) ON CONFLICT (user_id, key) DO NOTHING`,
		rec.UserID, rec.Key, rec.Fingerprint, []byte{}, rec.CreatedAt.UTC(), rec.ExpiresAt.UTC())
	if res.Error != nil {
		return nil, translate(res.Error)
	}
	if res.RowsAffected == 1 {
		return nil, nil
	}
	var row idempotencyRow
	err := db.Where("user_id = ? AND key = ?", rec.UserID, rec.Key).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, &ocop.Error{Code: ocop.CodeIdempotencyBusy, Message: "a request with this Idempotency-Key is in progress; retry shortly", RetryAfter: time.Second}
	}
	if err != nil {
		return nil, translate(err)
	}
	out := &ocop.IdempotencyRecord{UserID: row.UserID, Key: row.Key, Fingerprint: row.Fingerprint, Status: row.ResponseStatus,
		Body: row.ResponseBody, CreatedAt: row.CreatedAt.UTC(), ExpiresAt: row.ExpiresAt.UTC()}
	if err := json.Unmarshal([]byte(row.ResponseHeaders), &out.Headers); err != nil {
		return nil, err
	}
	return out, nil
}

// Complete stores the response of the request that reserved the key.
func (k *IdempotencyKeys) Complete(ctx context.Context, rec *ocop.IdempotencyRecord) error {
	headers, err := json.Marshal(rec.Headers)
	if err != nil {
		return err
	}
	return translate(k.s.conn(ctx).Model(&idempotencyRow{}).
		Where("user_id = ? AND key = ?", rec.UserID, rec.Key).
		Updates(map[string]any{"response_status": rec.Status, "response_headers": string(headers), "response_body": rec.Body}).Error)
}

// DeleteExpired drops keys past their retention.
func (k *IdempotencyKeys) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res := k.s.conn(ctx).Where("expires_at < ?", now.UTC()).Delete(&idempotencyRow{})
	return res.RowsAffected, translate(res.Error)
}
