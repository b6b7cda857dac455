package store

import (
	"context"
	"slices"
	"time"
)

type pingRow struct {
	Key        string `gorm:"primaryKey"`
	EnqueuedAt time.Time
	HandledAt  *time.Time
	HandledBy  *string
	Deliveries int
}

func (pingRow) TableName() string { return "job_pings" }

// PingRecord is one ping as stored.
type PingRecord struct {
	Key        string
	EnqueuedAt time.Time
	HandledAt  *time.Time
	HandledBy  string
	Deliveries int
}

// Pings records the pings that operators send through the background path
// (ocopconnect jobs ping) and their delivery.
type Pings struct{ s *Store }

// Pings returns the ping repository.
func (s *Store) Pings() *Pings { return &Pings{s} }

// pingChunk keeps IN lists far below both dialects' parameter limits.
const pingChunk = 500

// Create records pings as enqueued now (inside the caller's transaction, with
// their outbox messages).
func (p *Pings) Create(ctx context.Context, keys ...string) error {
	now := p.s.now()
	rows := make([]pingRow, len(keys))
	for i, k := range keys {
		rows[i] = pingRow{Key: k, EnqueuedAt: now}
	}
	return translate(p.s.conn(ctx).CreateInBatches(&rows, pingChunk).Error)
}

// MarkHandled counts one delivery of each ping; the first delivery's time and
// handler stay, so a redelivery shows only in the count.
func (p *Pings) MarkHandled(ctx context.Context, by string, keys ...string) error {
	now := p.s.now()
	for c := range slices.Chunk(keys, pingChunk) {
		if err := p.s.conn(ctx).Exec(`UPDATE job_pings SET deliveries = deliveries + 1,
				handled_at = COALESCE(handled_at, ?), handled_by = COALESCE(handled_by, ?)
			WHERE key IN ?`, now, by, c).Error; err != nil {
			return translate(err)
		}
	}
	return nil
}

// Get returns the pings with the given keys (missing keys are left out).
func (p *Pings) Get(ctx context.Context, keys ...string) ([]PingRecord, error) {
	out := make([]PingRecord, 0, len(keys))
	for c := range slices.Chunk(keys, pingChunk) {
		var rows []pingRow
		if err := p.s.conn(ctx).Where("key IN ?", c).Find(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, r := range rows {
			rec := PingRecord{Key: r.Key, EnqueuedAt: r.EnqueuedAt.UTC(), Deliveries: r.Deliveries}
			if r.HandledAt != nil {
				t := r.HandledAt.UTC()
				rec.HandledAt = &t
			}
			if r.HandledBy != nil {
				rec.HandledBy = *r.HandledBy
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

// DeleteBefore drops pings enqueued before t (housekeeping).
func (p *Pings) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	res := p.s.conn(ctx).Where("enqueued_at < ?", t.UTC()).Delete(&pingRow{})
	return res.RowsAffected, translate(res.Error)
}
