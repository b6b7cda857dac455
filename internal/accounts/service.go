package accounts

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// UserRepo is what the use case needs from the account store.
type UserRepo interface {
	Create(ctx context.Context, u *ocop.User) error
	Get(ctx context.Context, id string) (*ocop.User, error)
	GetByEmail(ctx context.Context, email string) (*ocop.User, error)
	SetRoles(ctx context.Context, id string, roles []ocop.Role, at time.Time) error
	SetPassword(ctx context.Context, id, hash string, at time.Time) error
}

// SessionRepo is what the use case needs from the session store.
type SessionRepo interface {
	Create(ctx context.Context, s *ocop.Session, t *ocop.RefreshToken) error
	AddToken(ctx context.Context, t *ocop.RefreshToken) error
	TokenByHash(ctx context.Context, hash string) (*ocop.RefreshToken, *ocop.Session, error)
	MarkUsed(ctx context.Context, hash string, at time.Time) (bool, error)
	Touch(ctx context.Context, id string, at time.Time) error
	Revoke(ctx context.Context, id, reason string, at time.Time) error
	ActiveUser(ctx context.Context, sessionID, userID string, now time.Time) (*ocop.User, error)
	KnownClientIP(ctx context.Context, userID, ip string, since time.Time) (bool, error)
}

// Throttle sets the login limits.
type Throttle struct {
	MaxFailuresPerAccountIP int
	MaxFailuresPerAccount   int
	MaxFailuresPerIP        int
	Window                  time.Duration
}

// Service is the accounts use case.
type Service struct {
	Tx         ocop.Transactor
	Users      UserRepo
	Sessions   SessionRepo
	Limiter    ocop.RateLimiter
	Audit      ocop.AuditLog
	Signer     *Signer
	RefreshTTL time.Duration
	Throttle   Throttle
	Now        ocop.Clock
}

// RegisterInput is a self-service sign-up.
type RegisterInput struct {
	Email       string
	Password    string
	DisplayName string
	Role        ocop.Role
	Language    ocop.Language
}

func (in *RegisterInput) normalize() {
	in.Email = ocop.NormalizeEmail(in.Email)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if in.Language == "" {
		in.Language = ocop.LangVietnamese
	}
}

func (in *RegisterInput) validate(allowStaffRoles bool) error {
	var v ocop.Validation
	ocop.ValidateEmail(&v, "email", in.Email)
	ocop.ValidatePassword(&v, "password", in.Password, in.Email)
	switch {
	case in.DisplayName == "":
		v.Add("display_name", "is required")
	case utf8.RuneCountInString(in.DisplayName) > 120:
		v.Add("display_name", "must be at most 120 characters")
	}
	switch {
	case in.Role == "":
		v.Add("role", "is required (buyer or producer)")
	case !in.Role.Valid():
		v.Add("role", "must be one of buyer, producer, organiser, admin")
	case !allowStaffRoles && !in.Role.SelfServiceRole():
		v.Add("role", "must be buyer or producer; organiser and admin roles are granted by an admin")
	}
	v.Check(in.Language.Valid(), "language", "must be vi or en")
	return v.Err()
}

// Register creates a buyer or producer account.
func (s *Service) Register(ctx context.Context, in RegisterInput) (*ocop.User, error) {
	in.normalize()
	if err := in.validate(false); err != nil {
		return nil, err
	}
	return s.create(ctx, in, "")
}

// CreateUser creates an account with any role (the admin command line).
func (s *Service) CreateUser(ctx context.Context, in RegisterInput) (*ocop.User, error) {
	in.normalize()
	if err := in.validate(true); err != nil {
		return nil, err
	}
	return s.create(ctx, in, "")
}

func (s *Service) create(ctx context.Context, in RegisterInput, actor string) (*ocop.User, error) {
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	u := &ocop.User{
		ID: uuid.Must(uuid.NewV7()).String(), Email: in.Email, DisplayName: in.DisplayName,
		Roles: []ocop.Role{in.Role}, Language: in.Language, PasswordHash: hash, CreatedAt: now, UpdatedAt: now,
	}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.Users.Create(ctx, u); err != nil {
			return err
		}
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: actor, Action: "user.created", ObjectType: "user", ObjectID: u.ID,
			After: map[string]any{"email": u.Email, "roles": u.Roles}})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// LoginInput is an e-mail/password login with where it came from.
