package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type notificationRow struct {
	ID        string `gorm:"primaryKey"`
	UserID    string
	Kind      string
	InquiryID *string
	EventID   *string
	BookingID *string
	Data      string
	ReadAt    *time.Time
	EmailedAt *time.Time
	CreatedAt time.Time
}

func (notificationRow) TableName() string { return "notifications" }

func (r *notificationRow) toDomain() (*ocop.Notification, error) {
	n := &ocop.Notification{ID: r.ID, UserID: r.UserID, Kind: ocop.NotificationKind(r.Kind), InquiryID: strVal(r.InquiryID),
		EventID: strVal(r.EventID), BookingID: strVal(r.BookingID), ReadAt: utcPtr(r.ReadAt), EmailedAt: utcPtr(r.EmailedAt), CreatedAt: r.CreatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.Data), &n.Data); err != nil {
		return nil, err
	}
	return n, nil
}

// Notifications is the in-app notification repository.
type Notifications struct{ s *Store }

// Notifications returns the notification repository.
func (s *Store) Notifications() *Notifications { return &Notifications{s} }

// Create inserts notifications inside the caller's transaction and returns
// those it stored: a booking notification the user already has (same
// booking and kind, see migration 00051) is skipped, so that a redelivered
// outbox message notifies nobody twice.
func (r *Notifications) Create(ctx context.Context, ns ...ocop.Notification) ([]ocop.Notification, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	var plain []notificationRow
	var stored []ocop.Notification
	db := r.s.conn(ctx)
	for _, n := range ns {
		data, err := json.Marshal(n.Data)
		if err != nil {
			return nil, err
		}
		if n.Data == nil {
			data = []byte("{}")
		}
		row := notificationRow{ID: n.ID, UserID: n.UserID, Kind: string(n.Kind), InquiryID: strPtr(n.InquiryID),
			EventID: strPtr(n.EventID), BookingID: strPtr(n.BookingID),
			Data: string(data), ReadAt: utcPtr(n.ReadAt), EmailedAt: utcPtr(n.EmailedAt), CreatedAt: n.CreatedAt.UTC()}
		if n.BookingID == "" {
			plain = append(plain, row)
			stored = append(stored, n)
			continue
		}
		// One by one: RowsAffected tells whether this one was new. Under
		// concurrency the unique index makes the second insert wait for the
		// first transaction, then do nothing.
		res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return nil, translate(res.Error)
		}
		if res.RowsAffected == 1 {
			stored = append(stored, n)
		}
	}
	if len(plain) > 0 {
		if err := db.Create(&plain).Error; err != nil {
			return nil, translate(err)
		}
	}
	return stored, nil
}

// Get loads a notification.
func (r *Notifications) Get(ctx context.Context, id string) (*ocop.Notification, error) {
	var row notificationRow
	err := r.s.conn(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("notification")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain()
}

// List returns a page of a user's notifications, newest first.
func (r *Notifications) List(ctx context.Context, userID string, unreadOnly bool, before string, limit int) ([]ocop.Notification, error) {
	q := r.s.conn(ctx).Where("user_id = ?", userID)
	if unreadOnly {
		q = q.Where("read_at IS NULL")
	}
	if before != "" {
		q = q.Where("id < ?", before)
	}
	var rows []notificationRow
	if err := q.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.Notification, 0, len(rows))
	for i := range rows {
		n, err := rows[i].toDomain()
		if err != nil {
			return nil, err
		}
		out = append(out, *n)
	}
	return out, nil
}

// UnreadCount counts a user's unread notifications.
func (r *Notifications) UnreadCount(ctx context.Context, userID string) (int, error) {
	var n int64
	err := r.s.conn(ctx).Model(&notificationRow{}).Where("user_id = ? AND read_at IS NULL", userID).Count(&n).Error
	return int(n), translate(err)
}

// MarkRead marks one of the user's notifications read; not_found when it
// is not theirs.
func (r *Notifications) MarkRead(ctx context.Context, userID, id string, at time.Time) error {
	db := r.s.conn(ctx)
	res := db.Model(&notificationRow{}).Where("id = ? AND user_id = ? AND read_at IS NULL", id, userID).Update("read_at", at.UTC())
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 1 {
		return nil
	}
	var n int64
	if err := db.Model(&notificationRow{}).Where("id = ? AND user_id = ?", id, userID).Count(&n).Error; err != nil {
		return translate(err)
	}
	if n == 0 {
		return ocop.NotFound("notification")
	}
	return nil // already read
}

// MarkAllRead marks every unread notification of the user read.
func (r *Notifications) MarkAllRead(ctx context.Context, userID string, at time.Time) (int64, error) {
	res := r.s.conn(ctx).Model(&notificationRow{}).Where("user_id = ? AND read_at IS NULL", userID).Update("read_at", at.UTC())
	return res.RowsAffected, translate(res.Error)
}

// MarkEmailed records that the notification's e-mail went out.
func (r *Notifications) MarkEmailed(ctx context.Context, id string, at time.Time) error {
	return translate(r.s.conn(ctx).Model(&notificationRow{}).Where("id = ? AND emailed_at IS NULL", id).Update("emailed_at", at.UTC()).Error)
}
