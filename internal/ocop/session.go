package ocop

import "time"

// Session is one login: the family of refresh tokens rotated from it. Ending
// the session (logout, or the reuse of an already-rotated refresh token,
// which means the family leaked) ends every token in it.
type Session struct {
	ID            string
	UserID        string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	LastUsedAt    time.Time
	RevokedAt     *time.Time
	RevokedReason string
	UserAgent     string
	ClientIP      string
}

// Active reports whether the session can still be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// RefreshToken is a stored refresh token. Only its SHA-256 hash is kept.
type RefreshToken struct {
	TokenHash string
	SessionID string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}