type LoginInput struct {
	Email     string
	Password  string
	ClientIP  string
	UserAgent string
}

var errBadCredentials = ocop.Errorf(ocop.CodeInvalidCredentials, "the e-mail or password is wrong")

// Login checks credentials and opens a session. An unknown e-mail and a wrong
// password get the same answer after the same work.
func (s *Service) Login(ctx context.Context, in LoginInput) (*TokenPair, error) {
	email := ocop.NormalizeEmail(in.Email)
	if email == "" || in.Password == "" || len(in.Password) > 4*ocop.PasswordMaxLength {
		var v ocop.Validation
		v.Check(email != "", "email", "is required")
		v.Check(in.Password != "", "password", "is required")
		v.Check(len(in.Password) <= 4*ocop.PasswordMaxLength, "password", "is too long")
		return nil, v.Err()
	}
	user, err := s.Users.GetByEmail(ctx, email)
	if err != nil && !ocop.IsCode(err, ocop.CodeNotFound) {
		return nil, err
	}
	reserved, err := s.reserveAttempt(ctx, email, in.ClientIP, user)
	if err != nil {
		return nil, err
	}
	hash := dummyHash
	if user != nil {
		hash = user.PasswordHash
	}
	if !checkPassword(in.Password, hash) || user == nil {
		if err := s.countFailure(ctx, email, in.ClientIP, reserved); err != nil {
			return nil, err
		}
		return nil, errBadCredentials
	}
	if err := s.release(ctx, reserved); err != nil {
		return nil, err
	}
	if err := s.Limiter.Reset(ctx, accountIPKey(email, in.ClientIP), s.Throttle.Window); err != nil {
		return nil, err
	}
	return s.openSession(ctx, user, in)
}

func accountIPKey(email, ip string) string { return "login:account-ip:" + email + "|" + ip }
func accountKey(email string) string       { return "login:account:" + email }
func ipKey(ip string) string               { return "login:ip:" + ip }

// reserveAttempt refuses a login attempt while too many recent ones failed.
// Three limits apply: per account from this IP (tight), per IP (against
// spraying many accounts) and per account from anywhere (against a botnet).
// The last one could let an attacker lock the owner out, so it does not apply
// to an IP the owner has logged in from in the last 30 days; and all limits
// are windows that end, never permanent locks.
//
// The account limits count the attempt BEFORE the password is checked: the
// counter is a reservation, so k guesses at one account arriving at the
// same instant get k distinct counts and at most the limit are checked (a
// check followed by a count let all k through; under such a burst the two
// account limits' reservations can also crowd each other out, so fewer may
// be checked, never more). A refused attempt and a successful login take
// their reservations back; a failed one keeps them as its failures. The
// per-IP limit is only checked (and counted on failure):
// reserving there would refuse the legitimate logins of everyone behind one
// office or campus address that happen to be in flight together, so a burst
// spraying many accounts from one IP can overshoot it, while each account
// stays held to its own limit. It returns the keys reserved.
func (s *Service) reserveAttempt(ctx context.Context, email, ip string, user *ocop.User) ([]string, error) {
	t := s.Throttle
	type check struct {
		key     string
		limit   int
		reserve bool
	}
	checks := []check{
		{accountIPKey(email, ip), t.MaxFailuresPerAccountIP, true},
		{ipKey(ip), t.MaxFailuresPerIP, false},
	}
	known := false
	if user != nil {
		var err error
		if known, err = s.Sessions.KnownClientIP(ctx, user.ID, ip, s.Now().Add(-30*24*time.Hour)); err != nil {
			return nil, err
		}
	}
	if !known {
		checks = append(checks, check{accountKey(email), t.MaxFailuresPerAccount, true})
	}
	var reserved []string
	var wait time.Duration
	for _, c := range checks {
		var d ocop.RateDecision
		var err error
		if c.reserve {
			d, err = s.Limiter.Hit(ctx, c.key, c.limit, t.Window)
		} else {
			d, err = s.Limiter.Peek(ctx, c.key, c.limit, t.Window)
		}
		if err != nil {
			return nil, errors.Join(err, s.release(ctx, reserved))
		}
		if c.reserve {
			reserved = append(reserved, c.key)
		}
		if !d.Allowed && d.RetryAfter > wait {
			wait = d.RetryAfter
		}
	}
	if wait > 0 {
		// Not an attempt at the password: it does not count as a failure.
		if err := s.release(ctx, reserved); err != nil {
			return nil, err
		}
		return nil, &ocop.Error{Code: ocop.CodeRateLimited, Message: "too many failed logins; wait before trying again", RetryAfter: wait}
	}
	return reserved, nil
}

