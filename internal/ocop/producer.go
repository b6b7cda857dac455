package ocop

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ProducerKind is the legal form of an OCOP producer ("chủ thể OCOP").
type ProducerKind string

const (
	KindEnterprise        ProducerKind = "enterprise"         // doanh nghiệp
	KindCooperative       ProducerKind = "cooperative"        // hợp tác xã
	KindCooperativeGroup  ProducerKind = "cooperative_group"  // tổ hợp tác
	KindHouseholdBusiness ProducerKind = "household_business" // hộ kinh doanh
)

// ProducerKinds lists every kind in a stable order.
var ProducerKinds = []ProducerKind{KindEnterprise, KindCooperative, KindCooperativeGroup, KindHouseholdBusiness}

// Valid reports whether k is a known kind.
func (k ProducerKind) Valid() bool { return slices.Contains(ProducerKinds, k) }

// ProducerStatus is where a producer is in admin verification.
type ProducerStatus string

const (
	ProducerPending  ProducerStatus = "pending"
	ProducerVerified ProducerStatus = "verified"
	ProducerRejected ProducerStatus = "rejected"
)

// MemberRole is what a user may do for a producer: the owner manages
// everything including members; staff manage listings and certificates.
type MemberRole string

const (
	MemberOwner MemberRole = "owner"
	MemberStaff MemberRole = "staff"
)

// Producer is an OCOP producer's profile.
type Producer struct {
	ID            string
	LegalName     string
	Kind          ProducerKind
	TaxCode       string // "" when not given
	ProvinceCode  string
	CommuneCode   string
	Address       string // as written
	Phone         string
	Email         string
	Website       string
	DescriptionVI string
	DescriptionEN string
	// LogoKey and LogoThumbKey are the media objects of the logo (display
	// and thumbnail variants), "" without one.
	LogoKey      string
	LogoThumbKey string
	Status       ProducerStatus
	StatusReason string
	VerifiedAt   *time.Time
	CreatedBy    string // "" for imported producers
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Verified reports whether an admin has verified the producer.
func (p *Producer) Verified() bool { return p.Status == ProducerVerified }

// ProducerMember is a user's membership in a producer.
type ProducerMember struct {
	ProducerID  string
	UserID      string
	Role        MemberRole
	Email       string // of the user, for display
	DisplayName string
	CreatedAt   time.Time
}

// ProducerFilter selects producers for a listing page.
type ProducerFilter struct {
	ProvinceCode string
	Kind         string
	Status       []ProducerStatus // empty = any
	NameContains string           // folded (no diacritics, lower case)
	After        string           // id cursor
	Limit        int
}

var (
	taxCodeRe = regexp.MustCompile(`^\d{10}(-\d{3})?$`)
	phoneRe   = regexp.MustCompile(`^(\+84|0)\d{8,10}$`)
)

// NormalizeTaxCode trims spaces around a tax code.
func NormalizeTaxCode(s string) string { return strings.TrimSpace(s) }

// ValidateTaxCode checks the Vietnamese format: 10 digits, or 10 digits, a
// dash and 3 digits for a dependent unit (branch).
func ValidateTaxCode(v *Validation, field, s string) {
	if s != "" && !taxCodeRe.MatchString(s) {
		v.Add(field, "must be 10 digits, or 10 digits, '-' and 3 digits for a branch (e.g. 0101234567-001)")
	}
}

// NormalizePhone removes the spaces, dots and dashes people write in
// phone numbers.
func NormalizePhone(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// ValidatePhone checks a normalised Vietnamese phone number (optional).
func ValidatePhone(v *Validation, field, s string) {
	if s != "" && !phoneRe.MatchString(s) {
		v.Add(field, "must be a Vietnamese phone number such as 0912345678 or +84912345678")
	}
}

// ValidateWebsite checks an optional http(s) URL.
func ValidateWebsite(v *Validation, field, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 500 {
		v.Add(field, "must be an http or https address such as https://example.vn")
	}
}

// ValidateText checks the length of a free-text field.
func ValidateText(v *Validation, field, s string, required bool, maxRunes int) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(field, "is required")
	case utf8.RuneCountInString(s) > maxRunes:
		v.Add(field, "must be at most %d characters", maxRunes)
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8 text")
	}
}

// Validate checks a producer's own fields (the place codes and anything
// needing reference data are checked by the use case).
func (p *Producer) Validate(v *Validation) {
	ValidateText(v, "legal_name", p.LegalName, true, 200)
	switch {
	case p.Kind == "":
		v.Add("kind", "is required (enterprise, cooperative, cooperative_group or household_business)")
	case !p.Kind.Valid():
		v.Add("kind", "must be enterprise, cooperative, cooperative_group or household_business")
	}
	ValidateTaxCode(v, "tax_code", p.TaxCode)
	ValidateText(v, "address", p.Address, false, 300)
	ValidatePhone(v, "phone", p.Phone)
	if p.Email != "" {
		ValidateEmail(v, "email", p.Email)
	}
	ValidateWebsite(v, "website", p.Website)
	ValidateText(v, "description_vi", p.DescriptionVI, false, 5000)
	ValidateText(v, "description_en", p.DescriptionEN, false, 5000)
}

