package store

import (
	"context"
	"time"
)

// Leases coordinate periodic jobs across processes: a job runs only in the
// process that takes its lease, and not again before its interval has passed.
type Leases struct{ s *Store }

// Leases returns the job-lease repository.
func (s *Store) Leases() *Leases { return &Leases{s} }

// TryRun takes the lease of a periodic job if no one holds it and the job has
// not run within interval. It reports whether the caller should run the job.
func (l *Leases) TryRun(ctx context.Context, name, holder string, interval, lease time.Duration) (bool, error) {
	now := l.s.now()
	db := l.s.conn(ctx)
	if err := db.Exec(`INSERT INTO job_leases (name) VALUES (?) ON CONFLICT (name) DO NOTHING`, name).Error; err != nil {
		return false, translate(err)
	}
	res := db.Exec(`UPDATE job_leases SET locked_until = ?, locked_by = ?, last_run_at = ?
		WHERE name = ? AND (locked_until IS NULL OR locked_until < ?) AND (last_run_at IS NULL OR last_run_at <= ?)`,
		now.Add(lease), holder, now, name, now, now.Add(-interval))
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Release ends a lease and records the outcome of the run.
func (l *Leases) Release(ctx context.Context, name, holder string, runErr error) error {
	var msg *string
	if runErr != nil {
		s := runErr.Error()
		msg = &s
	}
	return translate(l.s.conn(ctx).Exec(`UPDATE job_leases SET locked_until = NULL, locked_by = NULL, last_error = ?
		WHERE name = ? AND locked_by = ?`, msg, name, holder).Error)
}

// LeaseInfo is the state of one periodic job.
type LeaseInfo struct {
	Name      string
	LastRunAt *time.Time
	LastError *string
}

// List reports every periodic job's last run.
func (l *Leases) List(ctx context.Context) ([]LeaseInfo, error) {
	var out []LeaseInfo
	err := l.s.conn(ctx).Raw(`SELECT name, last_run_at, last_error FROM job_leases ORDER BY name`).Scan(&out).Error
	return out, translate(err)
}
