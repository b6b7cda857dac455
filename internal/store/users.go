package store

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type userRow struct {
	ID           string `gorm:"primaryKey"`
	Email        string
	DisplayName  string
	Roles        string // space-separated, sorted
	Language     string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (userRow) TableName() string { return "users" }

func encodeRoles(roles []ocop.Role) string {
	s := make([]string, 0, len(roles))
	for _, r := range roles {
		s = append(s, string(r))
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

func decodeRoles(s string) []ocop.Role {
	var out []ocop.Role
	for _, f := range strings.Fields(s) {
		out = append(out, ocop.Role(f))
	}
	return out
}

func (r *userRow) toDomain() *ocop.User {
	return &ocop.User{
		ID: r.ID, Email: r.Email, DisplayName: r.DisplayName, Roles: decodeRoles(r.Roles),
		Language: ocop.Language(r.Language), PasswordHash: r.PasswordHash,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// Users is the account repository.
type Users struct{ s *Store }

// Users returns the account repository.
func (s *Store) Users() *Users { return &Users{s} }

// Create inserts a user; a taken e-mail is a conflict.
func (u *Users) Create(ctx context.Context, user *ocop.User) error {
	row := userRow{
		ID: user.ID, Email: user.Email, DisplayName: user.DisplayName, Roles: encodeRoles(user.Roles),
		Language: string(user.Language), PasswordHash: user.PasswordHash,
		CreatedAt: user.CreatedAt.UTC(), UpdatedAt: user.UpdatedAt.UTC(),
	}
	err := u.s.conn(ctx).Create(&row).Error
	if err != nil {
		err = translate(err)
		if cv, ok := ocop.AsConstraint(err); ok && cv.Kind == "unique" {
			return &ocop.Error{Code: ocop.CodeConflict, Message: "an account with this e-mail already exists",
				Fields: []ocop.FieldError{{Field: "email", Message: "is already registered"}}, Err: err}
		}
		return err
	}
	return nil
}

// Get loads a user by ID.
func (u *Users) Get(ctx context.Context, id string) (*ocop.User, error) {
	var row userRow
	err := u.s.conn(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("user")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// GetByEmail loads a user by normalised e-mail.
func (u *Users) GetByEmail(ctx context.Context, email string) (*ocop.User, error) {
	var row userRow
	err := u.s.conn(ctx).Where("email = ?", email).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("user")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// SetRoles replaces a user's roles.
func (u *Users) SetRoles(ctx context.Context, id string, roles []ocop.Role, at time.Time) error {
	res := u.s.conn(ctx).Model(&userRow{}).Where("id = ?", id).
		Updates(map[string]any{"roles": encodeRoles(roles), "updated_at": at.UTC()})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ocop.NotFound("user")
	}
	return nil
}

// SetPassword replaces a user's password hash.
func (u *Users) SetPassword(ctx context.Context, id, hash string, at time.Time) error {
	res := u.s.conn(ctx).Model(&userRow{}).Where("id = ?", id).
		Updates(map[string]any{"password_hash": hash, "updated_at": at.UTC()})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ocop.NotFound("user")
	}
	return nil
}
