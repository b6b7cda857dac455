package store

import (
	"context"
	"math"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// RateLimiter implements ocop.RateLimiter with counters in the database, so a
// limit holds across every API process. It approximates a sliding window from
// two fixed windows (the previous one weighted by how much of it still
// overlaps), which avoids the double burst a plain fixed window allows at its
// boundary.
type RateLimiter struct{ s *Store }

// RateLimiter returns the database-backed rate limiter.
func (s *Store) RateLimiter() *RateLimiter { return &RateLimiter{s} }

var _ ocop.RateLimiter = (*RateLimiter)(nil)

// Hit counts one event for key and reports whether it stayed within limit.
func (r *RateLimiter) Hit(ctx context.Context, key string, limit int, window time.Duration) (ocop.RateDecision, error) {
	return r.count(ctx, key, limit, window, true)
}

// Peek reports the decision without counting.
func (r *RateLimiter) Peek(ctx context.Context, key string, limit int, window time.Duration) (ocop.RateDecision, error) {
	return r.count(ctx, key, limit, window, false)
}

func (r *RateLimiter) count(ctx context.Context, key string, limit int, window time.Duration, hit bool) (ocop.RateDecision, error) {
	now := r.s.now()
	start := now.Truncate(window)
	prevStart := start.Add(-window)
	db := r.s.conn(ctx)
	var current int
	if hit {
		err := db.Raw(`INSERT INTO rate_counters (bucket, window_start, hits, expires_at) VALUES (?, ?, 1, ?)
			ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_counters.hits + 1
			RETURNING hits`, key, start, start.Add(2*window)).Scan(&current).Error
		if err != nil {
			return ocop.RateDecision{}, translate(err)
		}
	} else {
		if err := db.Raw(`SELECT COALESCE(MAX(hits), 0) FROM rate_counters WHERE bucket = ? AND window_start = ?`,
			key, start).Scan(&current).Error; err != nil {
			return ocop.RateDecision{}, translate(err)
		}
	}
	var previous int
	if err := db.Raw(`SELECT COALESCE(MAX(hits), 0) FROM rate_counters WHERE bucket = ? AND window_start = ?`,
		key, prevStart).Scan(&previous).Error; err != nil {
		return ocop.RateDecision{}, translate(err)
	}
	elapsed := now.Sub(start)
	overlap := 1 - float64(elapsed)/float64(window)
	// Compared unrounded: rounding the previous window's share down let
	// one event more through just after every boundary (3 of a daily 3,
	// then 1 + floor(3 x 0.98) = 3 again at 00:28).
	estimate := float64(current) + float64(previous)*overlap
	d := ocop.RateDecision{Count: int(math.Ceil(estimate)), Allowed: estimate <= float64(limit)}
	if !hit {
		d.Allowed = estimate+1 <= float64(limit)
	}
	if !d.Allowed {
		d.RetryAfter = retryAfter(current, previous, limit, elapsed, window)
	}
	return d, nil
}

// retryAfter is the time until the estimate drops back under the limit: the
// previous window's weight shrinks as time passes, and at the next boundary
// the current window becomes the previous one.
func retryAfter(current, previous, limit int, elapsed, window time.Duration) time.Duration {
	if current >= limit {
		// Even with the previous window gone, this window alone is over the
		// limit: wait for the boundary plus the share of the next window in
		// which this one still weighs too much.
		untilBoundary := window - elapsed
		share := 1 - float64(limit-1)/float64(current)
		return untilBoundary + time.Duration(math.Max(share, 0)*float64(window)) + time.Second
	}
	if previous == 0 {
		return time.Second
	}
	// Solve current + 1 + previous*(1 - t/window) <= limit for t.
	need := 1 - float64(limit-current-1)/float64(previous)
	t := time.Duration(need*float64(window)) - elapsed
	if t < time.Second {
		t = time.Second
	}
	return t
}

// Reset forgets the key's current and previous windows.
func (r *RateLimiter) Reset(ctx context.Context, key string, window time.Duration) error {
	start := r.s.now().Truncate(window)
	return translate(r.s.conn(ctx).Exec(`DELETE FROM rate_counters WHERE bucket = ? AND window_start >= ?`,
		key, start.Add(-window)).Error)
}

// Release takes back one event of the key's current window.
func (r *RateLimiter) Release(ctx context.Context, key string, window time.Duration) error {
	start := r.s.now().Truncate(window)
	return translate(r.s.conn(ctx).Exec(`UPDATE rate_counters SET hits = hits - 1 WHERE bucket = ? AND window_start = ? AND hits > 0`,
		key, start).Error)
}

// DeleteExpired removes counters whose windows no longer matter.
func (r *RateLimiter) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res := r.s.conn(ctx).Exec(`DELETE FROM rate_counters WHERE expires_at < ?`, now.UTC())
	return res.RowsAffected, translate(res.Error)
}