// CertificateStatus is where a certificate is in its life.
//
//	pending -> verified -> expired (by date) | revoked (admin)
//	pending -> rejected
type CertificateStatus string

const (
	CertPending  CertificateStatus = "pending"
	CertVerified CertificateStatus = "verified"
	CertRejected CertificateStatus = "rejected"
	CertExpired  CertificateStatus = "expired"
	CertRevoked  CertificateStatus = "revoked"
)

// CertificateStatuses lists every status.
var CertificateStatuses = []CertificateStatus{CertPending, CertVerified, CertRejected, CertExpired, CertRevoked}

// Valid reports whether s is a known status.
func (s CertificateStatus) Valid() bool { return slices.Contains(CertificateStatuses, s) }

// IssuingLevel is who recognised the product: 3-4 stars the province
// People's Committee, 5 stars the national level (the Ministry).
type IssuingLevel string

const (
	IssuingNational   IssuingLevel = "national"
	IssuingProvincial IssuingLevel = "provincial"
)

// CertificateValidity is how long a certificate is valid after its
// recognition decision, unless the decision says otherwise.
const CertificateValidityMonths = 36

// Zone is the time zone OCOP dates (decision, expiry) are meant in.
var Zone = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// No tz database (minimal container without time/tzdata): Vietnam has
		// had UTC+7 without daylight saving since 1975.
		return time.FixedZone("ICT", 7*60*60)
	}
	return loc
}

// Date is a calendar day (no time, no zone), as written on decisions.
type Date struct{ time.Time }

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	return Date{t}, err
}

// DateOf is the calendar day of t in Vietnam.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Zone).Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// String is YYYY-MM-DD.
func (d Date) String() string { return d.Format(time.DateOnly) }

// AddMonths adds calendar months (31 Jan + 1 month = 3 Mar, as time.AddDate).
func (d Date) AddMonths(n int) Date { return Date{d.AddDate(0, n, 0)} }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Time.Before(e.Time) }

// DaysUntil is the number of days from d to e (negative when e is earlier).
func (d Date) DaysUntil(e Date) int { return int(e.Sub(d.Time).Hours() / 24) }

// Certificate is an OCOP certificate: a recognition decision giving a
// product its star rating.
type Certificate struct {
	ID             string
	ProducerID     string
	ProductName    string
	LegalBasis     string // taxonomy version, e.g. "148/2023"
	ProductGroup   string
	ProductSet     string
	CurrentGroup   string // the group of the current taxonomy it belongs to
	Stars          int
	DecisionNumber string
	DecisionDate   Date
	IssuingLevel   IssuingLevel
	IssuingBody    string
	ExpiresOn      Date // the last day it is in force
	DocumentKey    string
	DocumentType   string
	DocumentSize   int64
	Status         CertificateStatus
	StatusReason   string
	ReviewedBy     string
	ReviewedAt     *time.Time
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// InForceOn reports whether the certificate counts on a day: verified and
// not past its expiry date. (Expired and revoked ones never count; the
// daily sweep marks expired ones, but the date rule holds between sweeps.)
func (c *Certificate) InForceOn(day Date) bool {
	return c.Status == CertVerified && !c.ExpiresOn.Before(day)
}

// DaysToExpiry is the number of days from day to the expiry date.
func (c *Certificate) DaysToExpiry(day Date) int { return day.DaysUntil(c.ExpiresOn) }

// ValidateCertificate checks the certificate's own rules on the day today.
// The taxonomy fields are checked by the use case (reference data).
func (c *Certificate) Validate(v *Validation, today Date) {
	ValidateText(v, "product_name", c.ProductName, true, 200)
	if c.Stars < 3 || c.Stars > 5 {
		v.Add("stars", "must be 3, 4 or 5 (only 3 stars and above receive a certificate)")
	}
	ValidateText(v, "decision_number", c.DecisionNumber, true, 100)
	ValidateText(v, "issuing_body", c.IssuingBody, true, 200)
	switch {
	case c.DecisionDate.IsZero():
		v.Add("decision_date", "is required (YYYY-MM-DD)")
	case today.Before(c.DecisionDate):
		v.Add("decision_date", "must not be in the future")
	}
	if !c.ExpiresOn.IsZero() && !c.DecisionDate.IsZero() && !c.DecisionDate.Before(c.ExpiresOn) {
		v.Add("expires_on", "must be after the decision date")
	}
	switch c.IssuingLevel {
	case IssuingNational, IssuingProvincial:
		if c.Stars == 5 && c.IssuingLevel != IssuingNational {
			v.Add("issuing_level", "a 5-star certificate is issued at the national level (the Ministry)")
		}
		if (c.Stars == 3 || c.Stars == 4) && c.IssuingLevel != IssuingProvincial {
			v.Add("issuing_level", "a 3- or 4-star certificate is issued at the provincial level (the province People's Committee)")
		}
	case "":
		v.Add("issuing_level", "is required (national or provincial)")
	default:
		v.Add("issuing_level", "must be national or provincial")
	}
}
