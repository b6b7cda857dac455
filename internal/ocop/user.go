package ocop

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user may do. Buyers and producers sign up themselves;
// organisers and admins are appointed by an admin.
type Role string

const (
	RoleBuyer     Role = "buyer"
	RoleProducer  Role = "producer"
	RoleOrganiser Role = "organiser"
	RoleAdmin     Role = "admin"
)

// AllRoles lists every role in a stable order.
var AllRoles = []Role{RoleBuyer, RoleProducer, RoleOrganiser, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(AllRoles, r) }

// SelfServiceRole reports whether a visitor may register with this role.
func (r Role) SelfServiceRole() bool { return r == RoleBuyer || r == RoleProducer }

// Language is the user's preferred language for e-mails and messages.
type Language string

const (
	LangVietnamese Language = "vi"
	LangEnglish    Language = "en"
)

// Valid reports whether l is a supported language.
func (l Language) Valid() bool { return l == LangVietnamese || l == LangEnglish }

// User is an account. PasswordHash never leaves the server.
type User struct {
	ID           string
	Email        string
	DisplayName  string
	Roles        []Role
	Language     Language
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// HasRole reports whether the user holds role r.
func (u *User) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// NormalizeEmail trims and lower-cases an address. Addresses are compared
// case-insensitively everywhere (a@x.vn and A@X.vn are one account), which is
// what users expect even though RFC 5321 allows case-sensitive local parts.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// ValidateEmail checks an already-normalised address.
func ValidateEmail(v *Validation, field, email string) {
	switch {
	case email == "":
		v.Add(field, "is required")
	case len(email) > 254:
		v.Add(field, "must be at most 254 characters")
	default:
		addr, err := mail.ParseAddress(email)
		if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
			v.Add(field, "must be an e-mail address such as name@example.vn")
		}
	}
}

// Password rules follow NIST SP 800-63B: length matters, composition rules do
// not; known-breached and context-derived passwords are refused.
const (
	PasswordMinLength = 10
	PasswordMaxLength = 128
)

// commonPasswords is a short list of the passwords attackers try first
// (from public breach corpora); long lists belong in a dedicated service.
var commonPasswords = map[string]bool{
	"1234567890": true, "0123456789": true, "1111111111": true, "0000000000": true,
	"qwertyuiop": true, "password12": true, "password123": true, "password1234": true,
	"iloveyou123": true, "abc1234567": true, "qwerty1234": true, "1q2w3e4r5t": true,
	"matkhau123": true, "matkhau1234": true, "123456789a": true, "a123456789": true,
	"asdfghjkl1": true, "zxcvbnm123": true, "1qaz2wsx3edc": true, "qwerty123456": true,
	"anhyeuem123": true, "vietnam123": true, "ocopconnect": true, "administrator": true,
}

// ValidatePassword reports the first rule a password breaks, naming it.
func ValidatePassword(v *Validation, field, password, email string) {
	n := utf8.RuneCountInString(password)
	lower := strings.ToLower(password)
	local, _, _ := strings.Cut(email, "@")
	switch {
	case n < PasswordMinLength:
		v.Add(field, "must be at least %d characters", PasswordMinLength)
	case n > PasswordMaxLength:
		v.Add(field, "must be at most %d characters", PasswordMaxLength)
	case commonPasswords[lower]:
		v.Add(field, "is a commonly used password; choose another")
	case isRepeated(password):
		v.Add(field, "must not be one character repeated")
	case len(local) >= 4 && strings.Contains(lower, strings.ToLower(local)):
		v.Add(field, "must not contain your e-mail name")
	}
}

func isRepeated(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}