// release takes reservations back.
func (s *Service) release(ctx context.Context, keys []string) error {
	var errs []error
	for _, k := range keys {
		errs = append(errs, s.Limiter.Release(ctx, k, s.Throttle.Window))
	}
	return errors.Join(errs...)
}

// countFailure counts a failed attempt against the limits it did not
// reserve (the account-wide one when the IP is known to the owner: it still
// counts, it just does not stop the owner).
func (s *Service) countFailure(ctx context.Context, email, ip string, reserved []string) error {
	w := s.Throttle.Window
	for key, limit := range map[string]int{
		accountIPKey(email, ip): s.Throttle.MaxFailuresPerAccountIP,
		accountKey(email):       s.Throttle.MaxFailuresPerAccount,
		ipKey(ip):               s.Throttle.MaxFailuresPerIP,
	} {
		if slices.Contains(reserved, key) {
			continue
		}
		if _, err := s.Limiter.Hit(ctx, key, limit, w); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) openSession(ctx context.Context, user *ocop.User, in LoginInput) (*TokenPair, error) {
	now := s.Now()
	sess := &ocop.Session{
		ID: uuid.Must(uuid.NewV7()).String(), UserID: user.ID, CreatedAt: now, ExpiresAt: now.Add(s.RefreshTTL),
		LastUsedAt: now, UserAgent: truncate(in.UserAgent, 300), ClientIP: in.ClientIP,
	}
	refresh, hash := newOpaqueToken()
	tok := &ocop.RefreshToken{TokenHash: hash, SessionID: sess.ID, CreatedAt: now, ExpiresAt: sess.ExpiresAt}
	if err := s.Sessions.Create(ctx, sess, tok); err != nil {
		return nil, err
	}
	return s.pair(user.ID, sess.ID, refresh)
}

func (s *Service) pair(userID, sessionID, refresh string) (*TokenPair, error) {
	access, err := s.Signer.Mint(userID, sessionID)
	if err != nil {
		return nil, err
	}
	return &TokenPair{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		ExpiresIn: int(s.Signer.TTL().Seconds()), SessionID: sessionID}, nil
}

var errBadRefresh = ocop.Errorf(ocop.CodeInvalidToken, "the refresh token is invalid or has expired; log in again")

// Refresh rotates a refresh token: the presented token is spent and a new
// pair is issued. Presenting a spent token again means the family leaked (an
// attacker or the legitimate client holds a copy), so the whole session is
// revoked and both parties must log in again (OAuth 2.0 Security BCP 4.14).
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*TokenPair, error) {
	if refreshToken == "" {
		return nil, ocop.FieldInvalid("refresh_token", "is required")
	}
	hash := hashToken(refreshToken)
	now := s.Now()
	var (
		pair   *TokenPair
		reused bool
	)
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		tok, sess, err := s.Sessions.TokenByHash(ctx, hash)
		if ocop.IsCode(err, ocop.CodeNotFound) {
			return errBadRefresh
		}
		if err != nil {
			return err
		}
		if !sess.Active(now) || !now.Before(tok.ExpiresAt) {
			return errBadRefresh
		}
		fresh, err := s.Sessions.MarkUsed(ctx, hash, now)
		if err != nil {
			return err
		}
		if !fresh {
			reused = true
			if err := s.Sessions.Revoke(ctx, sess.ID, "refresh_token_reused", now); err != nil {
				return err
			}
			return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: sess.UserID, Action: "session.revoked_reuse", ObjectType: "session", ObjectID: sess.ID})
		}
		next, nextHash := newOpaqueToken()
		if err := s.Sessions.AddToken(ctx, &ocop.RefreshToken{TokenHash: nextHash, SessionID: sess.ID, CreatedAt: now, ExpiresAt: sess.ExpiresAt}); err != nil {
			return err
		}
		if err := s.Sessions.Touch(ctx, sess.ID, now); err != nil {
			return err
		}
		pair, err = s.pair(sess.UserID, sess.ID, next)
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused {
		return nil, ocop.Errorf(ocop.CodeTokenReused, "this refresh token was already used; the session has been ended for safety, log in again")
	}
	return pair, nil
}

