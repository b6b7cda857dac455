package meetings

import (
	"context"
)

// SweepResult counts what one sweep did.
type SweepResult struct {
	Expired, Warned, Reminded int
}

// Sweep expires pending requests whose time ran out (freeing the buyers'
// slots and day counts), warns producers of requests about to lapse, and
// sends the agenda reminder before each accepted meeting.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := s.Now()
	for {
		var n int
		err := s.Tx.InTx(ctx, func(ctx context.Context) (err error) {
			n, err = s.expireLapsed(ctx, now, "", "")
			return err
		})
		if err != nil {
			return res, err
		}
		res.Expired += n
		if n < expireBatch {
			break
		}
	}
	if s.Settings.ExpiryWarning > 0 {
		err := s.Tx.InTx(ctx, func(ctx context.Context) error {
			list, err := s.Repo.ClaimExpiryWarnings(ctx, now.Add(s.Settings.ExpiryWarning), now, 500)
			if err != nil {
				return err
			}
			for _, m := range list {
				if err := s.notify(ctx, NoticeExpiring, m); err != nil {
					return err
				}
			}
			res.Warned = len(list)
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	if s.Settings.ReminderBefore > 0 {
		err := s.Tx.InTx(ctx, func(ctx context.Context) error {
			list, err := s.Repo.ClaimReminders(ctx, now.Add(s.Settings.ReminderBefore), now, 500)
			if err != nil {
				return err
			}
			for _, m := range list {
				if err := s.notify(ctx, NoticeReminder, m); err != nil {
					return err
				}
			}
			res.Reminded = len(list)
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}
