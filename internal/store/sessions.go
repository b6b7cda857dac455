package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type sessionRow struct {
	ID            string `gorm:"primaryKey"`
	UserID        string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	LastUsedAt    time.Time
	RevokedAt     *time.Time
	RevokedReason *string
	UserAgent     string
	ClientIP      string `gorm:"column:client_ip"`
}

func (sessionRow) TableName() string { return "sessions" }

func (r *sessionRow) toDomain() *ocop.Session {
	s := &ocop.Session{ID: r.ID, UserID: r.UserID, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
		LastUsedAt: r.LastUsedAt.UTC(), UserAgent: r.UserAgent, ClientIP: r.ClientIP}
	if r.RevokedAt != nil {
		t := r.RevokedAt.UTC()
		s.RevokedAt = &t
	}
	if r.RevokedReason != nil {
		s.RevokedReason = *r.RevokedReason
	}
	return s
}

type refreshTokenRow struct {
	TokenHash string `gorm:"primaryKey"`
	SessionID string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func (refreshTokenRow) TableName() string { return "refresh_tokens" }

func tokenRow(t *ocop.RefreshToken) *refreshTokenRow {
	return &refreshTokenRow{TokenHash: t.TokenHash, SessionID: t.SessionID, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC(), UsedAt: t.UsedAt}
}

// Sessions is the repository of login sessions and refresh tokens.
type Sessions struct{ s *Store }

// Sessions returns the session repository.
func (s *Store) Sessions() *Sessions { return &Sessions{s} }

// Create stores a new session with its first refresh token.
func (r *Sessions) Create(ctx context.Context, sess *ocop.Session, tok *ocop.RefreshToken) error {
	db := r.s.conn(ctx)
	row := sessionRow{ID: sess.ID, UserID: sess.UserID, CreatedAt: sess.CreatedAt.UTC(), ExpiresAt: sess.ExpiresAt.UTC(),
		LastUsedAt: sess.LastUsedAt.UTC(), UserAgent: sess.UserAgent, ClientIP: sess.ClientIP}
	if err := db.Create(&row).Error; err != nil {
		return translate(err)
	}
	return translate(db.Create(tokenRow(tok)).Error)
}

// AddToken stores a rotated refresh token.
func (r *Sessions) AddToken(ctx context.Context, tok *ocop.RefreshToken) error {
	return translate(r.s.conn(ctx).Create(tokenRow(tok)).Error)
}

// TokenByHash loads a refresh token with its session.
func (r *Sessions) TokenByHash(ctx context.Context, hash string) (*ocop.RefreshToken, *ocop.Session, error) {
	var tok refreshTokenRow
	err := r.s.conn(ctx).Where("token_hash = ?", hash).Take(&tok).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ocop.NotFound("refresh token")
	}
	if err != nil {
		return nil, nil, translate(err)
	}
	sess, err := r.Get(ctx, tok.SessionID)
	if err != nil {
		return nil, nil, err
	}
	return &ocop.RefreshToken{TokenHash: tok.TokenHash, SessionID: tok.SessionID, CreatedAt: tok.CreatedAt.UTC(), ExpiresAt: tok.ExpiresAt.UTC(), UsedAt: tok.UsedAt}, sess, nil
}

// Get loads a session.
func (r *Sessions) Get(ctx context.Context, id string) (*ocop.Session, error) {
	var row sessionRow
	err := r.s.conn(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("session")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// MarkUsed marks a refresh token as rotated. It reports false when the token
// had already been used, which is how two concurrent refreshes with one token
// are told apart: only one of them wins.
func (r *Sessions) MarkUsed(ctx context.Context, hash string, at time.Time) (bool, error) {
	res := r.s.conn(ctx).Model(&refreshTokenRow{}).
		Where("token_hash = ? AND used_at IS NULL", hash).Update("used_at", at.UTC())
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Touch records the last use of a session.
func (r *Sessions) Touch(ctx context.Context, id string, at time.Time) error {
	return translate(r.s.conn(ctx).Model(&sessionRow{}).Where("id = ?", id).Update("last_used_at", at.UTC()).Error)
}

// Revoke ends a session and with it every refresh token of its family.
func (r *Sessions) Revoke(ctx context.Context, id, reason string, at time.Time) error {
	return translate(r.s.conn(ctx).Model(&sessionRow{}).
		Where("id = ? AND revoked_at IS NULL", id).
		Updates(map[string]any{"revoked_at": at.UTC(), "revoked_reason": reason}).Error)
}

// KnownClientIP reports whether the user has logged in from ip since since.
// Login throttling lets such an IP past the account-wide lock, so an attacker
// hammering an account from elsewhere cannot lock its owner out.
func (r *Sessions) KnownClientIP(ctx context.Context, userID, ip string, since time.Time) (bool, error) {
	var n int64
	err := r.s.conn(ctx).Model(&sessionRow{}).Where("user_id = ? AND client_ip = ? AND created_at >= ?", userID, ip, since.UTC()).Limit(1).Count(&n).Error
	return n > 0, translate(err)
}

// ActiveUser loads the account behind an access token in one query: the
// session must be live and belong to the user. It runs on every
// authenticated request, so it is a prepared statement scanned by hand
// rather than a GORM query (which cost more than the rest of the request).
func (r *Sessions) ActiveUser(ctx context.Context, sessionID, userID string, now time.Time) (_ *ocop.User, err error) {
	const query = `SELECT u.id, u.email, u.display_name, u.roles, u.language, u.created_at, u.updated_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?`
	ctx, end := r.s.traceQuery(ctx, "select sessions users", query)
	defer func() { end(err) }()
	stmt, err := r.s.prepared(ctx, query)
	if err != nil {
		return nil, translate(err)
	}
	var (
		u     ocop.User
		roles string
		lang  string
	)
	err = stmt.QueryRowContext(ctx, sessionID, userID, r.s.timeArg(now)).
		Scan(&u.ID, &u.Email, &u.DisplayName, &roles, &lang, &u.CreatedAt, &u.UpdatedAt)
	if isNoRows(err) {
		return nil, ocop.Errorf(ocop.CodeInvalidToken, "the session has ended; log in again")
	}
	if err != nil {
		return nil, translate(err)
	}
	u.Roles, u.Language = decodeRoles(roles), ocop.Language(lang)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return &u, nil
}

// DeleteExpired removes sessions (and their tokens) that ended before cutoff.
func (r *Sessions) DeleteExpired(ctx context.Context, cutoff time.Time) (int64, error) {
	res := r.s.conn(ctx).Where("expires_at < ?", cutoff.UTC()).Delete(&sessionRow{})
	return res.RowsAffected, translate(res.Error)
}
