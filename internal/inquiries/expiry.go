package inquiries

import (
	"context"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// expiryBatch is how many inquiries one pass of the sweep handles per
// transaction round.
const expiryBatch = 100

func (s *Service) expiryAge() time.Duration {
	return time.Duration(s.Limits.ExpiryDays) * 24 * time.Hour
}

// ExpireDue expires the open inquiries (no producer reply) older than
// Limits.ExpiryDays and tells both sides. Each inquiry changes in its own
// short transaction, re-checked under lock, so a reply that lands meanwhile
// wins. It returns how many expired.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	total := 0
	for {
		due, err := s.Inquiries.OpenCreatedBefore(ctx, s.Now().Add(-s.expiryAge()), false, expiryBatch)
		if err != nil {
			return total, err
		}
		for _, d := range due {
			done, err := s.expireOne(ctx, d.ID)
			if err != nil {
				return total, err
			}
			if done {
				total++
			}
		}
		if len(due) < expiryBatch {
			return total, nil
		}
	}
}

func (s *Service) expireOne(ctx context.Context, id string) (bool, error) {
	done := false
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		q, err := s.Inquiries.GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if q.Status != ocop.InquiryOpen || !q.CreatedAt.Before(s.Now().Add(-s.expiryAge())) {
			return nil
		}
		if err := s.transition(ctx, q, ocop.InquiryExpired, "", "expired", "no producer reply within the time limit"); err != nil {
			return err
		}
		done = true
		data := map[string]string{"listing_title": q.ListingTitle, "expiry_days": itoa(int64(s.Limits.ExpiryDays))}
		if err := s.notifyBuyer(ctx, q, ocop.NotifyInquiryExpired, data); err != nil {
			return err
		}
		return s.notifyProducer(ctx, q, ocop.NotifyInquiryExpired, "", data)
	})
	return done, err
}

// WarnExpiring tells the producer's members, once, about open inquiries
// that expire within a day. It returns how many were warned.
func (s *Service) WarnExpiring(ctx context.Context) (int, error) {
	if s.Limits.ExpiryDays < 2 {
		return 0, nil // a one-day limit leaves no time for a warning
	}
	warnAge := s.expiryAge() - 24*time.Hour
	total := 0
	for {
		due, err := s.Inquiries.OpenCreatedBefore(ctx, s.Now().Add(-warnAge), true, expiryBatch)
		if err != nil {
			return total, err
		}
		for _, d := range due {
			err := s.Tx.InTx(ctx, func(ctx context.Context) error {
				q, err := s.Inquiries.GetForUpdate(ctx, d.ID)
				if err != nil {
					return err
				}
				if q.Status != ocop.InquiryOpen || q.ExpiryWarnedAt != nil {
					return nil
				}
				now := s.Now()
				q.ExpiryWarnedAt = &now
				ok, err := s.Inquiries.Update(ctx, q, ocop.InquiryOpen)
				if err != nil || !ok {
					return err
				}
				total++
				expires := q.CreatedAt.Add(s.expiryAge()).In(ocop.Zone).Format("2006-01-02 15:04") + " (UTC+7)"
				return s.notifyProducer(ctx, q, ocop.NotifyInquiryExpiry, "", map[string]string{
					"listing_title": q.ListingTitle, "expires_at": expires,
				})
			})
			if err != nil {
				return total, err
			}
		}
		if len(due) < expiryBatch {
			return total, nil
		}
	}
}