// Logout ends a session: the one behind the caller's access token, or the one
// the given refresh token belongs to.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	now := s.Now()
	if p, ok := ocop.PrincipalFrom(ctx); ok {
		return s.Sessions.Revoke(ctx, p.SessionID, "logout", now)
	}
	if refreshToken == "" {
		return ocop.Errorf(ocop.CodeUnauthenticated, "send the access token or the refresh token of the session to end")
	}
	_, sess, err := s.Sessions.TokenByHash(ctx, hashToken(refreshToken))
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return errBadRefresh
	}
	if err != nil {
		return err
	}
	return s.Sessions.Revoke(ctx, sess.ID, "logout", now)
}

// Authenticate turns an access token into the caller's identity. The session
// must still be live, so logout and reuse detection take effect at once.
func (s *Service) Authenticate(ctx context.Context, accessToken string) (ocop.Principal, error) {
	userID, sessionID, err := s.Signer.Verify(accessToken)
	if err != nil {
		return ocop.Principal{}, err
	}
	u, err := s.Sessions.ActiveUser(ctx, sessionID, userID, s.Now())
	if err != nil {
		return ocop.Principal{}, err
	}
	return ocop.Principal{UserID: u.ID, SessionID: sessionID, Roles: u.Roles, User: u}, nil
}

// Me returns the caller's account.
func (s *Service) Me(ctx context.Context) (*ocop.User, error) {
	p, ok := ocop.PrincipalFrom(ctx)
	if !ok {
		return nil, ocop.Errorf(ocop.CodeUnauthenticated, "log in first")
	}
	if p.User != nil {
		return p.User, nil // loaded by Authenticate in this very request
	}
	return s.Users.Get(ctx, p.UserID)
}

// GrantRole gives a user a role (admins only).
func (s *Service) GrantRole(ctx context.Context, userID string, role ocop.Role) (*ocop.User, error) {
	return s.changeRoles(ctx, userID, role, true)
}

// RevokeRole takes a role away (admins only). A user keeps at least one role.
func (s *Service) RevokeRole(ctx context.Context, userID string, role ocop.Role) (*ocop.User, error) {
	return s.changeRoles(ctx, userID, role, false)
}

func (s *Service) changeRoles(ctx context.Context, userID string, role ocop.Role, grant bool) (*ocop.User, error) {
	p, ok := ocop.PrincipalFrom(ctx)
	if !ok || !p.HasRole(ocop.RoleAdmin) {
		return nil, ocop.Errorf(ocop.CodeForbidden, "only an admin can change roles")
	}
	if !role.Valid() {
		return nil, ocop.FieldInvalid("role", "must be one of buyer, producer, organiser, admin")
	}
	var user *ocop.User
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := s.Users.Get(ctx, userID)
		if err != nil {
			return err
		}
		before := slices.Clone(u.Roles)
		switch {
		case grant && !u.HasRole(role):
			u.Roles = append(u.Roles, role)
		case !grant && u.HasRole(role):
			if len(u.Roles) == 1 {
				return ocop.FieldInvalid("role", "is the user's only role; grant another first")
			}
			if userID == p.UserID && role == ocop.RoleAdmin {
				return ocop.FieldInvalid("role", "admins cannot remove their own admin role")
			}
			u.Roles = slices.DeleteFunc(u.Roles, func(r ocop.Role) bool { return r == role })
		default:
			user = u
			return nil // already as asked: idempotent
		}
		slices.Sort(u.Roles)
		u.UpdatedAt = s.Now()
		if err := s.Users.SetRoles(ctx, u.ID, u.Roles, u.UpdatedAt); err != nil {
			return err
		}
		action := "user.role_granted"
		if !grant {
			action = "user.role_revoked"
		}
		user = u
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: action, ObjectType: "user", ObjectID: u.ID,
			Before: map[string]any{"roles": before}, After: map[string]any{"roles": u.Roles}})
	})
	return user, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
