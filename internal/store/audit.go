package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type auditRow struct {
	ID         string `gorm:"primaryKey"`
	At         time.Time
	ActorID    *string
	Action     string
	ObjectType string
	ObjectID   string
	BeforeJSON *string `gorm:"column:before_json"`
	AfterJSON  *string `gorm:"column:after_json"`
	RequestID  string
}

func (auditRow) TableName() string { return "audit_log" }

// AuditLog implements ocop.AuditLog.
type AuditLog struct{ s *Store }

// AuditLog returns the audit trail repository.
func (s *Store) AuditLog() *AuditLog { return &AuditLog{s} }

var _ ocop.AuditLog = (*AuditLog)(nil)

// Record appends an entry inside the caller's transaction.
func (a *AuditLog) Record(ctx context.Context, e ocop.AuditEntry) error {
	return a.RecordMany(ctx, e)
}

// AuditRecord is a stored audit entry as read back.
type AuditRecord struct {
	At         time.Time
	ActorID    string
	Action     string
	ObjectType string
	ObjectID   string
	Before     json.RawMessage
	After      json.RawMessage
	RequestID  string
}

// ForObject lists an object's audit trail, oldest first.
func (a *AuditLog) ForObject(ctx context.Context, objectType, objectID string) ([]AuditRecord, error) {
	var rows []auditRow
	if err := a.s.conn(ctx).Where("object_type = ? AND object_id = ?", objectType, objectID).
		Order("at, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]AuditRecord, 0, len(rows))
	for _, r := range rows {
		rec := AuditRecord{At: r.At.UTC(), Action: r.Action, ObjectType: r.ObjectType, ObjectID: r.ObjectID, RequestID: r.RequestID}
		if r.ActorID != nil {
			rec.ActorID = *r.ActorID
		}
		if r.BeforeJSON != nil {
			rec.Before = json.RawMessage(*r.BeforeJSON)
		}
		if r.AfterJSON != nil {
			rec.After = json.RawMessage(*r.AfterJSON)
		}
		out = append(out, rec)
	}
	return out, nil
}

func jsonOrNil(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}
